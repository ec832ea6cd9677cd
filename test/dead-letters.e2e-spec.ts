import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { connect, ChannelModel, ConfirmChannel, Options } from 'amqplib';
import Redis from 'ioredis';
import { MAX_DEAD_LETTER_BODY_BYTES } from '@berth/contracts';
import { toDeadLetterRecord } from '@berth/messaging';
import { BerthState, deadLetterFields, storedBytesOf } from '@berth/state';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { AMQP_URL, LOG_DIR, REDIS_URL, TestCluster, testHosts, waitFor } from './support/cluster';

interface DeadLetterSummary {
  id: string;
  queue: string | null;
  reason: string;
  kind: string;
  at: string;
  bodyEncoding: 'utf8' | 'base64';
  bodyBytes: number;
  preview: string;
}

interface DeadLetter extends Omit<DeadLetterSummary, 'preview'> {
  body: string;
  headers: Record<string, unknown>;
}

interface Problem {
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

/**
 * Poison messages on every queue end up in the dead-letter store once, with where they came from and why; the
 * services stay up and keep placing jobs; an operator can read, retry and drop them.
 */
describe('dead letters', () => {
  const cluster = new TestCluster({ hosts: testHosts(1) });
  const host = cluster.hosts[0].id;
  const queues = {
    jobs: `${cluster.prefix}.jobs`,
    outcomes: `${cluster.prefix}.outcomes`,
    node: `${cluster.prefix}.node.${host}`,
  };
  let connection: ChannelModel;
  let channel: ConfirmChannel;

  beforeAll(async () => {
    await cluster.start();
    connection = await connect(AMQP_URL);
    channel = await connection.createConfirmChannel();
  });
  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    await cluster.stop();
  });

  /** Straight to a queue (the default exchange), as any client of the broker could. */
  async function publish(queue: string, body: string | Buffer, options: Options.Publish = {}): Promise<void> {
    channel.sendToQueue(queue, Buffer.isBuffer(body) ? body : Buffer.from(body), { persistent: true, ...options });
    await channel.waitForConfirms();
  }

  /** Into the dead-letter exchange, as RabbitMQ or a Berth service would. */
  async function publishDead(body: string, headers: Record<string, unknown>): Promise<void> {
    channel.publish(`${cluster.prefix}.dead`, '', Buffer.from(body), { persistent: true, headers });
    await channel.waitForConfirms();
  }

  async function list(query = ''): Promise<DeadLetterSummary[]> {
    return (await cluster.getJson<{ items: DeadLetterSummary[] }>(`/v1/dead-letters${query}`)).items;
  }

  async function deadLetter(id: string): Promise<DeadLetter> {
    return cluster.getJson<DeadLetter>(`/v1/dead-letters/${id}`);
  }

  /** Waits for the one dead letter whose body is `body` (a body no other message has) and returns it in full. */
  async function arrived(body: string | Buffer, timeoutMs = 60_000): Promise<DeadLetter> {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    let found: DeadLetter[] = [];
    await waitFor(
      `a dead letter with body ${bytes.toString('base64').slice(0, 40)}`,
      async () => {
        const all = await Promise.all((await list('?limit=500')).map((item) => deadLetter(item.id)));
        found = all.filter((d) => Buffer.from(d.body, d.bodyEncoding === 'base64' ? 'base64' : 'utf8').equals(bytes));
        return found.length > 0;
      },
      timeoutMs,
    );
    return found[0];
  }

