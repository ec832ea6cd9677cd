import { connect } from 'amqplib';
import { topologyFor } from '@berth/contracts';
import { Messaging } from '@berth/messaging';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { AMQP_URL, RABBITMQ_MANAGEMENT_URL, TestCluster, testHosts, waitFor } from './support/cluster';
import { ROOTFS_TAR, TestRegistry } from './support/registry';

/**
 * RabbitMQ's own figures for a queue, from its management API (loopback): deliveries not yet acknowledged, and
 * how many acknowledgements it has counted. Both undefined until the broker has published figures for the queue
 * (they lag by up to 5 s).
 */
async function queueFigures(queue: string): Promise<{ unacknowledged?: number; acked?: number }> {
  const management = new URL(RABBITMQ_MANAGEMENT_URL);
  const credential = `${decodeURIComponent(management.username)}:${decodeURIComponent(management.password)}`;
  const response = await fetch(`${management.origin}/api/queues/%2F/${encodeURIComponent(queue)}`, {
    headers: { authorization: `Basic ${Buffer.from(credential).toString('base64')}` },
  });
  if (!response.ok) {
    throw new Error(`management API: ${response.status}`);
  }
  const body = (await response.json()) as { messages_unacknowledged?: number; message_stats?: { ack?: number } };
  return { unacknowledged: body.messages_unacknowledged, acked: body.message_stats?.ack };
}

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('failed handlers wait in delay queues, not in open deliveries', () => {
  const prefix = `e2e-delivery-${process.pid}`;
  const topology = topologyFor(prefix);
  const queue = `${prefix}.work`;
  let client: Messaging;
  // A queue of raw bodies, one kind: the policy under test is the same for every contract.
  const work = { name: 'work', kinds: ['work'] as const, decode: () => ({ type: 'work' as const }) };

  beforeAll(async () => {
    client = await Messaging.connect(AMQP_URL, topology, silent);
  });
  afterAll(async () => {
    await client.close();
    const connection = await connect(AMQP_URL);
    const channel = await connection.createChannel();
    for (const name of [
      queue,
      topology.handlerRetry(queue, 1000),
      topology.handlerRetry(queue, 4000),
      topology.deadLetters,
    ]) {
      await channel.deleteQueue(name).catch(() => undefined);
    }
    for (const delay of [1000, 2000, 5000]) {
      await channel.deleteQueue(topology.jobsRetry(delay)).catch(() => undefined);
    }
    await channel.deleteQueue(topology.jobs).catch(() => undefined);
    await channel.deleteQueue(topology.outcomes).catch(() => undefined);
    await channel.deleteExchange(topology.deadLetterExchange).catch(() => undefined);
    await connection.close();
  });

  it('retries a failing handler from delay queues, then dead-letters it with the last error', async () => {
    const seen: Array<{ body: string; attempts: unknown }> = [];
    await client.consumers.consume(
      queue,
      work,
      [
        {
          kind: 'work',
          handle: (_message, delivery) => {
            const body = delivery.content.toString();
            seen.push({ body, attempts: delivery.properties.headers?.['x-berth-attempts'] });
            const failuresWanted = body === 'flaky' ? 2 : Infinity;
            if (seen.filter((s) => s.body === body).length <= failuresWanted) {
              return Promise.reject(new Error(`boom on ${body}`));
            }
            return Promise.resolve();
          },
        },
      ],
      { prefetch: 4 },
    );
    await client.publisher.publish(queue, Buffer.from('flaky'));
    // After its second failure it waits 4 s in the delay queue, acknowledged: no delivery is held open meanwhile.
    await waitFor('the second failure', () => Promise.resolve(seen.length === 2));
    await waitFor('the message in the 4 s delay queue', async () => {
      return (await client.declarations.stats(topology.handlerRetry(queue, 4000)))?.messages === 1;
    });
    expect(seen).toHaveLength(2);
    expect(await client.declarations.stats(queue)).toEqual({ messages: 0, consumers: 1 });
    await waitFor('the flaky message handled on its third try', () => Promise.resolve(seen.length === 3), 30_000);
    expect(seen.map((s) => s.attempts)).toEqual([undefined, 1, 2]);

    // A message that has failed four times already fails once more and is set aside with the reason.
    await client.publisher.publish(queue, Buffer.from('doomed'), { 'x-berth-attempts': '4' });
    await waitFor(
      'the doomed message dead-lettered',
      async () => (await client.declarations.stats(topology.deadLetters))?.messages === 1,
    );
    const connection = await connect(AMQP_URL);
    const channel = await connection.createChannel();
    const dead = await channel.get(topology.deadLetters, { noAck: true });
    await connection.close();
    expect(dead && dead.content.toString()).toBe('doomed');
    expect(dead && dead.properties.headers).toMatchObject({
      'x-berth-queue': queue,
      'x-berth-reason': `failed 5 times (delivery limit of ${queue}); last error: boom on doomed`,
      'x-berth-kind': 'delivery-limit',
    });
    expect(seen.filter((s) => s.body === 'doomed')).toHaveLength(1);
  });
});

describe('a long pull', () => {
  const cluster = new TestCluster({
    hosts: testHosts(1),
    agentEnv: { BERTH_AGENT_SETTLE_SECONDS: '1' },
  });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('has its delivery acknowledged while the pull goes on, so the consumer timeout cannot close the channel', async () => {
    // 30 chunks a second apart: a pull of about 30 s, long against the 1 s the agent waits before acknowledging.
    const registry = new TestRegistry(ROOTFS_TAR, 30, 1000);
    const port = await registry.start();
    try {
      const image = `127.0.0.1:${port}/berth/slow:${Date.now()}`;
      const id = await cluster.accepted({ image, cmd: ['sleep', '600'], resources: { cpuMillis: 100, memoryMiB: 16 } });
      await waitFor(
        'the pull under way',
        async () => (await cluster.getJson<JobView>(`/v1/jobs/${id}`)).status === 'pulling',
      );
      // Wait for figures that count the agent's acknowledgement of the create: if it held the delivery until the
      // pull ended, they would come only once the job was no longer pulling.
      let figures: { unacknowledged?: number; acked?: number } = {};
      await waitFor(
        'the broker to count the acknowledgement',
        async () => {
          figures = await queueFigures(`${cluster.prefix}.node.h1`);
          // The queue's counts and its message stats are published separately: wait for both.
          return (figures.acked ?? 0) >= 1 && figures.unacknowledged !== undefined;
        },
        40_000,
      );
      expect((await cluster.getJson<JobView>(`/v1/jobs/${id}`)).status).toBe('pulling');
      expect(figures.unacknowledged).toBe(0);
      const job = await cluster.settled<JobView>(id);
      expect(job.status).toBe('running');
      await cluster.remove(id);
      await waitFor('removed', async () => (await cluster.getJson<JobView>(`/v1/jobs/${id}`)).status === 'removed');
      await cluster.hosts[0].docker
        .getImage(image)
        .remove()
        .catch(() => undefined);
    } finally {
      await registry.stop();
    }
  });
});
