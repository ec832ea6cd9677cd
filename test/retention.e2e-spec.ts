import Redis from 'ioredis';
import { JobSpec } from '@berth/contracts';
import { BerthState } from '@berth/state';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { eventually, REDIS_URL, TestCluster, testHosts } from './support/cluster';
import { tracesOf } from './support/job-traces';

const HOUR_MS = 3_600_000;

/** The scripts on real Redis: which jobs start their retention, and what an expiry deletes and what it leaves. */
describe('job retention in Redis (real Redis)', () => {
  const prefix = `e2e-retention-${process.pid}`;
  const redis = new Redis(REDIS_URL);
  const state = new BerthState(new Redis(REDIS_URL), { prefix, nodeTimeoutMs: 60_000 });
  const spec = (name?: string): JobSpec => ({
    image: 'berth/busybox:latest',
    env: {},
    labels: {},
    resources: { cpuMillis: 100, memoryMiB: 16 },
    placementTimeoutSeconds: 300,
    ...(name ? { name } : {}),
  });
  const expiring = () => redis.zrange(state.keys.expiring, 0, -1);
  let serial = 0;
  const fresh = () => `job-${++serial}`;

  beforeAll(async () => {
    await state.nodes.register({
      id: 'h1',
      address: 'unix:///x',
      capacity: { cpuMillis: 1000, memoryMiB: 100 },
      labels: {},
    });
    await state.nodes.markReady('h1');
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    await state.close();
    await redis.quit();
  });

  it('expires a removed job with its record, index entries, name and idempotency key, once it is due', async () => {
    const id = fresh();
    await state.jobs.create(id, 'team', spec('web'), new Date(), { key: 'order-1', fingerprint: 'f' });
    await state.jobs.transition(id, 'removing');
    await state.jobs.transition(id, 'removed');
    // Removal freed the name already; the record, its index entry and the idempotency key stay for the retention.
    expect(await expiring()).toContain(id);
    expect(await state.retention.expire(id, HOUR_MS)).toBe('early');
    expect(await state.jobs.get(id)).not.toBeNull();

    expect(await state.retention.expire(id, 0)).toBe('expired');
    expect(await state.jobs.get(id)).toBeNull();
    // All that is left is a tombstone, and it goes by itself after the retention.
    expect(await tracesOf(redis, prefix, id)).toEqual([`${state.keys.tombstone(id)} (its name)`]);
    expect(await redis.ttl(state.keys.tombstone(id))).toBeGreaterThan(0);
    expect(await state.recovery.restore({ ...restorable(id), spec: spec('web') })).toBe('tombstoned');
  });

  it('expires an unschedulable job and frees its name, so a new job may take it', async () => {
    const id = fresh();
    await state.jobs.create(id, 'team', spec('batch'), new Date());
    await state.jobs.transition(id, 'unschedulable', { reason: 'no room' });
    expect(await state.names.holderOf('team', 'batch')).toBe(id);
    expect(await state.jobs.create(fresh(), 'team', spec('batch'), new Date())).toMatchObject({ created: false });

    expect(await state.retention.expire(id, 0)).toBe('expired');
    expect(await tracesOf(redis, prefix, id)).toEqual([`${state.keys.tombstone(id)} (its name)`]);
    expect(await state.jobs.create(fresh(), 'team', spec('batch'), new Date())).toMatchObject({ created: true });
  });

  it('keeps a job with a container until it is removed, and any job that is not finished', async () => {
    const running = fresh();
    await state.jobs.create(running, 'team', spec(), new Date());
    await state.jobs.transition(running, 'scheduled', { node: 'h1' });
    await state.jobs.transition(running, 'running', { containerId: 'c1' });
    const failedWithContainer = fresh();
    await state.jobs.create(failedWithContainer, 'team', spec(), new Date());
    await state.jobs.transition(failedWithContainer, 'scheduled', { node: 'h1' });
    await state.jobs.transition(failedWithContainer, 'running', { containerId: 'c2' });
    await state.jobs.transition(failedWithContainer, 'failed', { reason: 'exited with code 1', exitCode: '1' });
    // Ended before its start was recorded: no container id, but an exit code says a container is there.
    const endedEarly = fresh();
    await state.jobs.create(endedEarly, 'team', spec(), new Date());
    await state.jobs.transition(endedEarly, 'scheduled', { node: 'h1' });
    await state.jobs.transition(endedEarly, 'failed', { reason: 'exited with code 2', exitCode: '2' });
    const exited = fresh();
    await state.jobs.create(exited, 'team', spec(), new Date());
    await state.jobs.transition(exited, 'scheduled', { node: 'h1' });
    await state.jobs.transition(exited, 'exited', { reason: 'exited with code 0', exitCode: '0' });

    const kept = [running, failedWithContainer, endedEarly, exited];
    expect((await expiring()).filter((id) => kept.includes(id))).toEqual([]);
    for (const id of kept) {
      expect(await state.retention.expire(id, 0)).toBe('kept');
      expect(await state.jobs.get(id)).not.toBeNull();
    }
    // Removed at last, it starts its retention.
    await state.jobs.transition(exited, 'removing');
    await state.jobs.transition(exited, 'removed');
    expect(await state.retention.expire(exited, 0)).toBe('expired');
  });

  it('takes a job off the list when it leaves a final status, and puts it back when it finishes again', async () => {
    const id = fresh();
    await state.jobs.create(id, 'team', spec(), new Date());
    await state.jobs.transition(id, 'scheduled', { node: 'h1' });
    await state.jobs.transition(id, 'failed', { reason: 'Docker refused it' });
    expect(await expiring()).toContain(id);
    const finishedAt = await redis.zscore(state.keys.expiring, id);
    // A replay of the same report keeps its first time: the retention is not pushed back.
    await state.jobs.transition(id, 'failed', { reason: 'Docker refused it' });
    expect(await redis.zscore(state.keys.expiring, id)).toBe(finishedAt);
    await state.jobs.transition(id, 'removing');
    expect(await expiring()).not.toContain(id);
    expect(await state.retention.expire(id, 0)).toBe('kept');
    expect(await state.jobs.get(id)).not.toBeNull();
    await state.jobs.transition(id, 'removed');
    expect(await expiring()).toContain(id);

    // A failed report that names a container after all: the job keeps it until removed.
    const late = fresh();
    await state.jobs.create(late, 'team', spec(), new Date());
    await state.jobs.transition(late, 'scheduled', { node: 'h1' });
    await state.jobs.transition(late, 'failed', { reason: 'vanished' });
    await state.jobs.transition(late, 'failed', { containerId: 'c9' });
    expect(await expiring()).not.toContain(late);
  });

  it('never frees a name or an idempotency key another job holds, and gives back a reservation left behind', async () => {
    const id = fresh();
    await state.jobs.create(id, 'team', spec('api'), new Date(), { key: 'order-2', fingerprint: 'f' });
    expect(
      await state.nodes.reserve(
        id,
        'h1',
        {
          resources: { cpuMillis: 100, memoryMiB: 16 },
          ports: [],
          slots: 10,
          workload: { jobId: id, image: 'x', labels: {}, ports: [] },
        },
        { schedule: true },
      ),
    ).toMatchObject({ ok: true });
    await state.jobs.transition(id, 'removing');
    // Removed without its capacity coming back (a leak), and still on the waiting set.
    await state.jobs.transition(id, 'removed');
    await redis.zadd(state.keys.waiting, Date.now(), id);
    // Both claims have moved on to other jobs meanwhile.
    await redis.set(state.keys.name('team/api'), 'someone-else');
    await redis.set(state.keys.idempotency('team/order-2'), 'someone-else|f');

    expect(await state.retention.expire(id, 0)).toBe('expired');
    expect(await tracesOf(redis, prefix, id)).toEqual([`${state.keys.tombstone(id)} (its name)`]);
    expect(await redis.get(state.keys.name('team/api'))).toBe('someone-else');
    expect(await redis.get(state.keys.idempotency('team/order-2'))).toBe('someone-else|f');
    expect((await state.nodes.list()).find((n) => n.id === 'h1')).toMatchObject({
      allocated: { cpuMillis: 0, memoryMiB: 0 },
      containers: 0,
    });
  });

  it('expires a job once when several sweepers reach it at the same moment', async () => {
    const id = fresh();
    await state.jobs.create(id, 'team', spec('once'), new Date(), { key: 'order-3', fingerprint: 'f' });
    await state.jobs.transition(id, 'unschedulable', { reason: 'no room' });
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => state.retention.expire(id, 0)));
    expect(outcomes.sort()).toEqual(['expired', 'kept', 'kept', 'kept']);
    expect(await state.retention.due(0, 100)).not.toContain(id);
  });

  /** What an agent would rebuild the job from (a container of it). */
  function restorable(id: string) {
    return {
      id,
      namespace: 'team',
      status: 'running' as const,
      node: 'h1',
      containerId: 'c',
      createdAt: new Date(),
      history: [],
      reason: 'rebuilt',
      exitCode: null,
    };
  }
});

