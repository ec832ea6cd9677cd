import { BerthState, Claim } from '@berth/state';
import { REDIS_URL } from './support/cluster';

/**
 * The reservation script against a real Redis, hit by many clients at once: it is the only thing that stands
 * between concurrent schedulers and an over-committed host.
 */
const claim = (jobId: string, over: Partial<Claim> = {}): Claim => ({
  resources: { cpuMillis: 100, memoryMiB: 27 },
  workload: { jobId, image: 'x', labels: {}, ports: over.ports ? [...over.ports] : [] },
  ...over,
});

describe('reserveCapacity and releaseCapacity (real Redis, concurrent clients)', () => {
  const prefix = `e2e-resv-${process.pid}`;
  const clients = Array.from({ length: 8 }, () =>
    BerthState.connect(REDIS_URL, 'e2e', { prefix, nodeTimeoutMs: 60_000 }),
  );
  const [first] = clients;

  afterAll(async () => {
    const keys = await first.redis.keys(`${prefix}:*`);
    if (keys.length > 0) {
      await first.redis.del(...keys);
    }
    await Promise.all(clients.map((c) => c.close()));
  });

  it('grants exactly what fits out of 300 simultaneous requests, and each release once', async () => {
    await first.nodes.register({
      id: 'n1',
      address: 'unix:///x',
      capacity: { cpuMillis: 10_000, memoryMiB: 1000 },
      labels: {},
    });
    // A host registers as restoring and takes nothing until its agent has rebuilt its books.
    expect(await first.nodes.reserve('too-early', 'n1', claim('too-early'))).toEqual({ ok: false, why: 'down' });
    await first.nodes.markReady('n1');
    const requests = Array.from({ length: 300 }, (_, i) =>
      clients[i % clients.length].nodes.reserve(`job-${i}`, 'n1', claim(`job-${i}`)),
    );
    const results = await Promise.all(requests);
    const granted = results.filter((r) => r.ok).length;
    expect(granted).toBe(Math.floor(1000 / 27)); // 37
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.why === 'memory')).toBe(true);

    const [node] = await first.nodes.list();
    expect(node.allocated).toEqual({ cpuMillis: granted * 100, memoryMiB: granted * 27 });
    expect(node.containers).toBe(granted);

    // A retry of a granted job is idempotent: same node, nothing taken twice.
    const winner = results.findIndex((r) => r.ok);
    expect(await first.nodes.reserve(`job-${winner}`, 'n1', claim(`job-${winner}`))).toEqual({
      ok: true,
      nodeId: 'n1',
      alreadyHeld: true,
    });
    expect((await first.nodes.list())[0].allocated.memoryMiB).toBe(granted * 27);

    // Releasing every job twice, concurrently, frees each reservation exactly once.
    const releases = await Promise.all(
      [...Array(300).keys(), ...Array(300).keys()].map((i) => clients[i % clients.length].nodes.release(`job-${i}`)),
    );
    expect(releases.filter(Boolean)).toHaveLength(granted);
    const [after] = await first.nodes.list();
    expect(after.allocated).toEqual({ cpuMillis: 0, memoryMiB: 0 });
    expect(after.containers).toBe(0);
  });

  it('refuses a host whose heartbeat has lapsed', async () => {
    const stale = new BerthState(first.redis, { prefix, nodeTimeoutMs: 1_000 });
    await stale.nodes.register({
      id: 'n2',
      address: 'unix:///y',
      capacity: { cpuMillis: 1000, memoryMiB: 1000 },
      labels: {},
    });
    await stale.nodes.markReady('n2');
    // Heartbeats are stamped by Redis's clock: a lapsed one is a stamp older than the timeout.
    await first.redis.hset(stale.keys.host('n2').node, 'heartbeatMs', String(Date.now() - 5_000));
    expect(await stale.nodes.reserve('late-job', 'n2', claim('late-job'))).toEqual({
      ok: false,
      why: 'down',
    });
  });

  const spec = {
    image: 'x',
    env: {},
    labels: {},
    resources: { cpuMillis: 1, memoryMiB: 6 },
    placementTimeoutSeconds: 0,
  };

  it('takes container slots and host ports race-free, and gives them back on release', async () => {
    await first.nodes.register({
      id: 'n3',
      address: 'unix:///z',
      capacity: { cpuMillis: 100_000, memoryMiB: 100_000 },
      labels: {},
    });
    await first.nodes.markReady('n3');
    const slotted = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        clients[i % clients.length].nodes.reserve(`slot-${i}`, 'n3', claim(`slot-${i}`, { slots: 7 })),
      ),
    );
    expect(slotted.filter((r) => r.ok)).toHaveLength(7);
    expect(slotted.filter((r) => !r.ok).every((r) => !r.ok && r.why === 'slots')).toBe(true);

    const ported = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        clients[i % clients.length].nodes.reserve(`port-${i}`, 'n3', claim(`port-${i}`, { ports: [8080] })),
      ),
    );
    expect(ported.filter((r) => r.ok)).toHaveLength(1);
    expect(ported.filter((r) => !r.ok).every((r) => !r.ok && r.why === 'port:8080')).toBe(true);
    const holder = ported.findIndex((r) => r.ok);
    const [details] = (await first.nodes.listDetails()).filter((n) => n.id === 'n3');
    expect(details.workloads.map((w) => w.jobId)).toContain(`port-${holder}`);

    expect(await first.nodes.release(`port-${holder}`)).toBe(true);
    expect((await first.nodes.reserve('port-next', 'n3', claim('port-next', { ports: [8080] }))).ok).toBe(true);
    const [after] = (await first.nodes.listDetails()).filter((n) => n.id === 'n3');
    expect(after.workloads.map((w) => w.jobId)).not.toContain(`port-${holder}`);
  });

  it('reserves and schedules a job in one step, and only a queued one', async () => {
    await first.jobs.create('js', 'default', spec, new Date());
    expect(await first.nodes.reserve('js', 'n3', claim('js'), { schedule: true })).toMatchObject({
      ok: true,
      alreadyHeld: false,
    });
    const job = await first.jobs.get('js');
    expect(job?.status).toBe('scheduled');
    expect(job?.node).toBe('n3');
    expect(await first.nodes.release('js')).toBe(true);
    // No longer queued: refused without taking anything.
    expect(await first.nodes.reserve('js', 'n3', claim('js'), { schedule: true })).toEqual({
      ok: false,
      why: 'job',
      status: 'scheduled',
    });
    expect(await first.nodes.reserve('nojob', 'n3', claim('nojob'), { schedule: true })).toEqual({
      ok: false,
      why: 'job',
      status: 'missing',
    });
  });

  it('frees a job name when the job is removed, and refuses it while in use', async () => {
    const named = { ...spec, name: 'unique-web' };
    expect((await first.jobs.create('jn1', 'default', named, new Date())).created).toBe(true);
    expect(await first.jobs.create('jn2', 'default', named, new Date())).toEqual({ created: false, holder: 'jn1' });
    await first.jobs.transition('jn1', 'removing');
    await first.jobs.transition('jn1', 'removed');
    expect((await first.jobs.create('jn2', 'default', named, new Date())).created).toBe(true);
  });

  it('moves a job only forward', async () => {
    await first.jobs.create('j1', 'default', spec, new Date());
    expect(await first.jobs.transition('j1', 'scheduled', { node: 'n1' })).toEqual({
      outcome: 'ok',
      previous: 'queued',
    });
    expect(await first.jobs.transition('j1', 'running', { containerId: 'c1' })).toEqual({
      outcome: 'ok',
      previous: 'scheduled',
    });
    expect(await first.jobs.transition('j1', 'scheduled')).toEqual({ outcome: 'refused', current: 'running' });
    expect(await first.jobs.transition('j1', 'running')).toEqual({ outcome: 'same', previous: 'running' });
    const job = await first.jobs.get('j1');
    expect(job?.history.map((h) => h.status)).toEqual(['queued', 'scheduled', 'running']);
    expect(job?.node).toBe('n1');
    expect(job?.containerId).toBe('c1');
  });

  it('reserves an all-or-nothing group whole or not at all, with 20 groups racing for room for one', async () => {
    for (const id of ['g1', 'g2']) {
      await first.nodes.register({
        id,
        address: `unix:///${id}`,
        capacity: { cpuMillis: 10_000, memoryMiB: 100 },
        labels: {},
      });
      await first.nodes.markReady(id);
    }
    const spec = {
      image: 'x',
      env: {},
      labels: {},
      resources: { cpuMillis: 100, memoryMiB: 30 },
      placementTimeoutSeconds: 0,
    };
    // Each group asks 60 MiB of g1 (two members) and 30 of g2: only one group fits g1's 100.
    const groups = await Promise.all(
      Array.from({ length: 20 }, async (_, g) => {
        const members = [0, 1, 2].map((i) => ({ id: `gang-${g}-${i}`, spec: { ...spec, name: `gang-${g}-${i}` } }));
        const made = await first.groups.create(
          { id: `group-${g}`, namespace: 'default', name: `gang-${g}`, allOrNothing: true },
          members,
          new Date(),
        );
        expect(made.created).toBe(true);
        return members.map((m, i) => ({
          jobId: m.id,
          nodeId: i === 2 ? 'g2' : 'g1',
          resources: spec.resources,
          workload: { jobId: m.id, image: 'x', labels: {}, ports: [] },
        }));
      }),
    );
    const results = await Promise.all(
      groups.map((claims, g) => clients[g % clients.length].nodes.reserveGroup(claims)),
    );
    const winners = results.flatMap((r, g) => (r.ok ? [g] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.why === 'refused' && r.reason === 'memory')).toBe(true);
    const books = Object.fromEntries((await first.nodes.list()).map((n) => [n.id, n]));
    expect([books.g1.allocated.memoryMiB, books.g2.allocated.memoryMiB]).toEqual([60, 30]);
    expect([books.g1.containers, books.g2.containers]).toEqual([2, 1]);
    // Every member of the winner is scheduled on its host; no member of a loser moved or holds anything.
    for (const [g, claims] of groups.entries()) {
      for (const c of claims) {
        const job = await first.jobs.get(c.jobId);
        expect([job?.status, job?.node]).toEqual(g === winners[0] ? ['scheduled', c.nodeId] : ['queued', null]);
        expect(await first.redis.exists(first.keys.reservation(c.jobId))).toBe(g === winners[0] ? 1 : 0);
      }
    }
    // A redelivery finds the group held; two members on one host may not bind the same port.
    expect(await first.nodes.reserveGroup(groups[winners[0]])).toMatchObject({ ok: false, why: 'held' });
    const loser = groups[(winners[0] + 1) % groups.length].map((c) => ({ ...c, nodeId: 'g2', ports: [8080] }));
    expect(await first.nodes.reserveGroup(loser)).toEqual({
      ok: false,
      why: 'refused',
      nodeId: 'g2',
      reason: 'port:8080',
    });
  });
});
