import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { TestCluster, testHosts, waitFor } from './support/cluster';

interface Problem {
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

const sleeper = { image: 'berth/busybox:latest', cmd: ['sleep', '600'], resources: { cpuMillis: 100, memoryMiB: 16 } };

/** Tokens, scopes and namespaces on the real stack: nobody in without a token, nobody out of their namespace. */
describe('tokens, scopes and namespaces', () => {
  const cluster = new TestCluster({ hosts: testHosts(2) });
  let teamA: string;
  let teamB: string;
  let readerA: string;

  beforeAll(async () => {
    await cluster.start();
    teamA = await cluster.tokenFor('team-a', ['read', 'submit']);
    teamB = await cluster.tokenFor('team-b', ['read', 'submit']);
    readerA = await cluster.tokenFor('team-a', ['read']);
  });
  afterAll(() => cluster.stop());

  async function problemOf(response: Response): Promise<Problem> {
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return (await response.json()) as Problem;
  }

  it('answers 401 with WWW-Authenticate without a token or with a wrong one, and leaves the probes open', async () => {
    for (const token of [null, 'berth_not-a-token', '']) {
      const response = await cluster.fetch('/v1/jobs', { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await problemOf(response)).errors?.[0].field).toBe('Authorization');
    }
    for (const path of ['/healthz', '/readyz']) {
      expect((await cluster.fetch(path, { token: null })).status).toBe(200);
    }
  });

  it('answers 403 naming the scope a token lacks', async () => {
    const cases: Array<[string, RequestInit, string, string]> = [
      ['/v1/jobs', { method: 'POST', body: JSON.stringify(sleeper) }, readerA, 'submit'],
      ['/v1/nodes/h1/cordon', { method: 'POST' }, teamA, 'operate'],
      ['/v1/dead-letters', {}, teamA, 'operate'],
      ['/v1/tokens', {}, teamA, 'admin'],
    ];
    for (const [path, init, token, scope] of cases) {
      const response = await cluster.fetch(path, { ...init, token, headers: { 'content-type': 'application/json' } });
      expect([path, response.status]).toEqual([path, 403]);
      expect((await problemOf(response)).detail).toContain(`lacks the '${scope}' scope`);
    }
  });

  it('keeps each namespace to itself: 404 for the other namespace, names and keys of its own', async () => {
    const a = await cluster.settled<JobView>(await accepted(teamA, { ...sleeper, name: 'web' }, 'key-1'));
    const b = await cluster.settled<JobView>(await accepted(teamB, { ...sleeper, name: 'web' }, 'key-1'));
    expect([a.status, a.namespace, b.status, b.namespace]).toEqual(['running', 'team-a', 'running', 'team-b']);
    expect(a.id).not.toBe(b.id);

    // team-b cannot see, read the logs of, or delete team-a's job: to it, the job does not exist.
    for (const [path, method] of [
      [`/v1/jobs/${a.id}`, 'GET'],
      [`/v1/jobs/${a.id}/logs`, 'GET'],
      [`/v1/jobs/${a.id}`, 'DELETE'],
    ]) {
      expect([path, method, (await cluster.fetch(path, { method, token: teamB })).status]).toEqual([path, method, 404]);
    }
    const listB = await cluster.getJson<{ items: JobView[] }>('/v1/jobs', teamB);
    expect(listB.items.map((j) => j.id)).toEqual([b.id]);
    const listA = await cluster.getJson<{ items: JobView[] }>('/v1/jobs', readerA);
    expect(listA.items.map((j) => j.id)).toEqual([a.id]);
    // Only an admin lists across namespaces.
    expect((await cluster.fetch('/v1/jobs?namespace=*', { token: teamA })).status).toBe(403);
    const all = await cluster.getJson<{ items: JobView[] }>('/v1/jobs?namespace=*');
    expect(all.items.map((j) => j.id).sort()).toEqual([a.id, b.id].sort());
    expect((await cluster.getJson<{ items: JobView[] }>('/v1/jobs')).items).toEqual([]);

    // A name in use is a 409 inside its namespace only.
    const clash = await cluster.submit({ ...sleeper, name: 'web' }, teamA);
    expect(clash.status).toBe(409);
    expect((await problemOf(clash)).detail).toContain(a.id);

    // A dependency resolves only inside the job's namespace, by name or by id: placement looks for team-b's own
    // `data` and does not count team-a's (the host's agent would refuse it too; see containerConfigFor).
    const data = await cluster.settled<JobView>(
      await accepted(teamA, { ...sleeper, name: 'data', constraints: ['node==h1'] }),
    );
    for (const reference of ['data', data.id]) {
      const intruder = await cluster.settled<JobView>(
        await accepted(teamB, { ...sleeper, volumesFrom: [reference], placementTimeoutSeconds: 0 }),
      );
      expect(intruder.status).toBe('unschedulable');
      expect(intruder.reason).toContain(`dependency ${reference} not on host`);
    }
    // Its own `data`, on the other host, is where a team-b job that needs `data` goes, beside it.
    const ownData = await cluster.settled<JobView>(
      await accepted(teamB, { ...sleeper, name: 'data', constraints: ['node==h2'] }),
    );
    const user = await cluster.settled<JobView>(
      await accepted(teamB, { ...sleeper, volumesFrom: ['data'], affinities: ['container==data'] }),
    );
    expect([user.status, user.node]).toEqual(['running', 'h2']);
    const mounted = await cluster.hosts
      .find((h) => h.id === 'h2')!
      .docker.getContainer(user.containerId!)
      .inspect();
    expect(mounted.HostConfig.VolumesFrom).toEqual([`berth-${ownData.id}`]);

    for (const [job, token] of [
      [a, teamA],
      [b, teamB],
      [data, teamA],
      [ownData, teamB],
      [user, teamB],
    ] as const) {
      expect((await cluster.remove(job.id, token)).status).toBe(202);
    }
  });

  it('lists tokens without their secrets, and refuses a revoked token from the next request on', async () => {
    const made = (await (
      await cluster.fetch('/v1/tokens', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'short-lived', namespace: 'team-c', scopes: ['read'], expiresInSeconds: 3600 }),
      })
    ).json()) as { id: string; token: string; expiresAt: string };
    expect(made.token).toMatch(/^berth_/);
    expect(Date.parse(made.expiresAt)).toBeGreaterThan(Date.now());
    expect((await cluster.fetch('/v1/jobs', { token: made.token })).status).toBe(200);

    const listed = await cluster.getJson<{ items: Array<Record<string, unknown>> }>('/v1/tokens');
    const entry = listed.items.find((t) => t.id === made.id);
    expect(entry).toMatchObject({ name: 'short-lived', namespace: 'team-c', scopes: ['read'] });
    expect(JSON.stringify(listed)).not.toContain(made.token);
    expect(Object.keys(entry!).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'name', 'namespace', 'scopes']);

