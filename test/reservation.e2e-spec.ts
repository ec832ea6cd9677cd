import { RedisState } from '@berth/state';
import { REDIS_URL } from './support/cluster';

/**
 * The reservation script against a real Redis, hit by many clients at once: it is the only thing that stands
 * between concurrent schedulers and an over-committed host.
 */
describe('reserveCapacity and releaseCapacity (real Redis, concurrent clients)', () => {
  const prefix = `e2e-resv-${process.pid}`;
  const clients = Array.from({ length: 8 }, () => RedisState.connect(REDIS_URL, prefix, 60_000, 'e2e'));
  const [first] = clients;

  afterAll(async () => {
    const keys = await first.redis.keys(`${prefix}:*`);
    if (keys.length > 0) {
      await first.redis.del(...keys);
    }
    await Promise.all(clients.map((c) => c.close()));
  });

  it('grants exactly what fits out of 300 simultaneous requests, and each release once', async () => {
    await first.registerNode({
      id: 'n1',
      address: 'unix:///x',
      capacity: { cpuMillis: 10_000, memoryMiB: 1000 },
      labels: {},
    });
    const requests = Array.from({ length: 300 }, (_, i) =>
      clients[i % clients.length].reserveCapacity(`job-${i}`, 'n1', { cpuMillis: 100, memoryMiB: 27 }),
    );
    const results = await Promise.all(requests);
    const granted = results.filter((r) => r.ok).length;
    expect(granted).toBe(Math.floor(1000 / 27)); // 37
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.why === 'memory')).toBe(true);

    const [node] = await first.listNodes();
    expect(node.allocated).toEqual({ cpuMillis: granted * 100, memoryMiB: granted * 27 });
    expect(node.containers).toBe(granted);

    // A retry of a granted job is idempotent: same node, nothing taken twice.
    const winner = results.findIndex((r) => r.ok);
    expect(await first.reserveCapacity(`job-${winner}`, 'n1', { cpuMillis: 100, memoryMiB: 27 })).toEqual({
      ok: true,
      nodeId: 'n1',
    });
    expect((await first.listNodes())[0].allocated.memoryMiB).toBe(granted * 27);

    // Releasing every job twice, concurrently, frees each reservation exactly once.
    const releases = await Promise.all(
      [...Array(300).keys(), ...Array(300).keys()].map((i) => clients[i % clients.length].releaseCapacity(`job-${i}`)),
    );
    expect(releases.filter(Boolean)).toHaveLength(granted);
    const [after] = await first.listNodes();
    expect(after.allocated).toEqual({ cpuMillis: 0, memoryMiB: 0 });
    expect(after.containers).toBe(0);
  });

  it('refuses a host whose heartbeat has lapsed', async () => {
    const stale = new RedisState(first.redis, prefix, 1_000);
    await stale.registerNode(
      { id: 'n2', address: 'unix:///y', capacity: { cpuMillis: 1000, memoryMiB: 1000 }, labels: {} },
      new Date(Date.now() - 5_000),
    );
    expect(await stale.reserveCapacity('late-job', 'n2', { cpuMillis: 1, memoryMiB: 6 })).toEqual({
      ok: false,
      why: 'down',
    });
  });

  it('moves a job only forward', async () => {
    await first.createJob(
      'j1',
      { image: 'x', env: {}, labels: {}, resources: { cpuMillis: 1, memoryMiB: 6 } },
      new Date(),
    );
    expect(await first.transitionJob('j1', 'scheduled', { node: 'n1' })).toEqual({ outcome: 'ok', previous: 'queued' });
    expect(await first.transitionJob('j1', 'running', { containerId: 'c1' })).toEqual({
      outcome: 'ok',
      previous: 'scheduled',
    });
    expect(await first.transitionJob('j1', 'scheduled')).toEqual({ outcome: 'refused', current: 'running' });
    expect(await first.transitionJob('j1', 'running')).toEqual({ outcome: 'same', previous: 'running' });
    const job = await first.getJob('j1');
    expect(job?.history.map((h) => h.status)).toEqual(['queued', 'scheduled', 'running']);
    expect(job?.node).toBe('n1');
    expect(job?.containerId).toBe('c1');
  });
});
