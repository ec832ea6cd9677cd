import Redis from 'ioredis';
import { GroupView, LABEL_JOB } from '@berth/contracts';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { booksMatchDocker, TestCluster, testHosts, waitFor } from './support/cluster';
import { OwnRedis } from './support/redis-server';

const sleeper = { image: 'berth/busybox:latest', cmd: ['sleep', '600'], resources: { cpuMillis: 100, memoryMiB: 64 } };

async function keysOf(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  try {
    return (await redis.keys(`${prefix}:*`)).length;
  } finally {
    await redis.quit();
  }
}

describe("recovery after Redis restarts and loses the cluster's state", () => {
  // A Redis of the test's own, without persistence, that it really restarts: the shared one is never touched.
  const redis = new OwnRedis();
  let cluster: TestCluster;

  beforeAll(async () => {
    await redis.start();
    // Room for 4 sleepers per host, 8 in all.
    cluster = new TestCluster({
      hosts: testHosts(2),
      redisUrl: redis.url,
      // The node timeout is also how long placement pauses after the loss.
      commonEnv: { BERTH_NODE_TIMEOUT_SECONDS: '6' },
      agentEnv: { BERTH_NODE_MEMORY_MIB: '256', BERTH_HEARTBEAT_SECONDS: '1', BERTH_RECONCILE_SECONDS: '2' },
    });
    await cluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
    await redis.stop();
  });

  it('rebuilds job records from the hosts and the queues, pauses placement, and neither over-commits nor doubles', async () => {
    const quick = await cluster.accepted({ ...sleeper, cmd: ['true'] });
    expect((await cluster.ended<JobView>(quick)).status).toBe('exited');
    const sleepers = [await cluster.accepted({ ...sleeper, name: 'db' })];
    for (let i = 0; i < 7; i++) {
      sleepers.push(await cluster.accepted(sleeper));
    }
    const before = new Map<string, JobView>();
    for (const id of sleepers) {
      const job = await cluster.settled<JobView>(id);
      expect(job.status).toBe('running');
      before.set(id, job);
    }
    // Two more than fit: they wait in the delay queues, with nothing on any host.
    const waiting = [await cluster.accepted(sleeper), await cluster.accepted(sleeper)];
    await waitFor('the extra jobs waiting for room', async () => {
      const jobs = await Promise.all(waiting.map((id) => cluster.getJson<JobView>(`/v1/jobs/${id}`)));
      return jobs.every((j) => j.status === 'queued' && (j.reason ?? '').includes('waiting for room'));
    });
    // And an all-or-nothing group of two, whose second job has no message of its own: its first job's carries it.
    const made = await cluster.submit({ ...sleeper, name: 'pair', replicas: 2, allOrNothing: true });
    expect(made.status).toBe(202);
    const gang = (await made.json()) as GroupView;
    await waitFor(
      'the group waiting for room',
      async () =>
        (await cluster.getJson<JobView>(`/v1/jobs/${gang.jobs[0].id}`)).reason?.includes('all or nothing') === true,
    );

    expect(await keysOf(redis.url, cluster.prefix)).toBeGreaterThan(0);
    // SHUTDOWN NOSAVE and a fresh redis-server on the same port: every key is gone, every connection dropped.
    await redis.restart();

    // An agent notices at its next heartbeat, sees its containers, and pauses placement while hosts report.
    await waitFor('placement paused for recovery', async () => {
      const ready = await cluster.getJson<{ recovery: { placementPausedForMs: number } | null }>('/readyz');
      return ready.recovery !== null && ready.recovery.placementPausedForMs > 0;
    });
    // A job submitted during the pause is accepted, and waits, saying why.
    const duringPause = await cluster.accepted(sleeper);
    await waitFor('the new job waiting for the pause', async () => {
      const job = await cluster.getJson<JobView>(`/v1/jobs/${duringPause}`);
      return job.status === 'queued' && (job.reason ?? '').includes('rebuilding its state after Redis lost it');
    });

    // Every record comes back from the hosts: same host, same container, same ending.
    await waitFor('records rebuilt from the hosts', async () => {
      const jobs = await Promise.all(sleepers.map((id) => cluster.getJson<JobView>(`/v1/jobs/${id}`)));
      return jobs.every((j) => j.status === 'running');
    });
    for (const id of sleepers) {
      const job = await cluster.getJson<JobView>(`/v1/jobs/${id}`);
      expect([job.node, job.containerId]).toEqual([before.get(id)!.node, before.get(id)!.containerId]);
      expect(job.reason).toContain("after Berth's state was lost");
      expect(job.cmd).toEqual(['sleep', '600']);
    }
    await waitFor('the exited job rebuilt', async () => {
      const job = await cluster.getJson<JobView>(`/v1/jobs/${quick}`);
      return job.status === 'exited' && job.exitCode === 0;
    });
    // The name is claimed again by the job that holds it.
    const clash = await cluster.submit({ ...sleeper, name: 'db' });
    expect(clash.status).toBe(409);
    expect(await clash.text()).toContain(sleepers[0]);

    // The waiting jobs come back from their messages once placement resumes, and still find no room: the books
    // were rebuilt before anything was placed.
    await waitFor('placement resumed', async () => {
      const ready = await cluster.getJson<{ recovery: unknown }>('/readyz');
      return ready.recovery === null;
    });
    await waitFor('the waiting jobs rebuilt from their messages, still waiting', async () => {
      const jobs = await Promise.all([...waiting, duringPause].map((id) => cluster.getJson<JobView>(`/v1/jobs/${id}`)));
      return jobs.every((j) => j.status === 'queued' && (j.reason ?? '').includes('waiting for room'));
    });
    // The group's both jobs and its record, rebuilt from the first job's message.
    await waitFor('the group rebuilt', async () => {
      const response = await cluster.fetch(`/v1/groups/${gang.id}`);
      return response.ok && ((await response.json()) as GroupView).counts.queued === 2;
    });
    const perJob = await booksMatchDocker(cluster);
    expect([...perJob.keys()].sort()).toEqual([...sleepers].sort());
    expect([...perJob.values()].every((n) => n === 1)).toBe(true);

    // Room frees: the waiting jobs run, each once, and the books still equal docker ps.
    for (const id of sleepers.slice(3)) {
      expect((await cluster.remove(id)).status).toBe(202);
    }
    const pair = gang.jobs.map((j) => j.id);
    await waitFor('the waiting jobs running', async () => {
      const jobs = await Promise.all(
        [...waiting, duringPause, ...pair].map((id) => cluster.getJson<JobView>(`/v1/jobs/${id}`)),
      );
      return jobs.every((j) => j.status === 'running');
    });
    await waitFor('books equal docker ps', async () => {
      await booksMatchDocker(cluster);
      return true;
    });
    const running = new Map<string, number>();
    for (const host of cluster.hosts) {
      for (const c of await cluster.containersOn(host)) {
        if (c.State === 'running') {
          running.set(c.Labels[LABEL_JOB], (running.get(c.Labels[LABEL_JOB]) ?? 0) + 1);
        }
      }
    }
    expect([...running.keys()].sort()).toEqual([...sleepers.slice(0, 3), ...waiting, duringPause, ...pair].sort());
    expect([...running.values()].every((n) => n === 1)).toBe(true);
  });
});
