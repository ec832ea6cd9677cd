import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { JobSpec } from '@berth/contracts';
import { toDeadLetterRecord } from '@berth/messaging';
import { BerthState, SCRIPTS, ScriptGuard } from '@berth/state';
import { REDIS_URL } from './support/cluster';

/** An ACL key pattern that matches exactly this key. */
function exactly(key: string): string {
  return `~${key.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}`;
}

/**
 * Every Lua script touches only the keys it is given in KEYS: each call runs as a Redis user whose ACL allows
 * exactly those keys and no other, so a script that reaches for another key fails with NOPERM. (That is what Redis
 * Cluster and key-pattern ACLs need.)
 */
describe('every script touches only the keys it is given (real Redis, ACL per call)', () => {
  const prefix = `e2e-keys-${process.pid}`;
  const user = `berth-audit-${process.pid}`;
  const password = randomUUID();
  const admin = new Redis(REDIS_URL);
  let audited: Redis;
  let state: BerthState;
  const ran = new Set<string>();

  const guard: ScriptGuard = async (script, keys, run) => {
    await admin.call('ACL', 'SETUSER', user, 'resetkeys', ...keys.map(exactly));
    try {
      const result = await run();
      ran.add(script);
      return result;
    } finally {
      await admin.call('ACL', 'SETUSER', user, 'allkeys');
    }
  };

  beforeAll(async () => {
    await admin.call('ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, 'allkeys', '+@all');
    // The same Redis as its audited user (REDIS_URL names the administrator, whose credential would win).
    const { hostname, port } = new URL(REDIS_URL);
    audited = new Redis({ host: hostname, port: Number(port || 6379), username: user, password });
    state = new BerthState(audited, { prefix, nodeTimeoutMs: 60_000, deadLetterCap: 2, scriptGuard: guard });
  });

  afterAll(async () => {
    await audited.quit();
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length > 0) {
      await admin.del(...keys);
    }
    await admin.call('ACL', 'DELUSER', user);
    await admin.quit();
  });

  it('refuses, under the guard, a script that reaches for a key it was not given (the check can fail)', async () => {
    const given = `${prefix}:given`;
    await expect(
      guard('probe', [given], () => audited.eval("return redis.call('GET', KEYS[1] .. ':other')", 1, given)),
    ).rejects.toThrow(/NOPERM|can't access at least one of the keys/);
    await expect(
      guard('probe', [given], () => audited.eval("return redis.call('GET', KEYS[1])", 1, given)),
    ).resolves.toBeNull();
  });

  const spec = (name?: string): JobSpec => ({
    image: 'berth/busybox:latest',
    env: {},
    labels: {},
    resources: { cpuMillis: 100, memoryMiB: 16 },
    placementTimeoutSeconds: 300,
    ...(name ? { name } : {}),
    ports: [8080],
  });
  const claim = (jobId: string) => ({
    resources: { cpuMillis: 100, memoryMiB: 16 },
    ports: [8080],
    slots: 10,
    workload: { jobId, image: 'berth/busybox:latest', labels: {}, ports: [8080] },
  });

  it('runs every script, through every branch that touches another aggregate, with only its keys', async () => {
    const books = async () => (await state.nodes.list()).find((n) => n.id === 'h1');

    // A host: registration (epoch, recovery), readiness, heartbeat, cordon.
    await state.nodes.register({
      id: 'h1',
      address: 'unix:///x',
      capacity: { cpuMillis: 1000, memoryMiB: 100 },
      labels: {},
    });
    expect(await state.nodes.markReady('h1')).toBe(true);
    expect(await state.nodes.claim('h1', 'other', 'a clash')).toBe(true);
    expect(await state.nodes.heartbeat('h1')).toBe('alive');
    // Only the instance holding the id keeps it alive; a new id is held from its claim on.
    expect(await state.nodes.heartbeat('h1', 'not-the-owner')).toBe('superseded');
    expect(await state.nodes.heartbeat('h1', 'other')).toBe('alive');
    expect(await state.nodes.claim('h9', 'first', 'a clash')).toBe(true);
    expect(await state.nodes.claim('h9', 'second', 'a clash')).toBe(false);
    expect(await state.nodes.setSchedulable('h1', true)).toBe(true);
    // A host whose heartbeat lapsed, recorded once for watchers, and alive again at its next heartbeat.
    await admin.hset(state.keys.host('h1').node, 'heartbeatMs', 0);
    expect([await state.nodes.noteDown('h1'), await state.nodes.noteDown('h1')]).toEqual([true, false]);
    expect(await state.nodes.heartbeat('h1', 'other')).toBe('alive');
    expect((await books())?.status).toBe('ready');

    // A named job with an idempotency key, admitted, reserved and scheduled in one step, its books recomputed.
    const created = await state.jobs.create('j1', 'default', spec('web'), new Date(), { key: 'k1', fingerprint: 'f1' });
    expect(created.created).toBe(true);
    expect(await state.jobs.markAccepted('j1')).toBe(true);
    expect(await state.recovery.admit('j1', '')).toMatchObject({ admitted: true, status: 'queued' });
    expect(await state.nodes.reserve('j1', 'h1', claim('j1'), { schedule: true })).toMatchObject({ ok: true });
    expect(await state.nodes.recompute('h1')).toEqual({ allocated: { cpuMillis: 100, memoryMiB: 16 }, containers: 1 });

    // Removal frees the name; release gives the capacity back.
    await state.jobs.transition('j1', 'running', { containerId: 'c1' }, { expectNode: 'h1' });
    await state.jobs.transition('j1', 'removing');
    expect(await state.jobs.transition('j1', 'removed')).toEqual({ outcome: 'ok', previous: 'removing' });
    expect(await state.names.holderOf('default', 'web')).toBeNull();
    expect(await state.nodes.release('j1', 'h1')).toBe(true);
    expect((await books())?.allocated).toEqual({ cpuMillis: 0, memoryMiB: 0 });

    // A job taken back while it holds a reservation and a name.
    await state.jobs.create('j2', 'default', spec('db'), new Date());
    expect(await state.nodes.reserve('j2', 'h1', claim('j2'), { schedule: true })).toMatchObject({ ok: true });
    expect(await state.jobs.takeBack('j2', 'default', 'db')).toBe(true);
    expect([await state.jobs.get('j2'), await state.names.holderOf('default', 'db')]).toEqual([null, null]);
    expect((await books())?.containers).toBe(0);

    // A job taken off its host.
    await state.jobs.create('j3', 'default', spec(), new Date());
    await state.nodes.reserve('j3', 'h1', claim('j3'), { schedule: true });
    await state.jobs.transition('j3', 'running', {}, { expectNode: 'h1' });
    expect(await state.jobs.reschedule('j3', 'h1', 'rescheduled: host h1 is drained')).toBe(1);
    expect((await state.jobs.get('j3'))?.status).toBe('queued');

    // The same job waiting for room, then its try overdue (its message lost) and claimed again.
    expect(await state.waiting.defer('j3', 1, 0, 'waiting for room', new Date().toISOString())).toEqual({
      outcome: 'ok',
      attempt: 2,
    });
    await admin.zadd(state.keys.waiting, 0, 'j3');
    expect(await state.waiting.claimOverdue(10)).toMatchObject([{ jobId: 'j3', attempt: 3 }]);
    // Then parked (it fits nowhere) until room is freed, and woken.
    const when = { untilMs: 60_000, backstopMs: 30_000 };
    expect(await state.waiting.park('j3', 3, when, 'waiting for room', new Date().toISOString())).toEqual({
      outcome: 'ok',
      attempt: 4,
    });
    expect(await state.waiting.wake(10)).toBe(1);
    expect(await state.waiting.claimOverdue(10)).toMatchObject([{ jobId: 'j3', attempt: 5 }]);

    // A job rebuilt from its container: record, name and reservation.
    expect(
      await state.recovery.restore({
        id: 'j4',
        namespace: 'default',
        spec: spec('cache'),
        status: 'running',
        node: 'h1',
        containerId: 'c4',
        createdAt: new Date(),
        history: [],
        reason: 'rebuilt',
        exitCode: null,
        holds: { ports: [8080], workload: claim('j4').workload },
      }),
    ).toBe('restored');
    expect(await state.names.holderOf('default', 'cache')).toBe('j4');
    expect((await books())?.allocated).toEqual({ cpuMillis: 100, memoryMiB: 16 });

    // A finished job expired with its name, idempotency key and a reservation it still held.
    await state.jobs.create('j5', 'default', spec('queue'), new Date(), { key: 'k5', fingerprint: 'f5' });
    const portless = { ...claim('j5'), ports: [], workload: { ...claim('j5').workload, ports: [] } };
    expect(await state.nodes.reserve('j5', 'h1', portless, { schedule: true })).toMatchObject({ ok: true });
    await state.jobs.transition('j5', 'failed', { reason: 'Docker refused it' });
    expect(await state.retention.expire('j5', 0)).toBe('expired');
    expect([await state.jobs.get('j5'), await state.names.holderOf('default', 'queue')]).toEqual([null, null]);
    expect((await books())?.allocated).toEqual({ cpuMillis: 100, memoryMiB: 16 });

    // An all-or-nothing group of two: written with its names and key in one step, admitted as a gang, reserved in
    // one step, and its record gone with its last job.
    const pair = await state.groups.create(
      { id: 'g1', namespace: 'default', name: 'pair', allOrNothing: true },
      [
        { id: 'j6', spec: spec('pair-1') },
        { id: 'j7', spec: spec('pair-2') },
      ],
      new Date(),
      { key: 'k6', fingerprint: 'f6' },
    );
    expect(pair.created).toBe(true);
    expect(await state.recovery.admit('j6', '')).toMatchObject({ admitted: true, gang: 'g1' });
    const members = ['j6', 'j7'].map((id) => ({
      ...portless,
      jobId: id,
      nodeId: 'h1',
      workload: { ...portless.workload, jobId: id },
    }));
    expect(await state.nodes.reserveGroup(members)).toEqual({ ok: true });
    for (const id of ['j6', 'j7']) {
      await state.jobs.transition(id, 'failed', { reason: 'Docker refused it' });
      expect(await state.retention.expire(id, 0)).toBe('expired');
    }
    expect(await state.groups.get('g1')).toBeNull();

    // Dead letters beyond the cap (2): the oldest record is deleted with its index entry.
    const letters = [1, 2, 3].map((n) =>
      toDeadLetterRecord(Buffer.from(`{"n":${n}}`), { headers: {} }, new Date(Date.UTC(2026, 0, 1, 0, 0, n))),
    );
    for (const letter of letters) {
      expect(await state.deadLetters.add(letter)).toBe(true);
    }
    expect(await state.deadLetters.get(letters[0].id)).toBeNull();
    expect(await state.deadLetters.count()).toBe(2);
    expect(await state.deadLetters.delete(letters[1].id)).toBe(true);
    expect(await state.deadLetters.count()).toBe(1);

    expect([...ran].filter((name) => name !== 'probe').sort()).toEqual(
      Object.values(SCRIPTS)
        .map((script) => script.name)
        .sort(),
    );
  });
});
