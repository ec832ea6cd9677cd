import { connect } from 'amqplib';
import { AMQP_URL, TestCluster, testHosts, waitFor } from './support/cluster';

interface QueueView {
  name: string;
  role: string;
  messages: number | null;
  ready: number | null;
  unacked: number | null;
  consumers: number | null;
}

const HOST_QUEUES = 1000;

/** GET /v1/queues from RabbitMQ's management API, at the scale of a thousand hosts, on the real broker. */
describe('the queues of a thousand hosts', () => {
  const cluster = new TestCluster({ hosts: testHosts(2) });
  const extra = Array.from(
    { length: HOST_QUEUES },
    (_, i) => `${cluster.prefix}.node.far-${String(i).padStart(4, '0')}`,
  );

  beforeAll(async () => {
    await cluster.start();
    // A thousand hosts' queues (classic, to be quick to make): what a big fleet's broker holds.
    const connection = await connect(AMQP_URL);
    const channel = await connection.createChannel();
    for (const name of extra) {
      await channel.assertQueue(name, { durable: false });
    }
    await connection.close();
  });
  afterAll(async () => {
    const connection = await connect(AMQP_URL);
    const channel = await connection.createChannel();
    for (const name of extra) {
      await channel.deleteQueue(name);
    }
    await connection.close();
    await cluster.stop();
  });

  it('lists every host queue, the waiting tiers and the control plane, with depths and consumers', async () => {
    let answer: { items: QueueView[]; deadLetters: number } = { items: [], deadLetters: -1 };
    const h1 = `${cluster.prefix}.node.h1`;
    // The management API's counts lag by up to its statistics interval (5 s): h1's agent shows up in its time.
    await waitFor('the broker to list every queue, and h1 with its consumer', async () => {
      answer = await cluster.getJson('/v1/queues');
      const listed = answer.items.filter((q) => q.role === 'node').length >= HOST_QUEUES + 2;
      return listed && answer.items.find((q) => q.name === h1)?.consumers === 1;
    });
    const byRole = (role: string) => answer.items.filter((q) => q.role === role).map((q) => q.name);
    expect(byRole('node')).toHaveLength(HOST_QUEUES + 2);
    expect(byRole('node')).toEqual(expect.arrayContaining([...extra, h1]));
    expect(byRole('waiting').sort()).toEqual(
      ['1000', '2000', '5000', '30000'].map((ms) => `${cluster.prefix}.jobs.waiting-${ms}ms`).sort(),
    );
    // The control plane's queues first (the jobs queue and its waiting tiers), counted exactly, with consumers.
    expect(answer.items.slice(0, 4).map((q) => q.role)).toEqual(['jobs', 'waiting', 'waiting', 'waiting']);
    const own = ['jobs', 'outcomes', 'node-requests'].map((role) => answer.items.find((q) => q.role === role));
    expect(own.map((q) => [q?.role, q?.messages, (q?.consumers ?? 0) > 0])).toEqual([
      ['jobs', 0, true],
      ['outcomes', 0, true],
      ['node-requests', 0, true],
    ]);
    expect(answer.deadLetters).toBe(0);
    // Only this cluster's queues: another prefix's are not its business.
    expect(answer.items.every((q) => q.name.startsWith(`${cluster.prefix}.`))).toBe(true);
  });
});
