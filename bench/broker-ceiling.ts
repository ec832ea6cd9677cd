/**
 * The broker's own limit for Berth's message pattern, with no Berth logic at all: per job, a persistent confirmed
 * publish to a quorum jobs queue; a consumer (prefetch 64, Berth's default) that publishes, confirmed, to one of N
 * quorum host queues and acks; a consumer per host queue that publishes, confirmed, to the outcomes queue through
 * a topic exchange and acks; and a consumer of the outcomes that acks. Three connections, as the gateway, the
 * scheduler and the hosts have. `placementsPerSec / brokerCeilingPerSec` is how close Berth gets to the broker.
 */
import { connect, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { cpuSecondsOf, pidsOf } from './bench-services';

const QUORUM = { durable: true, arguments: { 'x-queue-type': 'quorum' } };
const PREFETCH = 64;

function confirmed(channel: ConfirmChannel, exchange: string, key: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish(exchange, key, body, { persistent: true, contentType: 'application/json' }, (err: unknown) =>
      err ? reject(err instanceof Error ? err : new Error('the broker refused the publish')) : resolve(),
    );
  });
}

/** Completed round trips per second for `jobs` jobs over `hosts` host queues, `inFlight` submissions at once. */
export async function measureBrokerCeiling(
  url: string,
  options: { jobs: number; hosts: number; inFlight: number; prefix: string },
): Promise<{ perSec: number; elapsedMs: number; rabbitmqCpuPer1000: number; clientCpuPer1000: number }> {
  const { jobs, hosts, inFlight, prefix } = options;
  const names = {
    jobs: `${prefix}.jobs`,
    outcomes: `${prefix}.outcomes`,
    reports: `${prefix}.reports`,
    host: (i: number) => `${prefix}.node.${i}`,
  };
  const [gateway, scheduler, fleet] = await Promise.all([connect(url), connect(url), connect(url)]);
  const setup = await gateway.createChannel();
  const hostQueues = Array.from({ length: hosts }, (_, i) => names.host(i));
  const all = [names.jobs, names.outcomes, ...hostQueues];
  for (const queue of all) {
    await setup.assertQueue(queue, QUORUM);
    await setup.purgeQueue(queue);
  }
  await setup.assertExchange(names.reports, 'topic', { durable: true });
  await setup.bindQueue(names.outcomes, names.reports, '#.outcome');
  const body = Buffer.from(
    JSON.stringify({ type: 'place-job', spec: { image: 'simulated/app:1' }, pad: 'x'.repeat(200) }),
  );

  let done = 0;
  let resolveAll: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (resolveAll = resolve));

  // The "scheduler": take a job, hand it to a host, ack.
  const schedIn = await scheduler.createChannel();
  const schedOut = await scheduler.createConfirmChannel();
  await schedIn.prefetch(PREFETCH);
  let next = 0;
  await schedIn.consume(names.jobs, (m: ConsumeMessage | null) => {
    if (!m) {
      return;
    }
    const host = names.host(next++ % hosts);
    void confirmed(schedOut, '', host, m.content).then(() => schedIn.ack(m));
  });
  // The "hosts": take a create, report it, ack.
  const hostOut = await fleet.createConfirmChannel();
  for (let i = 0; i < hosts; i++) {
    const channel = await fleet.createChannel();
    await channel.prefetch(PREFETCH);
    await channel.consume(names.host(i), (m: ConsumeMessage | null) => {
      if (!m) {
        return;
      }
      void confirmed(hostOut, names.reports, `h${i}.outcome`, m.content).then(() => channel.ack(m));
    });
  }
  // The "scheduler" again: take the outcome, ack.
  const outcomes = await scheduler.createChannel();
  await outcomes.prefetch(PREFETCH);
  await outcomes.consume(names.outcomes, (m: ConsumeMessage | null) => {
    if (!m) {
      return;
    }
    outcomes.ack(m);
    if (++done === jobs) {
      resolveAll();
    }
  });

  const publisher = await gateway.createConfirmChannel();
  const brokerCpu = () => pidsOf('beam.smp').reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  const clientCpu = () => (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const [brokerBefore, clientBefore] = [brokerCpu(), clientCpu()];
  const start = performance.now();
  let submitted = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (submitted < jobs) {
        submitted++;
        await confirmed(publisher, '', names.jobs, body);
      }
    }),
  );
  await finished;
  const elapsedMs = performance.now() - start;
  const rabbitmqCpuPer1000 = ((brokerCpu() - brokerBefore) / jobs) * 1000;
  const clientCpuPer1000 = ((clientCpu() - clientBefore) / jobs) * 1000;

  for (const queue of all) {
    await setup.deleteQueue(queue).catch(() => undefined);
  }
  await setup.deleteExchange(names.reports).catch(() => undefined);
  await Promise.all([gateway.close(), scheduler.close(), fleet.close()]);
  return {
    perSec: Math.round((jobs / elapsedMs) * 1000),
    elapsedMs,
    rabbitmqCpuPer1000: Math.round(rabbitmqCpuPer1000 * 1000) / 1000,
    clientCpuPer1000: Math.round(clientCpuPer1000 * 1000) / 1000,
  };
}
