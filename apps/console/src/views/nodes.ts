import { h, show, usage } from '../dom.js';
import { age } from '../format.js';
import { View } from '../context.js';
import { Node } from '../types.js';

const PLACED = ['scheduled', 'pulling', 'running'];

/**
 * The hosts, a card each (the Swarm visualizer's column per host): status (a down host is red), CPU and memory
 * allocated against capacity, labels, the jobs it runs; Cordon, Uncordon and Drain for tokens with `operate`.
 */
export const nodesView: View = (root, app) => {
  const grid = h('div', { class: 'nodes' });
  const message = h('p', { class: 'error', role: 'alert' });
  let nodes: Node[] = [];

  const act = (node: Node, action: 'cordon' | 'uncordon' | 'drain') =>
    void app.api
      .json<Node>('POST', `/v1/nodes/${encodeURIComponent(node.id)}/${action}`)
      .then(() => ((message.textContent = ''), load()))
      .catch((err: Error) => (message.textContent = `${action} ${node.id}: ${err.message}`));

  const draw = () => {
    show(
      grid,
      nodes.length === 0
        ? h('p', {}, 'No host has registered yet.')
        : nodes.map((node) => {
            const jobs = [...app.jobs.jobs.values()].filter((j) => j.node === node.id && PLACED.includes(j.status));
            const state =
              node.status !== 'ready'
                ? node.status
                : node.drain !== 'none'
                  ? node.drain
                  : node.schedulable
                    ? 'schedulable'
                    : 'cordoned';
            return h(
              'article',
              {
                class: `node node-${node.status}${node.schedulable ? '' : ' cordoned'}`,
                'aria-labelledby': `node-${node.id}`,
                'data-node': node.id,
              },
              h('h2', { id: `node-${node.id}` }, node.id),
              h(
                'p',
                { class: 'node-state' },
                h('span', { class: `status status-${node.status}` }, node.status),
                ' ',
                state === node.status ? '' : state,
              ),
              usage('CPU', node.allocated.cpuMillis, node.capacity.cpuMillis, 'millicores'),
              usage('Memory', node.allocated.memoryMiB, node.capacity.memoryMiB, 'MiB'),
              h('p', { class: 'summary' }, `${node.containers} containers · heartbeat ${age(node.heartbeatAt)} ago`),
              h(
                'ul',
                { class: 'labels', 'aria-label': `Labels of ${node.id}` },
                ...Object.entries(node.labels).map(([k, v]) => h('li', {}, `${k}=${v}`)),
              ),
              h(
                'ul',
                { class: 'node-jobs', 'aria-label': `Jobs on ${node.id}` },
                ...jobs.map((j) =>
                  h('li', {}, h('a', { href: `#/jobs/${j.id}` }, j.name ?? j.id.slice(0, 8)), ` ${j.status}`),
                ),
              ),
              app.can('operate')
                ? h(
                    'div',
                    { class: 'buttons' },
                    node.schedulable
                      ? h(
                          'button',
                          { type: 'button', 'aria-label': `Cordon ${node.id}`, onclick: () => act(node, 'cordon') },
                          'Cordon',
                        )
                      : h(
                          'button',
                          { type: 'button', 'aria-label': `Uncordon ${node.id}`, onclick: () => act(node, 'uncordon') },
                          'Uncordon',
                        ),
                    node.drain === 'none'
                      ? h(
                          'button',
                          { type: 'button', 'aria-label': `Drain ${node.id}`, onclick: () => act(node, 'drain') },
                          'Drain',
                        )
                      : null,
                  )
                : null,
            );
          }),
    );
  };

  const load = async () => {
    try {
      nodes = (await app.api.json<{ items: Node[] }>('GET', '/v1/nodes')).items;
      draw();
    } catch (err) {
      message.textContent = (err as Error).message;
    }
  };

  show(
    root,
    h('section', { 'aria-labelledby': 'nodes-title' }, h('h1', { id: 'nodes-title' }, 'Nodes'), message, grid),
  );
  void load();
  const offNode = app.feed.onNode(() => void load());
  const offJobs = app.jobs.subscribe(draw);
  // Allocations change with every placement, which is a job event, not a node one: read the books now and then.
  const timer = setInterval(() => void load(), 5000);
  return () => {
    offNode();
    offJobs();
    clearInterval(timer);
  };
};
