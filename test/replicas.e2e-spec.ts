import { LABEL_JOB, LABEL_MEMORY } from '@berth/contracts';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { TestCluster, testHosts, waitFor } from './support/cluster';

const HOSTS = testHosts();
const MEMORY_PER_HOST = 384; // room for 8 jobs of 48 MiB per host
const JOB_MEMORY = 48;
const SUBMISSIONS = 300;
const FITS = Math.floor(MEMORY_PER_HOST / JOB_MEMORY) * HOSTS.length;

/**
 * Two scheduler processes race for the same tight capacity with hundreds of submissions in flight. The only
 * thing between them is the reservation script: Docker itself must show no host over capacity and no job twice.
 */
describe(`${SUBMISSIONS} concurrent submissions, two scheduler replicas, room for ${FITS}`, () => {
  const cluster = new TestCluster({
    hosts: HOSTS,
    schedulers: 2,
    agentEnv: { BERTH_NODE_MEMORY_MIB: String(MEMORY_PER_HOST), BERTH_NODE_CPU_MILLIS: '100000' },
  });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('places exactly what fits, each job once, and over-commits no host', async () => {
    const responses = await Promise.all(
      Array.from({ length: SUBMISSIONS }, (_, i) =>
        cluster.submit({
          image: 'berth/busybox:latest',
          cmd: ['sleep', '600'],
          resources: { memoryMiB: JOB_MEMORY, cpuMillis: 50 },
          strategy: i % 2 === 0 ? 'spread' : 'binpack',
          placementTimeoutSeconds: 0,
        }),
      ),
    );
    expect(responses.filter((r) => r.status === 202)).toHaveLength(SUBMISSIONS);
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));

    let jobs: JobView[] = [];
    await waitFor(
      'every job to settle',
      async () => {
        const all = await cluster.getJson<{ items: JobView[] }>(`/v1/jobs?limit=500`);
        jobs = all.items;
        return jobs.length === SUBMISSIONS && jobs.every((j) => j.status === 'running' || j.status === 'unschedulable');
      },
      120_000,
    );
    expect(jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
    expect(jobs.filter((j) => j.status === 'running')).toHaveLength(FITS);
    expect(jobs.filter((j) => j.status === 'unschedulable')).toHaveLength(SUBMISSIONS - FITS);

    const containersPerJob = new Map<string, number>();
    for (const host of HOSTS) {
      const containers = await cluster.containersOn(host);
      const memory = containers.reduce((sum, c) => sum + Number(c.Labels[LABEL_MEMORY]), 0);
      expect(memory).toBeLessThanOrEqual(MEMORY_PER_HOST);
      for (const c of containers) {
        const jobId = c.Labels[LABEL_JOB];
        containersPerJob.set(jobId, (containersPerJob.get(jobId) ?? 0) + 1);
      }
    }
    expect([...containersPerJob.values()].every((n) => n === 1)).toBe(true);
    expect(containersPerJob.size).toBe(FITS);
    for (const job of jobs.filter((j) => j.status === 'running')) {
      expect(containersPerJob.get(job.id)).toBe(1);
    }
  });
});
