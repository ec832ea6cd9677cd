import Redis from 'ioredis';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { TestCluster, testHosts, waitFor } from './support/cluster';
import { OwnRedis } from './support/redis-server';

const sleeper = { image: 'berth/busybox:latest', cmd: ['sleep', '600'], resources: { cpuMillis: 100, memoryMiB: 16 } };

/** Redis answers that mean "try again" reach clients as 503 with Retry-After, never as 500. */
describe('Redis errors that mean "try again"', () => {
  const redis = new OwnRedis({ appendOnly: true });
  let cluster: TestCluster;
  let admin: Redis;

  beforeAll(async () => {
    await redis.start();
    admin = new Redis(redis.url);
    cluster = new TestCluster({ hosts: testHosts(1), redisUrl: redis.url });
    await cluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
    admin?.disconnect();
    await redis.stop();
  });

  it('answers 503 with Retry-After while Redis is out of memory, and accepts again once it is not', async () => {
    await admin.config('SET', 'maxmemory', '1');
    try {
      const refused = await cluster.submit(sleeper);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await refused.json()) as { detail: string }).detail).toMatch(/^a dependency is unavailable: OOM/);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    expect((await cluster.submit(sleeper)).status).toBe(202);
  });

  it('answers 503, never 500, while a Redis with an append-only file restarts and reloads it', async () => {
    const kept = await cluster.settled<JobView>(await cluster.accepted(sleeper));
    // Enough data that reloading it takes a moment, written to the append-only file.
    await admin.call('DEBUG', 'POPULATE', '300000', 'filler', '64');
    await admin.bgrewriteaof();
    await waitFor('the append-only file rewritten', async () =>
      /aof_rewrite_in_progress:0/.test(await admin.info('persistence')),
    );
    admin.disconnect();

    // Ten clients asking all through the restart: each answer is 200 (ioredis resends what was in flight once the
    // server is back and has loaded its data) or 503 with Retry-After, never 500.
    const answers: Array<{ status: number; retryAfter: string | null }> = [];
    let restarted = false;
    const restart = redis.restart().then(() => (restarted = true));
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (!restarted) {
          const response = await cluster.fetch('/v1/jobs?limit=1');
          answers.push({ status: response.status, retryAfter: response.headers.get('retry-after') });
        }
      }),
    );
    await restart;
    await waitFor('the gateway answering again', async () => (await cluster.fetch('/v1/jobs?limit=1')).ok);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((a) => !(a.status === 200 || (a.status === 503 && Number(a.retryAfter) > 0)))).toEqual([]);
    // The append-only file brought the job back.
    expect((await cluster.getJson<JobView>(`/v1/jobs/${kept.id}`)).status).toBe('running');
    admin = new Redis(redis.url);
  });
});
