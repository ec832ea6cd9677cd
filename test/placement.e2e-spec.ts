import { connect } from 'amqplib';
import { PARKED_BACKSTOP_MS, RETRY_DELAYS_MS, topologyFor } from '@berth/contracts';
import type { GroupView } from '@berth/contracts';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import Redis from 'ioredis';
import { AMQP_URL, REDIS_URL, TestCluster, testHosts, waitFor } from './support/cluster';

const busybox = { image: 'berth/busybox:latest', cmd: ['sleep', '600'] };
const small = { cpuMillis: 100, memoryMiB: 16 };

/** Swarm's placement vocabulary through the API, on real hosts. */
describe('placement: constraints, affinities, strategies, waiting and names', () => {
  const cluster = new TestCluster({
    hosts: testHosts(2),
    agentEnv: { BERTH_NODE_MEMORY_MIB: '256', BERTH_NODE_CPU_MILLIS: '4000' },
    hostEnv: { h1: { BERTH_NODE_LABELS: 'zone=a,disk=ssd' }, h2: { BERTH_NODE_LABELS: 'zone=b,disk=hdd' } },
  });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  async function run(body: Record<string, unknown>): Promise<JobView> {
    const id = await cluster.accepted({ ...busybox, resources: small, placementTimeoutSeconds: 0, ...body });
    return cluster.settled<JobView>(id);
  }

  async function cleanUp(...jobs: JobView[]): Promise<void> {
    for (const job of jobs) {
      await cluster.remove(job.id);
    }
    await waitFor('jobs removed', async () => {
      const views = await Promise.all(jobs.map((j) => cluster.getJson<JobView>(`/v1/jobs/${j.id}`)));
      return views.every((v) => v.status === 'removed');
    });
  }

  it('lists built-in attributes and operator labels on each host', async () => {
    const nodes = await cluster.getJson<{ items: Array<{ id: string; labels: Record<string, string> }> }>('/v1/nodes');
    const h1 = nodes.items.find((n) => n.id === 'h1');
    expect(h1?.labels).toMatchObject({ zone: 'a', disk: 'ssd', os: 'linux', ostype: 'linux' });
    expect(h1?.labels.storagedriver).toBeTruthy();
    expect(h1?.labels.kernelversion).toBeTruthy();
  });

  it('honours constraints from the job, from env entries and from Swarm labels', async () => {
    const byNode = await run({ constraints: ['node==h2'] });
    const byLabel = await run({ constraints: ['zone==a'] });
    const byGlob = await run({ constraints: ['disk!=s*'] });
    const byEnv = await run({ env: { 'constraint:zone': '=b', KEEP: 'me' } });
    const bySwarmLabel = await run({ labels: { 'com.docker.swarm.constraints': '["node==/h1/"]' } });
    expect([byNode, byLabel, byGlob, byEnv, bySwarmLabel].map((j) => [j.status, j.node])).toEqual([
      ['running', 'h2'],
      ['running', 'h1'],
      ['running', 'h2'],
      ['running', 'h2'],
      ['running', 'h1'],
    ]);
    // The Swarm env entry is a placement rule, not an environment variable of the container.
    const host = cluster.hosts.find((h) => h.id === 'h2')!;
    const env = (await host.docker.getContainer(byEnv.containerId!).inspect()).Config.Env;
    expect(env).toContain('KEEP=me');
    expect(env.some((e) => e.startsWith('constraint:'))).toBe(false);
    await cleanUp(byNode, byLabel, byGlob, byEnv, bySwarmLabel);
  });

  it('explains a constraint no host meets, and sets aside a soft one', async () => {
    const impossible = await run({ constraints: ['zone==c'] });
    expect(impossible.status).toBe('unschedulable');
    expect(impossible.reason).toBe('0/2 hosts available: 2 constraint zone==c not met');
    const soft = await run({ constraints: ['zone==~c'] });
    expect(soft.status).toBe('running');
    await cleanUp(impossible, soft);
  });

  it('places a job beside the container it has an affinity for, or whose volumes it uses', async () => {
    const anchor = await run({ name: 'anchor', constraints: ['node==h2'] });
    const follower = await run({ affinities: ['container==anchor'] });
    const borrower = await run({ volumesFrom: ['anchor'] });
    const avoider = await run({ affinities: ['container!=anchor'] });
    expect([anchor.node, follower.node, borrower.node, avoider.node]).toEqual(['h2', 'h2', 'h2', 'h1']);
    const host = cluster.hosts.find((h) => h.id === 'h2')!;
    const inspect = await host.docker.getContainer(borrower.containerId!).inspect();
    expect(inspect.HostConfig.VolumesFrom).toEqual([`berth-${anchor.id}`]);
    await cleanUp(anchor, follower, borrower, avoider);
  });

  it('matches in linear time: backtracking patterns against a 4,096-character label stall nothing', async () => {
    // The attack pair: a label value at its limit, then patterns a backtracking engine takes hours over against it
    // (the value has no b, and does not end in a's).
    const bait = await run({ labels: { team: `${'a'.repeat(4095)}c` } });
    expect(bait.status).toBe('running');
    const attacks = await Promise.all(
      ['team==*a*a*a*b', 'team==/((a)+)+$/', 'team==/a*a*a*a*a*a*a*a*b/'].map((affinity) =>
        run({ affinities: [affinity] }),
      ),
    );
    for (const job of attacks) {
      expect(job.status).toBe('unschedulable');
      expect(job.reason).toContain(`affinity ${job.affinities![0]}`);
    }
    // And the scheduler is still free for everyone else.
    const after = await run({});
    expect(after.status).toBe('running');
    await cleanUp(bait, after, ...attacks);
  });

  it('binpack fills one host while spread alternates', async () => {
    const packed = [];
    for (let i = 0; i < 3; i++) {
      packed.push(await run({ strategy: 'binpack' }));
    }
    expect(new Set(packed.map((j) => j.node)).size).toBe(1);
    await cleanUp(...packed);
    const spread = [await run({}), await run({})];
    expect(new Set(spread.map((j) => j.node)).size).toBe(2);
    await cleanUp(...spread);
  });

  it('keeps two jobs off one host port', async () => {
    const first = await run({ ports: [8080], constraints: ['node==h1'] });
    const second = await run({ ports: [8080], constraints: ['node==h1'] });
    expect(first.status).toBe('running');
    expect(second.status).toBe('unschedulable');
    expect(second.reason).toBe('0/2 hosts available: 1 constraint node==h1 not met, 1 port 8080 in use');
    await cleanUp(first, second);
  });

  it('lets a waiting job in when a DELETE frees room', async () => {
    const big = { cpuMillis: 100, memoryMiB: 200 };
    const fillers = [await run({ resources: big }), await run({ resources: big })];
    expect(fillers.map((j) => j.status)).toEqual(['running', 'running']);
    const waiterId = await cluster.accepted({ ...busybox, resources: big, placementTimeoutSeconds: 120 });
    await waitFor('the waiter to explain why it waits', async () => {
      const job = await cluster.getJson<JobView>(`/v1/jobs/${waiterId}`);
      return (
        job.status === 'queued' &&
        /^waiting for room: 0\/2 hosts available: 2 insufficient memory/.test(job.reason ?? '')
      );
    });
    await cluster.remove(fillers[0].id);
    const waiter = await cluster.settled<JobView>(waiterId);
    expect(waiter.status).toBe('running');
    expect(waiter.node).toBe(fillers[0].node);
    await cleanUp(fillers[1], waiter);
  });

  it('parks a job that fits nowhere: no tries while it waits, woken at once when a DELETE frees room', async () => {
    const big = { cpuMillis: 100, memoryMiB: 200 };
    const fillers = [await run({ resources: big }), await run({ resources: big })];
    expect(fillers.map((j) => j.status)).toEqual(['running', 'running']);
    const waiterId = await cluster.accepted({ ...busybox, resources: big, placementTimeoutSeconds: 120 });
    await waitFor('the waiter to wait for room', async () => {
      const job = await cluster.getJson<JobView>(`/v1/jobs/${waiterId}`);
      return job.status === 'queued' && (job.reason ?? '').startsWith('waiting for room');
    });
    const redis = new Redis(REDIS_URL);
    const attempt = async () => Number(await redis.hget(`${cluster.prefix}:job:${waiterId}`, 'attempt'));
    const parkedAt = await attempt();
    // Long enough for the tries a timer would make (after 1 s, 2 s, then every 5 s).
    await new Promise((resolve) => setTimeout(resolve, 7000));
    expect(await attempt()).toBe(parkedAt);
    expect(await redis.zscore(`${cluster.prefix}:parked`, waiterId)).not.toBeNull();
    const connection = await connect(AMQP_URL);
    const channel = await connection.createChannel();
    const topology = topologyFor(cluster.prefix);
    // Its one message is the backstop in the 30 s tier (it rebuilds the job should Redis lose it); none is on a timer.
    const held = await Promise.all(
      RETRY_DELAYS_MS.map(async (delay) => [delay, (await channel.checkQueue(topology.jobsRetry(delay))).messageCount]),
    );
    // (The 30 s tier may still hold the spent backstop of an earlier test's waiter: dropped as stale when it is due.)
    expect(held.filter(([delay]) => delay !== PARKED_BACKSTOP_MS)).toEqual(
      RETRY_DELAYS_MS.filter((delay) => delay !== PARKED_BACKSTOP_MS).map((delay) => [delay, 0]),
    );
    expect(held.find(([delay]) => delay === PARKED_BACKSTOP_MS)?.[1]).toBeGreaterThanOrEqual(1);
    await connection.close();
    await cluster.remove(fillers[0].id);
    const waiter = await cluster.settled<JobView>(waiterId);
    expect([waiter.status, waiter.node]).toEqual(['running', fillers[0].node]);
    expect(await redis.zscore(`${cluster.prefix}:parked`, waiterId)).toBeNull();
    await redis.quit();
    await cleanUp(fillers[1], waiter);
  });

  it('previews where a job would go (?dryRun=true) without recording it, and explains a waiting job host by host', async () => {
    const big = { cpuMillis: 100, memoryMiB: 200 };
    const preview = async (body: Record<string, unknown>) => {
      const response = await cluster.fetch('/v1/jobs?dryRun=true', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...busybox, ...body }),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as {
        node: string | null;
        explanation: string | null;
        copies: number;
        verdicts: Array<{ node: string; fits: boolean; reasons: string[] }>;
      };
    };
    const before = (await cluster.getJson<{ items: unknown[] }>('/v1/jobs?limit=500')).items.length;
    const empty = await preview({ resources: big });
    expect(empty).toMatchObject({ node: expect.stringMatching(/^h[12]$/), explanation: null, copies: 2 });
    expect(empty.verdicts.map((v) => v.fits)).toEqual([true, true]);
    const pinned = await preview({ resources: big, constraints: ['zone==a', 'disk==hdd'] });
    expect(pinned.node).toBeNull();
    expect(pinned.explanation).toMatch(/^0\/2 hosts available: /);
    // Every reason per host, not only the first filter's.
    expect(pinned.verdicts).toEqual([
      { node: 'h1', fits: false, reasons: ['constraint disk==hdd not met'] },
      { node: 'h2', fits: false, reasons: ['constraint zone==a not met'] },
    ]);
    expect((await cluster.getJson<{ items: unknown[] }>('/v1/jobs?limit=500')).items).toHaveLength(before);
    const bad = await cluster.fetch('/v1/jobs?dryRun=maybe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(busybox),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Array<{ field: string }> }).errors[0].field).toBe('dryRun');

    const fillers = [await run({ resources: big }), await run({ resources: big })];
    expect((await preview({ resources: big })).copies).toBe(0);
    const waiterId = await cluster.accepted({ ...busybox, resources: big, placementTimeoutSeconds: 120 });
    let waiter: JobView & { verdicts: Array<{ node: string; reasons: string[] }> | null } = await cluster.getJson(
      `/v1/jobs/${waiterId}`,
    );
    await waitFor('the waiter to carry its verdicts', async () => {
      waiter = await cluster.getJson(`/v1/jobs/${waiterId}`);
      return (waiter.verdicts ?? []).length === 2;
    });
    expect(waiter.verdicts?.map((v) => v.reasons)).toEqual([
      ['insufficient memory, 56 of 200 MiB free'],
      ['insufficient memory, 56 of 200 MiB free'],
    ]);
    await cluster.remove(fillers[0].id);
    const placed = await cluster.settled<JobView & { verdicts: unknown }>(waiterId);
    expect([placed.status, placed.verdicts]).toEqual(['running', null]);
    await cleanUp(fillers[1], placed);
  });

  it('places nothing on a cordoned host until it is uncordoned', async () => {
    const cordon = await cluster.fetch(`/v1/nodes/h1/cordon`, { method: 'POST' });
    expect(cordon.status).toBe(200);
    expect(((await cordon.json()) as { schedulable: boolean }).schedulable).toBe(false);
    const jobs = [await run({}), await run({}), await run({})];
    expect(jobs.map((j) => j.node)).toEqual(['h2', 'h2', 'h2']);
    const pinned = await run({ constraints: ['node==h1'] });
    expect(pinned.status).toBe('unschedulable');
    expect(pinned.reason).toBe('0/2 hosts available: 1 constraint node==h1 not met, 1 host cordoned');
    const uncordon = await cluster.fetch(`/v1/nodes/h1/uncordon`, { method: 'POST' });
    expect(((await uncordon.json()) as { schedulable: boolean }).schedulable).toBe(true);
    const after = await run({ constraints: ['node==h1'] });
    expect(after.node).toBe('h1');
    expect((await cluster.fetch(`/v1/nodes/nope/cordon`, { method: 'POST' })).status).toBe(404);
    await cleanUp(...jobs, pinned, after);
  });

  it('answers 409 for a name in use, and frees the name when the job is removed', async () => {
    const first = await run({ name: 'only-one' });
    const clash = await cluster.submit({ ...busybox, name: 'only-one' });
    expect(clash.status).toBe(409);
    const problem = (await clash.json()) as { detail: string; errors: Array<{ field: string }> };
    expect(problem.errors[0].field).toBe('name');
    expect(problem.detail).toContain(first.id);
    await cleanUp(first);
    const again = await run({ name: 'only-one' });
    expect(again.status).toBe('running');
    await cleanUp(again);
  });

  async function submitGroup(body: Record<string, unknown>): Promise<GroupView> {
    const response = await cluster.submit({ ...busybox, ...body });
    expect(response.status).toBe(202);
    const group = (await response.json()) as GroupView;
    expect(response.headers.get('location')).toBe(`/v1/groups/${group.id}`);
    return group;
  }
  const groupOf = (id: string) => cluster.getJson<GroupView>(`/v1/groups/${id}`);

  it('makes a group of jobs in one request (replicas), counts it by status, and removes it whole', async () => {
    const group = await submitGroup({ name: 'grp', replicas: 3, resources: small });
    expect(group).toMatchObject({ name: 'grp', replicas: 3, allOrNothing: false });
    expect(group.jobs.map((j) => j.name)).toEqual(['grp-1', 'grp-2', 'grp-3']);
    await waitFor('the group running', async () => (await groupOf(group.id)).counts.running === 3);
    const member = await cluster.getJson<JobView>(`/v1/jobs/${group.jobs[0].id}`);
    expect(member).toMatchObject({ group: group.id, name: 'grp-1' });
    // A second group whose names clash makes no job at all.
    const before = (await cluster.getJson<{ items: JobView[] }>('/v1/jobs?limit=500')).items.length;
    const clash = await cluster.submit({ ...busybox, name: 'grp', replicas: 5 });
    expect(clash.status).toBe(409);
    expect(((await clash.json()) as { errors: Array<{ field: string }> }).errors[0].field).toBe('name');
    expect((await cluster.getJson<{ items: JobView[] }>('/v1/jobs?limit=500')).items.length).toBe(before);
    for (const [body, field] of [
      [{ replicas: 101 }, 'replicas'],
      [{ allOrNothing: true }, 'allOrNothing'],
      [{ name: 'x'.repeat(62), replicas: 10 }, 'name'],
    ] as const) {
      const bad = await cluster.submit({ ...busybox, ...body });
      expect([bad.status, ((await bad.json()) as { errors: Array<{ field: string }> }).errors[0].field]).toEqual([
        400,
        field,
      ]);
    }
    expect((await cluster.fetch(`/v1/groups/${group.id}`, { method: 'DELETE' })).status).toBe(202);
    await waitFor('the group removed', async () => (await groupOf(group.id)).counts.removed === 3);
    expect((await cluster.fetch('/v1/groups/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('places an all-or-nothing group in one step once all of it fits, never a part of it', async () => {
    // h1 and h2 have 256 MiB each; with 200 MiB taken on one, three jobs of 100 MiB do not all fit (two would).
    const filler = await run({ resources: { cpuMillis: 100, memoryMiB: 200 } });
    const gang = await submitGroup({
      name: 'gang',
      replicas: 3,
      allOrNothing: true,
      resources: { cpuMillis: 100, memoryMiB: 100 },
      placementTimeoutSeconds: 120,
    });
    const leader = () => cluster.getJson<JobView>(`/v1/jobs/${gang.jobs[0].id}`);
    await waitFor('the group to say why it waits', async () =>
      /^waiting for room: all or nothing, 3 jobs: gang-3 fits nowhere once the 2 before it are placed/.test(
        (await leader()).reason ?? '',
      ),
    );
    expect((await groupOf(gang.id)).counts).toEqual({ queued: 3 });
    expect((await leader()).verdicts?.length).toBe(2);
    // While it waits, its jobs go only together.
    expect((await cluster.remove(gang.jobs[1].id)).status).toBe(409);
    await cluster.remove(filler.id);
    await waitFor('the whole group running', async () => (await groupOf(gang.id)).counts.running === 3);
    const nodes = (await groupOf(gang.id)).jobs.map((j) => j.node);
    expect(new Set(nodes).size).toBe(2);
    // Placed, no job of it still says it waits.
    const placed = await Promise.all(gang.jobs.map((j) => cluster.getJson<JobView>(`/v1/jobs/${j.id}`)));
    expect(placed.map((j) => j.reason)).toEqual([null, null, null]);

    // One that can never fit gives up whole when its timeout passes.
    const never = await submitGroup({
      replicas: 2,
      allOrNothing: true,
      resources: { cpuMillis: 100, memoryMiB: 200 },
      placementTimeoutSeconds: 0,
    });
    await waitFor('the group unschedulable', async () => (await groupOf(never.id)).counts.unschedulable === 2);
    // One removed while it waits goes whole: the first job's next try finishes the others' removal too.
    const waiting = await submitGroup({
      replicas: 3,
      allOrNothing: true,
      resources: { cpuMillis: 100, memoryMiB: 200 },
      placementTimeoutSeconds: 120,
    });
    await waitFor('the group to wait', async () =>
      /all or nothing/.test((await cluster.getJson<JobView>(`/v1/jobs/${waiting.jobs[0].id}`)).reason ?? ''),
    );
    expect((await cluster.fetch(`/v1/groups/${waiting.id}`, { method: 'DELETE' })).status).toBe(202);
    await waitFor('the waiting group removed', async () => (await groupOf(waiting.id)).counts.removed === 3);
    expect((await cluster.fetch(`/v1/groups/${gang.id}`, { method: 'DELETE' })).status).toBe(202);
    await waitFor('the group removed', async () => (await groupOf(gang.id)).counts.removed === 3);
  });
});
