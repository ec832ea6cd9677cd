import 'reflect-metadata';
import { JOBS_QUEUE, NODE_REQUESTS_QUEUE, OUTCOMES_QUEUE, topologyFor } from '@berth/contracts';
import { loadEnv, SchedulerEnv } from '@berth/config';
import { Messaging } from '@berth/messaging';
import { boot, PeriodicTask, runUntilSignal } from '@berth/runtime';
import { useJsonLogs } from '@berth/logging';
import { clusterGauges, metricsRegistry, SchedulerMetrics, serveMetrics } from '@berth/metrics';
import { BerthState } from '@berth/state';
import { Logger } from '@nestjs/common';
import { jobHandlers, nodeRequestHandlers, outcomeHandlers } from './consumers';
import { HostBooksService } from './services/host-books.service';
import { NodeMonitorService } from './services/node-monitor.service';
import { NodeView } from './services/node-view';
import { PlacementService } from './services/placement.service';
import { RoomWaker } from './services/room-waker';
import { RetentionSweeper } from './services/retention-sweeper.service';
import { WaitingSweeper } from './services/waiting-sweeper.service';
import { sealKeyOf } from './seal-key';

async function main(): Promise<void> {
  const env = loadEnv(SchedulerEnv);
  useJsonLogs('scheduler', env.BERTH_LOG_LEVEL);
  const logger = new Logger('Scheduler');
  const topology = topologyFor(env.BERTH_PREFIX);
  const state = BerthState.connect(env.BERTH_REDIS_URL, 'berth-scheduler', {
    prefix: env.BERTH_PREFIX,
    nodeTimeoutMs: env.BERTH_NODE_TIMEOUT_SECONDS * 1000,
  });
  const amqp = await Messaging.connect(env.BERTH_AMQP_URL, topology, logger);

  const sealKey = sealKeyOf(env);
  const registry = metricsRegistry('scheduler');
  const metrics = new SchedulerMetrics(registry);
  clusterGauges(registry, {
    nodes: () => state.nodes.list(),
    pending: async () => ({
      active: (await amqp.declarations.stats(topology.jobs))?.messages ?? 0,
      waiting: await state.waiting.size(),
    }),
  });
  const waitingSweeper = new WaitingSweeper(state, amqp.publisher);
  const lostTries = new PeriodicTask('waiting sweep', () => waitingSweeper.sweep(), logger);
  const waker = new RoomWaker(
    state.waiting,
    () => lostTries.runFresh(),
    (err) => logger.warn(`could not wake the jobs waiting for room: ${String(err)}`),
  );
  const view = new NodeView(state.nodes, {
    onError: (err) => logger.warn(`node view: could not read the hosts: ${String(err)}`),
    onRoomFreed: (containers) => waker.freed(containers),
  });
  view.start();
  const placement = new PlacementService(state, amqp.publisher, view, {
    defaultStrategy: env.BERTH_DEFAULT_STRATEGY,
    sealKey,
    observer: metrics,
    wake: (containers) => waker.freed(containers),
  });
  // Many jobs in flight at once: the prefetch is the concurrency, and nothing below serializes them.
  const inFlight = { prefetch: env.BERTH_SCHEDULER_CONCURRENCY };
  await amqp.consumers.consume(topology.jobs, JOBS_QUEUE, jobHandlers(placement), inFlight);
  await amqp.consumers.consume(
    topology.outcomes,
    OUTCOMES_QUEUE,
    outcomeHandlers({ state, publisher: amqp.publisher }, topology),
    inFlight,
  );
  // Agents hold no Redis credential: their hosts' books are read and kept here, for them.
  await amqp.consumers.consume(
    topology.nodeRequests,
    NODE_REQUESTS_QUEUE,
    nodeRequestHandlers(new HostBooksService(state, amqp.publisher, sealKey), amqp.requests, topology),
    inFlight,
  );
  logger.log(
    `consuming ${topology.jobs} with ${env.BERTH_SCHEDULER_CONCURRENCY} jobs in flight, default strategy ${env.BERTH_DEFAULT_STRATEGY}, finished jobs kept ${env.BERTH_JOB_RETENTION_SECONDS} s`,
  );
  const nodeMonitor = new NodeMonitorService(
    state,
    amqp.publisher,
    (env.BERTH_NODE_TIMEOUT_SECONDS + env.BERTH_RESCHEDULE_GRACE_SECONDS) * 1000,
  );
  const monitor = new PeriodicTask('node check', () => nodeMonitor.check(), logger);
  monitor.start(2000);
  const sweeper = new RetentionSweeper(state.retention, env.BERTH_JOB_RETENTION_SECONDS * 1000);
  const sweep = new PeriodicTask('retention sweep', () => sweeper.sweep(), logger);
  sweep.start(1000);
  // Lost tries of waiting jobs, and parked jobs whose placement timeout ran out.
  lostTries.start(2000);
  // Conflicts show how often replicas raced for the same room; a steady rise means too little capacity.
  const statsTimer = setInterval(
    () => logger.log(`placement: ${JSON.stringify(placement.stats)}; jobs expired: ${sweeper.expired}`),
    60_000,
  );
  statsTimer.unref();
  const metricsServer =
    env.BERTH_METRICS_PORT > 0 ? await serveMetrics(registry, env.BERTH_METRICS_PORT, env.BERTH_METRICS_BIND) : null;
  if (metricsServer) {
    logger.log(`metrics on http://${env.BERTH_METRICS_BIND}:${env.BERTH_METRICS_PORT}/metrics`);
  }

  return runUntilSignal(logger, async () => {
    metricsServer?.close();
    view.stop();
    await waker.idle();
    await lostTries.stop();
    await sweep.stop();
    await monitor.stop();
    await amqp.close();
    await state.close();
    logger.log(`stopped: ${JSON.stringify(placement.stats)}`);
  });
}

boot('scheduler', main);