    expect((await cluster.fetch(`/v1/tokens/${made.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await cluster.fetch('/v1/jobs', { token: made.token })).status).toBe(401);
    expect((await cluster.fetch(`/v1/tokens/${made.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses a token request that names a bad scope or namespace, naming the field', async () => {
    for (const [body, field] of [
      [{ name: 'x', namespace: 'team-a', scopes: ['root'] }, 'scopes'],
      [{ name: 'x', namespace: 'Team A', scopes: ['read'] }, 'namespace'],
      [{ name: 'x', namespace: 'team-a', scopes: [] }, 'scopes'],
    ] as const) {
      const response = await cluster.fetch('/v1/tokens', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
      expect((await problemOf(response)).errors?.map((e) => e.field)).toContain(field);
    }
  });

  async function accepted(token: string, body: unknown, idempotencyKey?: string): Promise<string> {
    const response = await cluster.fetch('/v1/jobs', {
      method: 'POST',
      token,
      headers: {
        'content-type': 'application/json',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: JSON.stringify(body),
    });
    if (response.status !== 202) {
      throw new Error(`expected 202, got ${response.status}: ${await response.text()}`);
    }
    return ((await response.json()) as { id: string }).id;
  }
});

describe('rate limits per token', () => {
  const cluster = new TestCluster({
    hosts: testHosts(1),
    commonEnv: { BERTH_RATE_LIMIT: '30', BERTH_RATE_WINDOW_SECONDS: '600' },
    dockerApi: true,
  });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('answers 429 with Retry-After past the limit, for that token only', async () => {
    const busy = await cluster.tokenFor('team-a', ['read']);
    const other = await cluster.tokenFor('team-b', ['read']);
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 31; i++) {
      last = await cluster.fetch('/v1/jobs', { token: busy });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await last!.json()) as Problem).detail).toContain('rate limit of 30 requests per 600 s');
    expect((await cluster.fetch('/v1/jobs', { token: other })).status).toBe(200);
    // Probes are never limited.
    await waitFor('readyz', async () => (await cluster.fetch('/readyz', { token: null })).status === 200);
  });

  it('limits the Docker Engine API the same way, per token', async () => {
    const docker = await cluster.tokenFor('team-c', ['read']);
    const info = (token: string) =>
      fetch(`http://127.0.0.1:${cluster.dockerPort}/v1.45/info`, { headers: { authorization: `Bearer ${token}` } });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 31; i++) {
      last = await info(docker);
      statuses.push(last.status);
      await last.text();
    }
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    const again = await info(docker);
    expect(((await again.json()) as { message: string }).message).toContain('rate limit of 30 requests per 600 s');
    // The ping, which the CLI sends before every command, is never limited.
    expect((await fetch(`http://127.0.0.1:${cluster.dockerPort}/_ping`)).status).toBe(200);
  });
});
