import { LABEL_JOB, LABEL_MEMORY, LABEL_CPU } from '@berth/contracts';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { TestCluster, testHosts, waitFor } from './support/cluster';

const HOSTS = testHosts();
const MEMORY_PER_HOST = 320; // room for exactly 5 jobs of 64 MiB on each host
const JOB_MEMORY = 64;
const SUBMISSIONS = 50;
const FITS = (MEMORY_PER_HOST / JOB_MEMORY) * HOSTS.length;

/**
 * Concurrent submissions onto tight capacity: every job is placed at most once, and no host ends up with more
 * than it has, by Docker's own account.
 */
describe(`${SUBMISSIONS} concurrent submissions onto capacity for ${FITS}`, () => {
  const cluster = new TestCluster({
    hosts: HOSTS,
    agentEnv: { BERTH_NODE_MEMORY_MIB: String(MEMORY_PER_HOST), BERTH_NODE_CPU_MILLIS: '100000' },
  });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it(`runs exactly ${FITS}, refuses the rest with a reason, and over-commits no host`, async () => {
    const responses = await Promise.all(
      Array.from({ length: SUBMISSIONS }, () =>
        cluster.submit({
          image: 'berth/busybox:latest',
          cmd: ['sleep', '600'],
          resources: { memoryMiB: JOB_MEMORY, cpuMillis: 100 },
          // No waiting: what does not fit now is unschedulable at once.
          placementTimeoutSeconds: 0,
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(SUBMISSIONS).fill(202));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(new Set(ids).size).toBe(SUBMISSIONS);

    let jobs: JobView[] = [];
    await waitFor('every job to settle', async () => {
      jobs = await Promise.all(ids.map((id) => cluster.getJson<JobView>(`/v1/jobs/${id}`)));
      return jobs.every((j) => j.status === 'running' || j.status === 'unschedulable' || j.status === 'failed');
    });

    const running = jobs.filter((j) => j.status === 'running');
    const unschedulable = jobs.filter((j) => j.status === 'unschedulable');
    expect(running).toHaveLength(FITS);
    expect(unschedulable).toHaveLength(SUBMISSIONS - FITS);
    for (const job of unschedulable) {
      expect(job.reason).toBe(`0/${HOSTS.length} hosts available: ${HOSTS.length} insufficient memory`);
    }

    // Docker's truth, host by host: no job twice, nothing beyond capacity, and the books agree.
    const seen = new Map<string, string>();
    for (const host of HOSTS) {
      const containers = (await cluster.containersOn(host)).filter((c) => c.State === 'running');
      const memory = containers.reduce((sum, c) => sum + Number(c.Labels[LABEL_MEMORY]), 0);
      expect(memory).toBeLessThanOrEqual(MEMORY_PER_HOST);
      for (const c of containers) {
        const jobId = c.Labels[LABEL_JOB];
        expect(seen.has(jobId)).toBe(false);
        seen.set(jobId, host.id);
        expect(Number(c.Labels[LABEL_CPU])).toBe(100);
      }
      const inspected = await Promise.all(containers.map((c) => host.docker.getContainer(c.Id).inspect()));
      expect(inspected.reduce((sum, i) => sum + i.HostConfig.Memory!, 0)).toBeLessThanOrEqual(
        MEMORY_PER_HOST * 1024 * 1024,
      );
    }
    expect(seen.size).toBe(FITS);
    for (const job of running) {
      expect(seen.get(job.id)).toBe(job.node);
    }
    const nodes = await cluster.getJson<{
      items: Array<{ id: string; allocated: { memoryMiB: number }; containers: number }>;
    }>('/v1/nodes');
    for (const node of nodes.items) {
      const onHost = [...seen.values()].filter((h) => h === node.id).length;
      expect(node.allocated.memoryMiB).toBe(onHost * JOB_MEMORY);
      expect(node.containers).toBe(onHost);
    }
  });
});