  async function request(method: string, path: string): Promise<{ status: number; body: unknown }> {
    const response = await cluster.fetch(`${path}`, { method });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  function fieldsOf(body: unknown): string[] {
    return ((body as Problem).errors ?? []).map((e) => e.field);
  }

  async function running(id: string): Promise<JobView> {
    let job: JobView | undefined;
    await waitFor(`job ${id} to run`, async () => {
      job = await cluster.getJson<JobView>(`/v1/jobs/${id}`);
      return job.status === 'running';
    });
    return job as JobView;
  }

  const tag = randomUUID();
  /**
   * The control plane dead-letters what it cannot read with its own reason (`malformed`). An agent may publish
   * nowhere but the reports exchange, so it rejects such a message and the broker dead-letters it (`rejected`);
   * its reason is in the agent's log.
   */
  const poisons: Array<{
    what: string;
    queue: () => string;
    body: Buffer;
    reason: RegExp;
    kind?: 'rejected';
  }> = [
    { what: 'not JSON on jobs', queue: () => queues.jobs, body: Buffer.from(`{"oops ${tag}`), reason: /not JSON/ },
    {
      what: 'a wrong type on jobs',
      queue: () => queues.jobs,
      body: Buffer.from(JSON.stringify({ type: 'launch-rocket', jobId: tag })),
      reason: /type must be one of place-job/,
    },
    {
      what: 'a missing field on outcomes',
      queue: () => queues.outcomes,
      body: Buffer.from(JSON.stringify({ type: 'container-running', nodeId: host, note: tag })),
      reason: /jobId is required/,
    },
    {
      what: 'bytes that are not UTF-8 on outcomes',
      queue: () => queues.outcomes,
      body: Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(tag)]),
      reason: /not JSON/,
    },
    {
      what: 'a create-container without a spec on the host queue',
      queue: () => queues.node,
      body: Buffer.from(JSON.stringify({ type: 'create-container', jobId: tag })),
      reason: /spec is required/,
      kind: 'rejected',
    },
    {
      what: 'a wrong type on the host queue',
      queue: () => queues.node,
      body: Buffer.from(JSON.stringify({ type: 'format-disk', jobId: tag })),
      reason: /type must be one of create-container, remove-container, fetch-logs/,
      kind: 'rejected',
    },
  ];
  const stored = new Map<string, DeadLetter>();

  it('dead-letters a malformed message on jobs, outcomes and a host queue once, with its queue and reason', async () => {
    for (const poison of poisons) {
      await publish(poison.queue(), poison.body);
    }
    for (const poison of poisons) {
      const letter = await arrived(poison.body);
      stored.set(poison.what, letter);
      expect({ what: poison.what, queue: letter.queue, kind: letter.kind }).toEqual({
        what: poison.what,
        queue: poison.queue(),
        kind: poison.kind ?? 'malformed',
      });
      if (poison.kind === 'rejected') {
        expect(letter.reason).toMatch(/rejected by a consumer of/);
        const agentLog = readFileSync(join(LOG_DIR, `${cluster.prefix}-agent-${host}.log`), 'utf8');
        expect(agentLog).toMatch(poison.reason);
      } else {
        expect(letter.reason).toMatch(poison.reason);
        expect(letter.headers['x-berth-queue']).toBe(poison.queue());
      }
    }
    const binary = stored.get('bytes that are not UTF-8 on outcomes');
    expect(binary?.bodyEncoding).toBe('base64');
    expect(stored.get('not JSON on jobs')?.bodyEncoding).toBe('utf8');
  });

  it('keeps every service up and placing jobs after the poison, and nothing loops', async () => {
    const id = await cluster.accepted({
      image: 'berth/busybox:latest',
      cmd: ['sleep', '600'],
      resources: { cpuMillis: 100, memoryMiB: 16 },
    });
    const job = await running(id);
    expect(job.node).toBe(host);
    for (const name of ['gateway', 'scheduler-1', `agent-${host}`]) {
      expect({ name, running: cluster.isRunning(name) }).toEqual({ name, running: true });
    }
    // Each poison was acked where it landed, and stored once: not redelivered, not dead-lettered again.
    await waitFor('the queues to be empty', async () => {
      const { items } = await cluster.getJson<{ items: Array<{ name: string; messages: number | null }> }>(
        '/v1/queues',
      );
      return items.every((q) => q.messages === 0);
    });
    const all = await Promise.all((await list('?limit=500')).map((item) => deadLetter(item.id)));
    for (const poison of poisons) {
      const copies = all.filter((d) =>
        Buffer.from(d.body, d.bodyEncoding === 'base64' ? 'base64' : 'utf8').equals(poison.body),
      );
      expect({ what: poison.what, copies: copies.length }).toEqual({ what: poison.what, copies: 1 });
    }
  });

  it('lists newest first, filters by queue and honours the limit', async () => {
    const items = await list();
    expect(items.length).toBe(poisons.length);
    const times = items.map((item) => Date.parse(item.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const fromOutcomes = await list(`?queue=${encodeURIComponent(queues.outcomes)}`);
    expect(fromOutcomes.map((item) => item.queue)).toEqual([queues.outcomes, queues.outcomes]);
    expect(await list('?limit=2')).toHaveLength(2);
    expect(await list('?queue=nowhere')).toEqual([]);
  });

  it('a retried poison message is sent back, fails again, and comes back with its reason', async () => {
    const old = stored.get('not JSON on jobs') as DeadLetter;
    const retried = await request('POST', `/v1/dead-letters/${old.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual({
      id: old.id,
      action: 'republished',
      queue: queues.jobs,
      bodyBytes: old.bodyBytes,
      deleted: true,
    });
    let again: DeadLetter | undefined;
    await waitFor('the poison to be dead-lettered again', async () => {
      const items = await list(`?queue=${encodeURIComponent(queues.jobs)}`);
      const fresh = items.find((item) => item.id !== old.id && item.preview === old.body);
      again = fresh ? await deadLetter(fresh.id) : undefined;
      return again !== undefined;
    });
    expect(again?.reason).toBe(old.reason);
    expect(again?.kind).toBe('malformed');
    expect((await request('GET', `/v1/dead-letters/${old.id}`)).status).toBe(404);
  });

  it('a valid place-job that was dead-lettered is placed once retried', async () => {
    // The job is recorded by the API as usual; its place-job message is then lost to the dead-letter queue.
    await cluster.kill('scheduler-1', 'SIGTERM');
    const id = await cluster.accepted({
      image: 'berth/busybox:latest',
      cmd: ['sleep', '600'],
      resources: { cpuMillis: 100, memoryMiB: 16 },
    });
    const message = await channel.get(queues.jobs, { noAck: false });
    expect(message).not.toBe(false);
    if (message === false) {
      return;
    }
    const body = message.content.toString();
    expect(JSON.parse(body)).toMatchObject({ type: 'place-job', jobId: id });
    await publishDead(body, { 'x-berth-queue': queues.jobs });
    channel.ack(message);
    cluster.restart('scheduler-1');

    const letter = await arrived(body);
    expect(letter.queue).toBe(queues.jobs);
    expect(letter.kind).toBe('unknown');
    expect((await cluster.getJson<JobView>(`/v1/jobs/${id}`)).status).toBe('queued');

    const retried = await request('POST', `/v1/dead-letters/${letter.id}/retry`);
    expect(retried.status).toBe(202);
    expect((await running(id)).node).toBe(host);
    expect((await request('GET', `/v1/dead-letters/${letter.id}`)).status).toBe(404);
  });

  it('a message its handler keeps failing on is dead-lettered at the delivery limit, with the last error', async () => {
    // A job record Redis cannot read as one (a string, not a hash): every placement attempt fails.
    const jobId = randomUUID();
    const redis = new Redis(REDIS_URL);
    try {
      await redis.set(`${cluster.prefix}:job:${jobId}`, 'not a job record');
    } finally {
      await redis.quit();
    }
    const body = JSON.stringify({
      type: 'place-job',
      jobId,
      spec: {
        image: 'berth/busybox:latest',
        env: {},
        labels: {},
        resources: { cpuMillis: 100, memoryMiB: 16 },
        placementTimeoutSeconds: 600,
      },
      submittedAt: new Date().toISOString(),
      attempt: 0,
    });
    await publish(queues.jobs, body);
    // Five attempts, waiting 1 + 4 + 16 + 30 s between them in delay queues.
    const letter = await arrived(body, 150_000);
    expect(letter.queue).toBe(queues.jobs);
    expect(letter.kind).toBe('delivery-limit');
    expect(letter.reason).toMatch(/^failed 5 times \(delivery limit of .*\.jobs\); last error: .*WRONGTYPE/);
    expect(letter.headers['x-berth-kind']).toBe('delivery-limit');
    expect(cluster.isRunning('scheduler-1')).toBe(true);
  }, 180_000);

  it('drops a dead letter: 204, then 404 naming the id', async () => {
    const letter = stored.get('a wrong type on the host queue') as DeadLetter;
    const dropped = await request('DELETE', `/v1/dead-letters/${letter.id}`);
    expect(dropped).toEqual({ status: 204, body: null });
    for (const [method, path] of [
      ['GET', `/v1/dead-letters/${letter.id}`],
      ['DELETE', `/v1/dead-letters/${letter.id}`],
      ['POST', `/v1/dead-letters/${letter.id}/retry`],
      ['GET', '/v1/dead-letters/not-an-id'],
      ['DELETE', '/v1/dead-letters/..%2F..%2Fjobs'],
    ] as const) {
      const response = await request(method, path);
      expect({ method, path, status: response.status, fields: fieldsOf(response.body) }).toEqual({
        method,
        path,
        status: 404,
        fields: ['id'],
      });
    }
    expect((await list()).some((item) => item.id === letter.id)).toBe(false);
  });

  it('refuses to retry a dead letter whose queue is unknown or not the cluster’s: 409 naming the id', async () => {
    const nowhere = `{"orphan":"${randomUUID()}"}`;
    const foreign = `{"foreign":"${randomUUID()}"}`;
    await publishDead(nowhere, {});
    await publishDead(foreign, { 'x-berth-queue': 'another-cluster.jobs' });
    for (const body of [nowhere, foreign]) {
      const letter = await arrived(body);
      const response = await request('POST', `/v1/dead-letters/${letter.id}/retry`);
      expect({ body, status: response.status, fields: fieldsOf(response.body) }).toEqual({
        body,
        status: 409,
        fields: ['id'],
      });
      expect((await request('GET', `/v1/dead-letters/${letter.id}`)).status).toBe(200);
    }
  });

  it('keeps at most its cap, dropping the oldest, and stores a repeat once', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      // Under the cluster's prefix, so its clean-up removes these keys too.
      const state = new BerthState(redis, {
        prefix: `${cluster.prefix}:cap-test`,
        nodeTimeoutMs: 15_000,
        deadLetterCap: 3,
      });
      const store = state.deadLetters;
      const records = [1, 2, 3, 4, 5].map((n) =>
        toDeadLetterRecord(
          Buffer.from(`{"n":${n}}`),
          { headers: { 'x-berth-reason': 'test', 'x-berth-queue': queues.jobs } },
          new Date(Date.UTC(2025, 0, 1, 0, 0, n)),
        ),
      );
      for (const record of records) {
        expect(await store.add(record)).toBe(true);
      }
      expect(await store.add(records[4])).toBe(false);
      expect(await store.count()).toBe(3);
      expect((await store.list({ limit: 10 })).map((d) => d.id)).toEqual(
        [records[4], records[3], records[2]].map((r) => r.id),
      );
      expect(await store.get(records[0].id)).toBeNull();
      expect(await redis.exists(state.keys.deadLetter(records[1].id))).toBe(0);
      expect((await store.get(records[2].id))?.body).toBe('{"n":3}');
    } finally {
      await redis.quit();
    }
  });

  it('keeps at most its byte cap, dropping the oldest first, and keeps a letter too large to keep whole, cut', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const letter = (n: number, size: number) =>
        toDeadLetterRecord(
          Buffer.from(JSON.stringify({ n, pad: 'p'.repeat(size) })),
          { headers: { 'x-berth-reason': 'test', 'x-berth-queue': queues.jobs } },
          new Date(Date.UTC(2025, 0, 1, 0, 0, n)),
        );
      const sizeOf = (record: ReturnType<typeof letter>) => storedBytesOf(deadLetterFields(record));
      const small = [1, 2, 3, 4].map((n) => letter(n, 1000));
      // Room for three small letters, not four; the count cap is far away.
      const maxBytes = sizeOf(small[0]) * 3 + 100;
      const state = new BerthState(redis, {
        prefix: `${cluster.prefix}:bytes-test`,
        nodeTimeoutMs: 15_000,
        deadLetterCap: 100,
        deadLetterMaxBytes: maxBytes,
      });
      const store = state.deadLetters;
      const stored = async () => (await store.list({ limit: 100 })).map((d) => d.id);
      for (const record of small) {
        expect(await store.add(record)).toBe(true);
        expect(await store.bytes()).toBeLessThanOrEqual(maxBytes);
      }
      expect(await stored()).toEqual([small[3], small[2], small[1]].map((r) => r.id));
      expect(await store.bytes()).toBe(sizeOf(small[1]) + sizeOf(small[2]) + sizeOf(small[3]));

      // A letter nearly as large as two small ones (its pad makes up the difference) pushes out the two oldest; a
      // deletion gives its bytes back.
      const double = letter(5, sizeOf(small[0]) + 1000 - 50);
      expect(sizeOf(double)).toBe(2 * sizeOf(small[0]) - 50);
      expect(await store.add(double)).toBe(true);
      expect(await stored()).toEqual([double.id, small[3].id]);
      expect(await store.delete(small[3].id)).toBe(true);
      expect(await store.bytes()).toBe(sizeOf(double));

      // A body beyond what a letter keeps is cut, says so, and is kept: it empties the store to fit, never lost.
      const huge = letter(6, MAX_DEAD_LETTER_BODY_BYTES * 2);
      expect(huge.bodyTruncated).toBe(true);
      const roomy = new BerthState(redis, {
        prefix: `${cluster.prefix}:bytes-test`,
        nodeTimeoutMs: 15_000,
        deadLetterMaxBytes: sizeOf(huge),
      });
      expect(await roomy.deadLetters.add(huge)).toBe(true);
      expect(await roomy.deadLetters.list({ limit: 100 })).toEqual([
        expect.objectContaining({ id: huge.id, bodyTruncated: true, bodyBytes: huge.bodyBytes }),
      ]);
      expect(await roomy.deadLetters.bytes()).toBe(sizeOf(huge));
      expect(await redis.exists(state.keys.deadLetter(double.id))).toBe(0);
    } finally {
      await redis.quit();
    }
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['queue=', 'queue'],
    ['colour=red', 'colour'],
  ])('GET /v1/dead-letters?%s is a 400 naming %s', async (query, field) => {
    const response = await cluster.fetch(`/v1/dead-letters?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(fieldsOf(await response.json())).toEqual([field]);
  });
});