/** The whole cluster with a 2 s retention: the scheduler sweeps finished jobs out of Redis, and nothing else. */
describe('job retention (real RabbitMQ, Redis and dockerd)', () => {
  const cluster = new TestCluster({
    hosts: testHosts(1),
    agentEnv: { BERTH_NODE_CPU_MILLIS: '1000', BERTH_NODE_MEMORY_MIB: '256' },
    schedulerEnv: { BERTH_JOB_RETENTION_SECONDS: '2' },
  });
  const redis = new Redis(REDIS_URL);
  const job = { image: 'berth/busybox:latest', resources: { cpuMillis: 100, memoryMiB: 16 } };

  beforeAll(() => cluster.start());
  afterAll(async () => {
    await cluster.stop();
    await redis.quit();
  });

  function submitWithKey(body: unknown, key: string): Promise<Response> {
    return cluster.fetch('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
  }

  async function idOf(response: Response): Promise<string> {
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  }

  it('deletes a removed and an unschedulable job completely, frees their name and key, and keeps an exited one', async () => {
    const removedBody = { ...job, name: 'web', cmd: ['sleep', '3600'] };
    const removed = await idOf(await submitWithKey(removedBody, 'order-web'));
    const unschedulableBody = { ...job, name: 'huge', resources: { cpuMillis: 100, memoryMiB: 4096 } };
    const unschedulable = await idOf(
      await submitWithKey({ ...unschedulableBody, placementTimeoutSeconds: 0 }, 'order-huge'),
    );
    const exited = await cluster.accepted({ ...job, name: 'done', cmd: ['true'] });

    expect((await cluster.settled<JobView>(removed)).status).toBe('running');
    expect((await cluster.remove(removed)).status).toBe(202);
    expect((await cluster.settled<JobView>(unschedulable)).status).toBe('unschedulable');
    expect((await cluster.ended<JobView>(exited)).status).toBe('exited');
    // Until it expires, an unschedulable job holds its name.
    expect((await cluster.submit({ ...unschedulableBody, placementTimeoutSeconds: 0 })).status).toBe(409);

    for (const id of [removed, unschedulable]) {
      await eventually(`job ${id} gone from the API`, async () => {
        expect((await cluster.fetch(`/v1/jobs/${id}`)).status).toBe(404);
      });
      // Every key, index entry and claim, found by looking at every key of the cluster; the tombstone goes too.
      await eventually(`no trace of job ${id} in Redis`, async () => {
        expect(await tracesOf(redis, cluster.prefix, id)).toEqual([]);
      });
    }
    const listed = await cluster.getJson<{ items: JobView[] }>('/v1/jobs?limit=500');
    expect(listed.items.map((j) => j.id)).toEqual([exited]);

    // The name is free again, and the idempotency key makes a new job instead of answering with the expired one.
    const reused = await idOf(await cluster.submit({ ...unschedulableBody, placementTimeoutSeconds: 0 }));
    expect(reused).not.toBe(unschedulable);
    const again = await idOf(await submitWithKey(removedBody, 'order-web'));
    expect(again).not.toBe(removed);

    // The new unschedulable job finished after the exited one did: once it has expired, the exited job has been
    // finished for longer than the retention, and it stays, with its container, for as long as it is not removed.
    await eventually(`job ${reused} expired`, async () => {
      expect((await cluster.fetch(`/v1/jobs/${reused}`)).status).toBe(404);
    });
    expect(await cluster.getJson<JobView>(`/v1/jobs/${exited}`)).toMatchObject({ status: 'exited', name: 'done' });
    expect(await redis.zscore(`${cluster.prefix}:expiring`, exited)).toBeNull();
    expect((await cluster.containersOn(cluster.hosts[0])).map((c) => c.Labels['berth.job'])).toContain(exited);
  });
});
