import Redis from 'ioredis';
import { JobSpec } from '@berth/contracts';
import { BerthState, WAITING_GRACE_MS } from '@berth/state';
import { REDIS_URL } from './support/cluster';

/**
 * The waiting set on real Redis: the jobs that wait between placement tries, so that a try the broker loses is made
 * again, and the attempt that keeps the copies of a job's message from making two lines of tries.
 */
describe('jobs waiting between placement tries (real Redis)', () => {
  const prefix = `e2e-waiting-${process.pid}`;
  const redis = new Redis(REDIS_URL);
  const state = new BerthState(new Redis(REDIS_URL), { prefix, nodeTimeoutMs: 60_000 });
  const spec: JobSpec = {
    image: 'berth/busybox:latest',
    env: {},
    labels: {},
    resources: { cpuMillis: 100, memoryMiB: 16 },
    placementTimeoutSeconds: 300,
  };
  const since = '2026-12-04T10:00:00.000Z';
  let serial = 0;
  async function queued(): Promise<string> {
    const id = `job-${++serial}`;
    await state.jobs.create(id, 'team', spec, new Date());
    return id;
  }
  /** Makes a job's try overdue now, as if its delay and the grace had passed. */
  const overdue = (id: string) => redis.zadd(state.keys.waiting, 0, id);
  const dueAt = async (id: string) => Number(await redis.zscore(state.keys.waiting, id));

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    await redis.quit();
    await state.close();
  });

  it('moves a waiting job to its next attempt only from its current one, and puts it on the set', async () => {
    const id = await queued();
    const [seconds] = await redis.time();
    expect(await state.waiting.defer(id, 0, 2000, 'waiting for room: none', since)).toEqual({
      outcome: 'ok',
      attempt: 1,
    });
    // Due once its delay and the grace have passed, by Redis's clock.
    expect(await dueAt(id)).toBeGreaterThanOrEqual(Number(seconds) * 1000 + 2000 + WAITING_GRACE_MS);
    // A second copy of the message it came from is late: it must not make a second line of tries.
    expect(await state.waiting.defer(id, 0, 2000, 'waiting for room: none', since)).toEqual({
      outcome: 'stale',
      attempt: 1,
    });
    expect(await state.waiting.defer(id, 1, 5000, 'waiting for room: still none', since)).toEqual({
      outcome: 'ok',
      attempt: 2,
    });
    expect((await state.jobs.get(id))?.reason).toBe('waiting for room: still none');
  });

  it('refuses a job that is no longer queued, and says when the record is gone', async () => {
    const id = await queued();
    await state.jobs.transition(id, 'removing');
    expect(await state.waiting.defer(id, 0, 1000, 'waiting', since)).toEqual({
      outcome: 'refused',
      current: 'removing',
    });
    expect(await state.waiting.defer('no-such-job', 0, 1000, 'waiting', since)).toEqual({ outcome: 'missing' });
  });

  it('claims only overdue tries, each once, and moves the claimed job to a new attempt', async () => {
    const early = await queued();
    const late = await queued();
    await state.waiting.defer(early, 0, 1000, 'waiting', since);
    await state.waiting.defer(late, 0, 1000, 'waiting', since);
    await overdue(late);
    expect(await state.waiting.claimOverdue(100)).toEqual([{ jobId: late, attempt: 2, placingSince: since }]);
    // Leased: not overdue again until the lease runs out.
    expect(await state.waiting.claimOverdue(100)).toEqual([]);
    // The copy that was lost, if it turns up after all, is stale now.
    expect((await state.waiting.defer(late, 1, 1000, 'waiting', since)).outcome).toBe('stale');
  });

  it('gives an overdue job to one of several sweepers claiming at once', async () => {
    const id = await queued();
    await state.waiting.defer(id, 0, 1000, 'waiting', since);
    await overdue(id);
    const claims = await Promise.all(Array.from({ length: 5 }, () => state.waiting.claimOverdue(100)));
    expect(claims.flat()).toEqual([{ jobId: id, attempt: 2, placingSince: since }]);
  });

  it('drops from the set a job that no longer waits, and keeps one being removed before it reached a host', async () => {
    const placed = await queued();
    const taken = await queued();
    await state.waiting.defer(placed, 0, 1000, 'waiting', since);
    await state.waiting.defer(taken, 0, 1000, 'waiting', since);
    await state.jobs.transition(placed, 'unschedulable', { reason: 'timed out' });
    // DELETE of a waiting job: the scheduler finishes the removal when its message comes, so it must come.
    await state.jobs.transition(taken, 'removing');
    await overdue(placed);
    await overdue(taken);
    expect(await state.waiting.claimOverdue(100)).toEqual([{ jobId: taken, attempt: 2, placingSince: since }]);
    expect(await redis.zscore(state.keys.waiting, placed)).toBeNull();
  });
});
