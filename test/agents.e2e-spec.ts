import { NodeRecord } from '@berth/contracts';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { booksMatchDocker, eventually, TestCluster, testHosts, waitFor } from './support/cluster';

const job = { image: 'berth/busybox:latest', cmd: ['sleep', '600'], resources: { cpuMillis: 100, memoryMiB: 16 } };

/** Agents that die and come back: Berth's books must end equal to what Docker runs, with one container per job. */
describe('agent crashes and reconciliation', () => {
  const cluster = new TestCluster({
    hosts: testHosts(3),
    agentEnv: { BERTH_RECONCILE_SECONDS: '2', BERTH_AGENT_CONCURRENCY: '4' },
  });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('kill -9 of an agent while it creates containers: after a restart every job has exactly one container', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, () => cluster.accepted(job)));
    // Kill h1's agent as soon as it has started working on its share.
    await waitFor('h1 to be creating', async () => (await cluster.containersOn(cluster.hosts[0])).length > 0, 30_000);
    await cluster.kill('agent-h1', 'SIGKILL');
    // The fault itself: the agent stays away for a second while the scheduler goes on sending it work.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    cluster.restart('agent-h1');
    await waitFor(
      'every job running',
      async () => {
        const jobs = await Promise.all(ids.map((id) => cluster.getJson<JobView>(`/v1/jobs/${id}`)));
        return jobs.every((j) => j.status === 'running');
      },
      90_000,
    );
    // Reconciliation removes a leftover create within a pass or two: until then the books may differ from Docker.
    await eventually('the books equal docker ps, with one running container per job', async () => {
      const perJob = await booksMatchDocker(cluster);
      expect([...perJob.keys()].sort()).toEqual([...ids].sort());
      expect([...perJob.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    });
    for (const id of ids) {
      await cluster.remove(id);
    }
    await waitFor(
      'all removed',
      async () => (await cluster.getJson<{ count: number }>('/v1/jobs?status=removed&limit=500')).count === ids.length,
    );
  });

  it('mends what happened while an agent was away: a container removed behind its back, one that exited', async () => {
    const gone = await cluster.settled<JobView>(await cluster.accepted({ ...job, constraints: ['node==h2'] }));
    const ends = await cluster.settled<JobView>(
      await cluster.accepted({ ...job, cmd: ['sh', '-c', 'sleep 3; exit 4'], constraints: ['node==h2'] }),
    );
    expect([gone.status, ends.status]).toEqual(['running', 'running']);
    await cluster.kill('agent-h2', 'SIGKILL');
    const h2 = cluster.hosts.find((h) => h.id === 'h2')!;
    await h2.docker.getContainer(gone.containerId!).remove({ force: true });
    // `ends` exits while nobody watches.
    await waitFor(
      'ends to exit while its agent is away',
      async () => (await h2.docker.getContainer(ends.containerId!).inspect()).State.Status === 'exited',
    );
    cluster.restart('agent-h2');

    await waitFor('both jobs mended', async () => {
      const [a, b] = await Promise.all([gone, ends].map((j) => cluster.getJson<JobView>(`/v1/jobs/${j.id}`)));
      return a.status === 'failed' && b.status === 'failed';
    });
    const [a, b] = await Promise.all([gone, ends].map((j) => cluster.getJson<JobView>(`/v1/jobs/${j.id}`)));
    expect(a.reason).toBe('the container disappeared from its host');
    expect([b.exitCode, b.reason]).toEqual([4, 'exited with code 4']);
    await eventually("h2's books equal docker ps, and hold nothing", async () => {
      await booksMatchDocker(cluster);
      const nodes = await cluster.getJson<{ items: NodeRecord[] }>('/v1/nodes');
      expect(nodes.items.find((n) => n.id === 'h2')?.allocated).toEqual({ cpuMillis: 0, memoryMiB: 0 });
    });
  });
});
