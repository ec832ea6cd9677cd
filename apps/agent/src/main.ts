import 'reflect-metadata';
import { AgentEnv, loadEnv, parseList } from '@berth/config';
import { NODE_QUEUE, topologyFor } from '@berth/contracts';
import { hostCommandHandlers } from './consumers';
import { Messaging } from '@berth/messaging';
import { useJsonLogs } from '@berth/logging';
import { AgentMetrics, metricsRegistry, serveMetrics, timed } from '@berth/metrics';
import { boot, PeriodicTask, runUntilSignal } from '@berth/runtime';
import { Logger } from '@nestjs/common';
import { AgentService } from './services/agent.service';
import { ControlPlaneClient } from './services/control-plane.client';
import { DockerEventsService } from './services/docker-events.service';
import { ReconcileService } from './services/reconcile.service';
import { DockerRepository } from './services/docker.repository';
import { agentInstance, claimNodeId, describeHost, RegistrationService } from './services/registration.service';

async function main(): Promise<void> {
  const env = loadEnv(AgentEnv);
  useJsonLogs('agent', env.BERTH_LOG_LEVEL);
  const logger = new Logger('Agent');
  const registry = metricsRegistry('agent');
  const metrics = new AgentMetrics(registry);
  const docker = timed(new DockerRepository(env.BERTH_DOCKER_HOST), (operation, seconds, ok) =>
    metrics.dockerCalls.observe({ operation, outcome: ok ? 'ok' : 'error' }, seconds),
  );
  const info = await docker.info().catch((err: unknown) => {
    throw new Error(`cannot reach Docker at ${env.BERTH_DOCKER_HOST}: ${String(err)}`);
  });
  const host = describeHost(env, info);
  const topology = topologyFor(env.BERTH_PREFIX);
  // RabbitMQ only: the agent holds no Redis credential, and its host's books are the control plane's to keep.
  const amqp = await Messaging.connect(env.BERTH_AMQP_URL, topology, logger, { agentOf: host.nodeId });
  const books = new ControlPlaneClient(amqp.requests, host.nodeId);
  // Before anything of the host's: a second agent with a node id a live one holds must not take its work.
  const instance = agentInstance(docker.address);
  await claimNodeId(books, instance, logger);

  const agent = new AgentService(
    {
      nodeId: host.nodeId,
      cluster: env.BERTH_PREFIX,
      policy: {
        networkMode: env.BERTH_NETWORK_MODE,
        maxPids: env.BERTH_MAX_PIDS,
        logMaxSize: env.BERTH_LOG_MAX_SIZE,
        logMaxFiles: env.BERTH_LOG_MAX_FILES,
        allowedRegistries: parseList(env.BERTH_ALLOWED_REGISTRIES),
      },
    },
    docker,
    books,
    amqp.publisher,
    { running: (seconds) => metrics.placedToRunning.observe(seconds) },
  );
  await amqp.consumers.consume(
    topology.nodeQueue(host.nodeId),
    NODE_QUEUE,
    hostCommandHandlers(agent, amqp.requests, env.BERTH_AGENT_SETTLE_SECONDS * 1000),
    { prefetch: env.BERTH_AGENT_CONCURRENCY },
  );
  logger.log(`consuming ${topology.nodeQueue(host.nodeId)} with ${env.BERTH_AGENT_CONCURRENCY} Docker calls in flight`);
  const events = new DockerEventsService(docker, amqp.publisher, host.nodeId, env.BERTH_PREFIX, (jobId) =>
    agent.isRestarting(jobId),
  );
  await events.start();
  // After a restart, mend what happened while the agent was away, then keep checking.
  const reconciler = new ReconcileService(host.nodeId, env.BERTH_PREFIX, docker, books, agent);
  const reconcile = new PeriodicTask('reconciliation', () => reconciler.pass(), logger);
  // The host registers as restoring and takes work once a first reconciliation has made its books true.
  const registration = new RegistrationService(
    books,
    docker,
    host,
    env.BERTH_PREFIX,
    env.BERTH_HEARTBEAT_SECONDS * 1000,
    // A pass already under way may have read the books before Redis lost them: the rebuild gets a pass of its own.
    () => reconcile.runFresh(),
    instance,
    () => {
      logger.error(`node id ${host.nodeId} is now held by another agent; stopping`);
      process.kill(process.pid, 'SIGTERM');
    },
  );
  // Heartbeats run while the books are rebuilt (the host stays restoring), so a long rebuild never looks like a dead
  // host. Redis may be away at boot: the heartbeat tries again until the host is registered and rebuilt.
  registration.startHeartbeat();
  await registration
    .registerAndRebuild()
    .catch((err: unknown) => logger.warn(`registration failed, retrying with the heartbeat: ${String(err)}`));
  reconcile.start(env.BERTH_RECONCILE_SECONDS * 1000);
  const metricsServer =
    env.BERTH_METRICS_PORT > 0 ? await serveMetrics(registry, env.BERTH_METRICS_PORT, env.BERTH_METRICS_BIND) : null;

  return runUntilSignal(logger, async () => {
    metricsServer?.close();
    events.stop();
    await reconcile.stop();
    await registration.stop();
    await amqp.close();
  });
}

boot('agent', main);
