import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABEL_JOB, NodeRecord } from '@berth/contracts';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { booksMatchDocker, TestCluster, testHosts, waitFor } from './support/cluster';

const base = { image: 'berth/busybox:latest', cmd: ['sleep', '600'], resources: { cpuMillis: 100, memoryMiB: 16 } };
const movable = { ...base, reschedule: 'on-node-failure' };

async function jobs(cluster: TestCluster, ids: string[]): Promise<JobView[]> {
  return Promise.all(ids.map((id) => cluster.getJson<JobView>(`/v1/jobs/${id}`)));
}

async function node(cluster: TestCluster, id: string): Promise<NodeRecord> {
  const nodes = await cluster.getJson<{ items: NodeRecord[] }>('/v1/nodes');
  return nodes.items.find((n) => n.id === id)!;
}

describe('drain', () => {
  const cluster = new TestCluster({ hosts: testHosts(3) });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('moves the jobs that allow it to other hosts, keeps the rest, then reports drained', async () => {
    const moving = [
      await cluster.accepted({ ...movable, constraints: ['node==~h1'] }),
      await cluster.accepted({ ...movable, constraints: ['node==~h1'] }),
    ];
    const staying = await cluster.accepted({ ...base, constraints: ['node==h1'] });
    for (const id of [...moving, staying]) {
      expect((await cluster.settled<JobView>(id)).node).toBe('h1');
    }
    const drain = await cluster.fetch(`/v1/nodes/h1/drain`, { method: 'POST' });
    expect(drain.status).toBe(202);
    await waitFor('h1 drained', async () => (await node(cluster, 'h1')).drain === 'drained');
    await waitFor('moved jobs running elsewhere', async () =>
      (await jobs(cluster, moving)).every((j) => j.status === 'running' && j.node !== 'h1'),
    );
    const [stay] = await jobs(cluster, [staying]);
    expect([stay.status, stay.node]).toEqual(['running', 'h1']);
    expect((await node(cluster, 'h1')).schedulable).toBe(false);
    // Docker's view: the moved jobs' old containers are gone from h1.
    await waitFor('old containers removed from h1', async () => {
      const onH1 = (await cluster.containersOn(cluster.hosts[0])).map((c) => c.Labels[LABEL_JOB]);
      return onH1.length === 1 && onH1[0] === staying;
    });
    const elsewhere = [];
    for (const host of cluster.hosts.slice(1)) {
      elsewhere.push(...(await cluster.containersOn(host)).map((c) => c.Labels[LABEL_JOB]));
    }
    expect(elsewhere.sort()).toEqual([...moving].sort());
    await booksMatchDocker(cluster);
    const uncordon = await cluster.fetch(`/v1/nodes/h1/uncordon`, { method: 'POST' });
    expect(((await uncordon.json()) as NodeRecord).drain).toBe('none');
  });
});

describe('host failure', () => {
  const hosts = testHosts(3);
  const h3 = hosts[2];
  const cluster = new TestCluster({
    hosts,
    commonEnv: { BERTH_NODE_TIMEOUT_SECONDS: '4' },
    schedulerEnv: { BERTH_RESCHEDULE_GRACE_SECONDS: '2' },
    agentEnv: { BERTH_HEARTBEAT_SECONDS: '1', BERTH_RECONCILE_SECONDS: '2' },
  });
  const root = join(__dirname, '..');

  beforeAll(() => cluster.start());
  afterAll(async () => {
    execFileSync('bash', [join(root, 'scripts', 'infra.sh'), 'up', '3'], { stdio: 'ignore' });
    await cluster.stop();
  });

  it('marks a host whose dockerd and agent die down, moves its on-node-failure jobs, and cleans up when it returns', async () => {
    const moving = [
      await cluster.accepted({ ...movable, constraints: ['node==~h3'] }),
      await cluster.accepted({ ...movable, constraints: ['node==~h3'] }),
    ];
    const stuck = await cluster.accepted({ ...base, constraints: ['node==h3'] });
    for (const id of [...moving, stuck]) {
      expect((await cluster.settled<JobView>(id)).node).toBe('h3');
    }

    await cluster.kill('agent-h3', 'SIGKILL');
    const pid = Number(readFileSync(`/run/berth/h3/docker.pid`, 'utf8'));
    process.kill(pid, 'SIGKILL');

    await waitFor('h3 down', async () => (await node(cluster, 'h3')).status === 'down', 30_000);
    await waitFor(
      'movable jobs running elsewhere',
      async () => (await jobs(cluster, moving)).every((j) => j.status === 'running' && j.node !== 'h3'),
      60_000,
    );
    for (const job of await jobs(cluster, moving)) {
      expect(job.history.map((h) => h.status)).toEqual([
        'queued',
        'scheduled',
        'running',
        'queued',
        'scheduled',
        'running',
      ]);
      const host = hosts.find((h) => h.id === job.node)!;
      expect((await host.docker.getContainer(`berth-${job.id}`).inspect()).State.Running).toBe(true);
    }
    const [held] = await jobs(cluster, [stuck]);
    expect(held.node).toBe('h3'); // no policy: it stays with its host

    // The host comes back: its agent removes the duplicates of the moved jobs and reports what died with dockerd.
    execFileSync('bash', [join(root, 'scripts', 'infra.sh'), 'up', '3'], { stdio: 'ignore' });
    cluster.restart('agent-h3');
    await waitFor('h3 ready', async () => (await node(cluster, 'h3')).status === 'ready', 60_000);
    await waitFor(
      'no duplicates left on h3',
      async () => {
        const onH3 = (await cluster.containersOn(h3)).map((c) => c.Labels[LABEL_JOB]);
        return moving.every((id) => !onH3.includes(id));
      },
      60_000,
    );
    const running = (await jobs(cluster, moving)).map((j) => j.status);
    expect(running).toEqual(['running', 'running']);
    // What died with h3's dockerd is reported by its agent, and every host's books equal docker ps.
    await waitFor(
      'the job left on h3 accounted for',
      async () => (await jobs(cluster, [stuck]))[0].status !== 'running',
      30_000,
    );
    await waitFor('books equal docker ps on every host', async () => {
      await booksMatchDocker(cluster);
      return true;
    });
  });
});
