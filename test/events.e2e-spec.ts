import { compareEventIds, JobEvent, NodeEvent } from '@berth/contracts';
import Redis from 'ioredis';
import { eventually, REDIS_URL, TestCluster, testHosts } from './support/cluster';
import { SseClient, SseFrame } from './support/sse';

const sleeper = { image: 'berth/busybox:latest', cmd: ['sleep', '600'], resources: { cpuMillis: 100, memoryMiB: 16 } };

/** GET /v1/events on the real stack: what a console or `berth events` follows. */
describe('the event stream (GET /v1/events)', () => {
  const cluster = new TestCluster({ hosts: testHosts(2) });
  const open: SseClient[] = [];
  let otherTeam: string;

  beforeAll(async () => {
    await cluster.start();
    otherTeam = await cluster.tokenFor('other-team', ['read', 'submit']);
  });
  afterAll(async () => {
    open.forEach((client) => client.close());
    await cluster.stop();
  });

  async function watch(query = '', headers: Record<string, string> = {}, token = cluster.adminToken) {
    const client = await SseClient.open(`${cluster.api}/v1/events${query}`, {
      authorization: `Bearer ${token}`,
      ...headers,
    });
    open.push(client);
    return client;
  }
  const jobEvent = (frame: SseFrame) => JSON.parse(frame.data) as JobEvent;
  const ofJob = (id: string, status?: string) => (frame: SseFrame) =>
    frame.event === 'job' && jobEvent(frame).job === id && (status === undefined || jobEvent(frame).status === status);

  it('streams a job from queued to running, each event with an id that grows', async () => {
    const stream = await watch();
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const id = await cluster.accepted(sleeper);
    const queued = await stream.next('queued', ofJob(id, 'queued'));
    const scheduled = await stream.next('scheduled', ofJob(id, 'scheduled'), queued.index);
    const running = await stream.next('running', ofJob(id, 'running'), scheduled.index);
    expect(jobEvent(queued.frame)).toMatchObject({ type: 'job', job: id, namespace: 'default', node: null });
    expect(jobEvent(running.frame)).toMatchObject({ status: 'running', node: expect.stringMatching(/^h[12]$/) });
    const ids = [queued, scheduled, running].map(({ frame }) => frame.id ?? '');
    // The SSE id is the event's own id, and each is later than the one before.
    expect(ids).toEqual([queued, scheduled, running].map(({ frame }) => jobEvent(frame).id));
    expect([compareEventIds(ids[0], ids[1]), compareEventIds(ids[1], ids[2])].map(Math.sign)).toEqual([-1, -1]);
    await cluster.remove(id);
    await stream.next('removed', ofJob(id, 'removed'), running.index);
  });

  it('resumes after Last-Event-ID with what came next, and nothing before it', async () => {
    const stream = await watch('?type=job');
    const id = await cluster.accepted(sleeper);
    const queued = await stream.next('queued', ofJob(id, 'queued'));
    await stream.next('running', ofJob(id, 'running'), queued.index);
    stream.close();

    for (const resumed of [
      await watch('', { 'last-event-id': queued.frame.id ?? '' }),
      await watch(`?lastEventId=${queued.frame.id ?? ''}`),
    ]) {
      const next = await resumed.next('the first job event after the resume', (f) => f.event === 'job');
      expect(jobEvent(next.frame)).toMatchObject({ job: id, status: 'scheduled' });
      await resumed.next('running again, from the log', ofJob(id, 'running'), next.index);
      expect(resumed.frames.some(ofJob(id, 'queued'))).toBe(false);
      resumed.close();
    }
    await cluster.remove(id);
  });

  it("shows a token only its own namespace's jobs, and every reader the hosts", async () => {
    const theirs = await watch('', {}, otherTeam);
    const mine = await cluster.accepted(sleeper);
    const response = await cluster.fetch('/v1/jobs', {
      method: 'POST',
      token: otherTeam,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sleeper),
    });
    const own = ((await response.json()) as { id: string }).id;
    await theirs.next('their own job running', ofJob(own, 'running'));
    expect((await cluster.fetch('/v1/nodes/h1/cordon', { method: 'POST' })).status).toBe(200);
    const cordoned = await theirs.next('h1 cordoned', (f) => f.event === 'node');
    expect(JSON.parse(cordoned.frame.data) as NodeEvent).toMatchObject({ node: 'h1', schedulable: false });
    expect(theirs.frames.filter((f) => f.event === 'job').map((f) => jobEvent(f).job)).not.toContain(mine);
    expect((await cluster.fetch('/v1/nodes/h1/uncordon', { method: 'POST' })).status).toBe(200);
    await cluster.remove(mine);
    await cluster.remove(own);
  });

  it('filters by job and by type', async () => {
    const one = await cluster.accepted(sleeper);
    const byJob = await watch(`?job=${one}&lastEventId=0-0`);
    const nodesOnly = await watch('?type=node');
    const other = await cluster.accepted(sleeper);
    await byJob.next('the job running', ofJob(one, 'running'));
    await cluster.fetch('/v1/nodes/h2/cordon', { method: 'POST' });
    await nodesOnly.next('h2 cordoned', (f) => f.event === 'node');
    await cluster.fetch('/v1/nodes/h2/uncordon', { method: 'POST' });
    await cluster.remove(other);
    await cluster.remove(one);
    await byJob.next('the job removed', ofJob(one, 'removed'));
    expect(byJob.frames.every(ofJob(one))).toBe(true);
    expect(nodesOnly.frames.every((f) => f.event === 'node')).toBe(true);
  });

  it('says when the events after Last-Event-ID are no longer all kept, and only then', async () => {
    const watcher = await watch('?type=job');
    const id = await cluster.accepted(sleeper);
    const queued = await watcher.next('queued', ofJob(id, 'queued'));
    const running = await watcher.next('running', ofJob(id, 'running'), queued.index);
    watcher.close();
    // As the log's cap does: everything before the running event goes.
    const redis = new Redis(REDIS_URL);
    await redis.xtrim(`${cluster.prefix}:events`, 'MINID', running.frame.id ?? '');
    await redis.quit();

    const behind = await watch('', { 'last-event-id': queued.frame.id ?? '' });
    const gap = await behind.next('a gap', (f) => f.event === 'gap');
    expect(gap.index).toBe(0);
    expect(JSON.parse(gap.frame.data)).toMatchObject({ after: queued.frame.id, oldest: running.frame.id });
    // Ahead of the log (Redis lost it and began again): what came after cannot be told either.
    const ahead = await watch('', { 'last-event-id': '99999999999999-0' });
    await ahead.next('a gap', (f) => f.event === 'gap');

    const upToDate = await watch('?type=job', { 'last-event-id': running.frame.id ?? '' });
    await cluster.remove(id);
    await upToDate.next('removing', ofJob(id, 'removing'));
    expect(upToDate.frames.some((f) => f.event === 'gap')).toBe(false);
  });

  it('answers 400 naming the field for a malformed Last-Event-ID, type or job', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['', { 'last-event-id': 'yesterday' }, 'Last-Event-ID'],
      ['?type=pods', {}, 'type'],
      ['?job=../etc', {}, 'job'],
      ['?lastEventId=x', {}, 'lastEventId'],
    ];
    for (const [query, headers, field] of cases) {
      const client = await watch(query, headers);
      expect(client.response.status).toBe(400);
      const problem = (await client.response.json()) as { errors: Array<{ field: string }> };
      expect(problem.errors.map((e) => e.field)).toContain(field);
    }
    const anonymous = await fetch(`${cluster.api}/v1/events`);
    expect(anonymous.status).toBe(401);
  });

  it("gives one job's timeline from the log (GET /v1/jobs/{id}/events), and none of another namespace's", async () => {
    const id = await cluster.accepted(sleeper);
    const other = await cluster.accepted(sleeper);
    type Timeline = { items: JobEvent[]; count: number; complete: boolean };
    const running = await eventually('its running event', async () => {
      const answer = await cluster.getJson<Timeline>(`/v1/jobs/${id}/events`);
      if (answer.items.at(-1)?.status !== 'running') {
        throw new Error(`last status ${answer.items.at(-1)?.status}`);
      }
      return answer;
    });
    expect(running.items.map((e) => e.status)).toEqual(['queued', 'scheduled', 'running']);
    expect(running).toMatchObject({ complete: true, count: 3 });
    expect(new Set(running.items.map((e) => e.job))).toEqual(new Set([id]));
    expect(running.items[2].node).toMatch(/^h[12]$/);
    const elsewhere = await cluster.fetch(`/v1/jobs/${id}/events`, { token: otherTeam });
    expect(elsewhere.status).toBe(404);
    await Promise.all([cluster.remove(id), cluster.remove(other)]);
  });
});
