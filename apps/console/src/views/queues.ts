import { h, show } from '../dom.js';
import { age } from '../format.js';
import { View } from '../context.js';
import { DeadLetter, QueueView } from '../types.js';

const rate = (value: number | null) => (value === null ? '' : value.toFixed(1));
const count = (value: number | null) => (value === null ? '—' : String(value));

/** The queues (depth, consumers, rates) and the dead letters, with Retry and Drop for tokens with `operate`. */
export const queuesView: View = (root, app) => {
  const queues = h('tbody');
  const letters = h('tbody');
  const summary = h('p', { class: 'summary' });
  const message = h('p', { class: 'error', role: 'alert' });

  const act = (letter: DeadLetter, action: 'retry' | 'drop') =>
    void app.api
      .json(
        action === 'retry' ? 'POST' : 'DELETE',
        action === 'retry' ? `/v1/dead-letters/${letter.id}/retry` : `/v1/dead-letters/${letter.id}`,
      )
      .then(() => ((message.textContent = ''), load()))
      .catch((err: Error) => (message.textContent = `${action} ${letter.id}: ${err.message}`));

  const load = async () => {
    try {
      const view = await app.api.json<{ items: QueueView[]; deadLetters: number }>('GET', '/v1/queues');
      show(
        queues,
        view.items.map((q) =>
          h(
            'tr',
            {},
            h('td', {}, q.name),
            h('td', {}, q.role),
            h('td', { class: 'num' }, count(q.ready)),
            h('td', { class: 'num' }, count(q.unacked)),
            h('td', { class: 'num' }, count(q.consumers)),
            h('td', { class: 'num' }, rate(q.publishRate)),
            h('td', { class: 'num' }, rate(q.deliverRate)),
          ),
        ),
      );
      summary.textContent = `dead letters kept: ${view.deadLetters}`;
      if (!app.can('operate')) {
        show(letters, h('tr', {}, h('td', { colspan: 5 }, 'Dead letters need a token with operate.')));
        return;
      }
      const dead = await app.api.json<{ items: DeadLetter[] }>('GET', '/v1/dead-letters?limit=100');
      show(
        letters,
        dead.items.length === 0
          ? h('tr', {}, h('td', { colspan: 5 }, 'None.'))
          : dead.items.map((letter) =>
              h(
                'tr',
                {},
                h('td', {}, `${age(letter.at)} ago`),
                h('td', {}, letter.queue ?? '—'),
                h('td', {}, `${letter.kind}: ${letter.reason}`),
                h('td', {}, h('code', {}, letter.preview)),
                h(
                  'td',
                  { class: 'buttons' },
                  h(
                    'button',
                    {
                      type: 'button',
                      'aria-label': `Retry ${letter.id}`,
                      disabled: letter.queue === null,
                      onclick: () => act(letter, 'retry'),
                    },
                    'Retry',
                  ),
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'danger',
                      'aria-label': `Drop ${letter.id}`,
                      onclick: () => act(letter, 'drop'),
                    },
                    'Drop',
                  ),
                ),
              ),
            ),
      );
    } catch (err) {
      message.textContent = (err as Error).message;
    }
  };

  const header = (...labels: string[]) =>
    h('thead', {}, h('tr', {}, ...labels.map((l) => h('th', { scope: 'col' }, l))));
  show(
    root,
    h(
      'section',
      { 'aria-labelledby': 'queues-title' },
      h('h1', { id: 'queues-title' }, 'Queues'),
      message,
      h(
        'div',
        { class: 'table-wrap' },
        h('table', {}, header('Queue', 'Role', 'Ready', 'Unacked', 'Consumers', 'In/s', 'Out/s'), queues),
      ),
      summary,
      h('h2', {}, 'Dead letters'),
      h('div', { class: 'table-wrap' }, h('table', {}, header('When', 'Queue', 'Why', 'Message', 'Actions'), letters)),
    ),
  );
  void load();
  const timer = setInterval(() => void load(), 5000);
  return () => clearInterval(timer);
};
