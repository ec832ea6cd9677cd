import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, ChannelModel, ConfirmChannel } from 'amqplib';
import Redis from 'ioredis';
import { encode, JobOutcome, NodeRecord, NodeRequest, reportKey, topologyFor } from '@berth/contracts';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { LOG_DIR, REDIS_URL, TestCluster, testHosts, waitFor } from './support/cluster';

/**
 * NodeRestriction on the real broker: what one host's credential can and cannot do. Each check uses h1's agent
 * credential, exactly as POST /v1/nodes handed it out, against h2's queue, h2's job and the control plane.
 */
describe("one host's credential", () => {
  const [h1, h2] = testHosts(2);
  const cluster = new TestCluster({ hosts: [h1, h2], commonEnv: { BERTH_NODE_TIMEOUT_SECONDS: '4' } });
  const topology = () => topologyFor(cluster.prefix);
  let h1Broker: ChannelModel;
  let h2Job: JobView;

  beforeAll(async () => {
    await cluster.start();
    h1Broker = await connect(cluster.agentEnvOf('h1').BERTH_AMQP_URL);
    h1Broker.on('error', () => undefined);
    h2Job = await cluster.settled<JobView>(
      await cluster.accepted({
        image: 'berth/busybox:latest',
        cmd: ['sleep', '600'],
        resources: { cpuMillis: 100, memoryMiB: 16 },
        constraints: ['node==h2'],
      }),
    );
    expect([h2Job.status, h2Job.node]).toEqual(['running', 'h2']);
  });
  afterAll(async () => {
    await h1Broker?.close().catch(() => undefined);
    await cluster.stop();
  });

  /** A fresh channel (a refusal closes it), and what the broker said when it did. */
  async function attempt(action: (channel: ConfirmChannel) => Promise<unknown>): Promise<string> {
    const channel = await h1Broker.createConfirmChannel();
    let refusal = '';
    channel.on('error', (err: Error) => (refusal ||= err.message));
    try {
      await action(channel);
    } catch (err) {
      refusal ||= (err as Error).message;
    }
    await channel.close().catch(() => undefined);
    return refusal || 'allowed';
  }

  const publish = (channel: ConfirmChannel, exchange: string, key: string, body: Buffer, userId?: string) =>
    new Promise<void>((resolve, reject) =>
      channel.publish(exchange, key, body, { userId }, (err: unknown) =>
        err ? reject(err instanceof Error ? err : new Error('nacked')) : resolve(),
      ),
    );

  it("cannot read or consume another host's commands, nor declare anything", async () => {
    expect(await attempt((c) => c.consume(topology().nodeQueue('h2'), () => undefined))).toMatch(/ACCESS_REFUSED/);
    expect(await attempt((c) => c.get(topology().nodeQueue('h2')))).toMatch(/ACCESS_REFUSED/);
    expect(await attempt((c) => c.consume(topology().jobs, () => undefined))).toMatch(/ACCESS_REFUSED/);
    expect(await attempt((c) => c.assertQueue(`${cluster.prefix}.mine`))).toMatch(/ACCESS_REFUSED/);
    // Its own queue it may read: the agent could not work otherwise.
    expect(await attempt((c) => c.checkQueue(topology().nodeQueue('h1')))).toBe('allowed');
  });

  it('cannot publish anywhere but under its own node id on the reports exchange', async () => {
    const fake: JobOutcome = { type: 'container-failed', jobId: h2Job.id, nodeId: 'h2', reason: 'forged' };
    const user = topology().agentUser('h1');
    // Straight to a queue (the default exchange): the jobs queue, another host's queue, the outcomes queue.
    for (const queue of [topology().jobs, topology().nodeQueue('h2'), topology().outcomes]) {
      expect(await attempt((c) => publish(c, '', queue, encode(fake), user))).toMatch(/ACCESS_REFUSED/);
    }
    // Under h2's routing key.
    expect(
      await attempt((c) => publish(c, topology().reports, reportKey('h2', 'outcome'), encode(fake), user)),
    ).toMatch(/ACCESS_REFUSED/);
    // As another user.
    expect(
      await attempt((c) =>
        publish(c, topology().reports, reportKey('h1', 'outcome'), encode(fake), topology().agentUser('h2')),
      ),
    ).toMatch(/PRECONDITION_FAILED/);
  });

  it("has a forged report about another host's job ignored and logged, the job unchanged", async () => {
    const user = topology().agentUser('h1');
    const forged: JobOutcome[] = [
      { type: 'container-failed', jobId: h2Job.id, nodeId: 'h2', reason: 'forged by h1' },
      { type: 'container-removed', jobId: h2Job.id, nodeId: 'h2' },
    ];
    for (const outcome of forged) {
      // Its own routing key and user (the broker lets that through), another host in the report.
      expect(
        await attempt((c) => publish(c, topology().reports, reportKey('h1', 'outcome'), encode(outcome), user)),
      ).toBe('allowed');
    }
    await waitFor('the scheduler to log both forgeries', () =>
      Promise.resolve(
        readFileSync(join(LOG_DIR, `${cluster.prefix}-scheduler-1.log`), 'utf8')
          .split('\n')
          .filter((line) => line.includes(`for host h2 from RabbitMQ user ${user}`)).length >= 2,
      ),
    );
    const after = await cluster.getJson<JobView>(`/v1/jobs/${h2Job.id}`);
    expect([after.status, after.node, after.containerId]).toEqual(['running', 'h2', h2Job.containerId]);
    expect((await h2.docker.getContainer(h2Job.containerId!).inspect()).State.Running).toBe(true);
  });

  it('cannot register, change or read another host through the control plane', async () => {
    const channel = await h1Broker.createChannel();
    const replies: string[] = [];
    await channel.consume('amq.rabbitmq.reply-to', (m) => m && replies.push(m.content.toString()), { noAck: true });
    const asH2: NodeRequest[] = [
      { type: 'set-node-status', nodeId: 'h2', status: 'down' },
      { type: 'host-jobs', nodeId: 'h2', jobIds: [h2Job.id] },
      { type: 'release-leak', nodeId: 'h2', jobId: h2Job.id },
    ];
    for (const request of asH2) {
      channel.publish(topology().reports, reportKey('h1', 'request'), encode(request), {
        userId: topology().agentUser('h1'),
        replyTo: 'amq.rabbitmq.reply-to',
      });
    }
    await waitFor('three answers', () => Promise.resolve(replies.length === 3));
    for (const reply of replies) {
      expect(JSON.parse(reply)).toMatchObject({ type: 'refused', retryable: false });
    }
    // Asked about h2's job as itself, h1 learns only that it is placed elsewhere.
    channel.publish(
      topology().reports,
      reportKey('h1', 'request'),
      encode({ type: 'host-jobs', nodeId: 'h1', jobIds: [h2Job.id] }),
      { userId: topology().agentUser('h1'), replyTo: 'amq.rabbitmq.reply-to' },
    );
    await waitFor('the answer', () => Promise.resolve(replies.length === 4));
    expect(JSON.parse(replies[3])).toEqual({
      type: 'host-jobs',
      jobs: [{ jobId: h2Job.id, found: true, onThisHost: false }],
    });
    await channel.close();
    const nodes = await cluster.getJson<{ items: NodeRecord[] }>('/v1/nodes');
    expect(nodes.items.find((n) => n.id === 'h2')?.status).toBe('ready');
  });

  it('cannot touch Redis: the agent is given no Redis credential, and its RabbitMQ one opens nothing there', async () => {
    expect(Object.keys(cluster.agentEnvOf('h1')).sort()).toEqual(['BERTH_AMQP_URL', 'BERTH_NODE_ID', 'BERTH_PREFIX']);
    // What the running agent was started with: no Redis URL, and no URL with another user than its own.
    const environ = readFileSync(`/proc/${cluster.pid('agent-h1')}/environ`, 'utf8').split('\0');
    expect(environ.filter((v) => v.startsWith('BERTH_REDIS'))).toEqual([]);
    expect(environ.filter((v) => /^BERTH_[A-Z_]*URL=/.test(v))).toEqual([
      `BERTH_AMQP_URL=${cluster.agentEnvOf('h1').BERTH_AMQP_URL}`,
    ]);
    const { username, password } = new URL(cluster.agentEnvOf('h1').BERTH_AMQP_URL);
    // The cluster's Redis with no credential of its own (REDIS_URL names the administrator).
    const { hostname, port: redisPort } = new URL(REDIS_URL);
    const redis = new Redis({
      host: hostname,
      port: Number(redisPort || 6379),
      lazyConnect: true,
      // Its ready check (INFO) would be refused and close the connection before the commands below are tried.
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    await redis.connect().catch(() => undefined);
    // Without a password Redis lets nobody in (its default user is off), and this one is not a Redis user.
    await expect(redis.call('GET', 'anything')).rejects.toThrow(/NOAUTH/);
    await expect(redis.call('AUTH', decodeURIComponent(username), decodeURIComponent(password))).rejects.toThrow(
      /WRONGPASS|invalid username-password/,
    );
    redis.disconnect();
  });

  it('is locked out once the host is revoked: its agent is disconnected and the host goes down', async () => {
    const revoked = await cluster.fetch('/v1/nodes/h1/credential', { method: 'DELETE' });
    expect(revoked.status).toBe(204);
    await expect(connect(cluster.agentEnvOf('h1').BERTH_AMQP_URL)).rejects.toThrow(/ACCESS_REFUSED|403/);
    await waitFor('h1 down', async () => {
      const nodes = await cluster.getJson<{ items: NodeRecord[] }>('/v1/nodes');
      return nodes.items.find((n) => n.id === 'h1')?.status === 'down';
    });
    expect((await cluster.fetch('/v1/nodes/h1/credential', { method: 'DELETE' })).status).toBe(404);
  });
});
