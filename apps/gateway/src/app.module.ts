import { GatewayEnv, loadEnv } from '@berth/config';
import { topologyFor } from '@berth/contracts';
import { Declarations, ManagementApi, Messaging, Publisher, RequestReply } from '@berth/messaging';
import {
  BerthState,
  DeadLetterStore,
  EventLog,
  GroupRepository,
  JobRepository,
  WaitingJobs,
  NameRegistry,
  NodeBooks,
  TokenRepository,
} from '@berth/state';
import { Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { GatewayMetrics, metricsRegistry } from '@berth/metrics';
import { ThrottlerModule } from '@nestjs/throttler';
import { jsonLogger } from '@berth/logging';
import { LoggerModule } from 'nestjs-pino';
import { AccessGuard } from './auth/access.guard';
import { AccessService } from './auth/access.service';
import { RateLimitGuard } from './auth/rate-limit.guard';
import { SessionController } from './auth/session.controller';
import { TokensController } from './auth/tokens.controller';
import { ProblemExceptionFilter } from './common/exception.filter';
import { requestValidation } from './common/schema-validation';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { GatewayConsumers } from './consumers/gateway-consumers';
import { DeadLettersService } from './dead-letters/dead-letters.service';
import { ContainerLogs } from './jobs/container-logs';
import { ContainerRoutes } from './docker-api/container.routes';
import { DockerApiServer } from './docker-api/docker-api.server';
import { ImageRoutes } from './docker-api/image.routes';
import { StreamBudget } from './common/stream-budget';
import { SystemRoutes } from './docker-api/system.routes';
import { EventHub } from './events/event-hub';
import { EventsController } from './events/events.controller';
import { GroupsController } from './groups/groups.controller';
import { GroupsService } from './groups/groups.service';
import { HealthController } from './health/health.controller';
import { JobsController } from './jobs/jobs.controller';
import { JobsService } from './jobs/jobs.service';
import { PlacementPreviewService } from './jobs/placement-preview.service';
import { NodeCredentialsService } from './nodes/node-credentials.service';
import { NodesController } from './nodes/nodes.controller';
import { MetricsController } from './metrics/metrics.controller';
import { RequestTimingInterceptor } from './metrics/request-timing.interceptor';
import { QueuesController } from './queues/queues.controller';
import { QueuesService } from './queues/queues.service';

@Module({
  imports: [
    LoggerModule.forRootAsync({
      useFactory: () => {
        const env = loadEnv(GatewayEnv);
        return {
          pinoHttp: {
            logger: jsonLogger('gateway', env.BERTH_LOG_LEVEL),
            // A request is logged when it failed (4xx warn, 5xx error); the rest only at debug.
            customLogLevel: (_req, res, err) =>
              err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'debug',
          },
        };
      },
    }),
    ThrottlerModule.forRootAsync({
      useFactory: () => {
        const env = loadEnv(GatewayEnv);
        return [{ limit: env.BERTH_RATE_LIMIT, ttl: env.BERTH_RATE_WINDOW_SECONDS * 1000 }];
      },
    }),
  ],
  controllers: [
    JobsController,
    GroupsController,
    EventsController,
    NodesController,
    QueuesController,
    DeadLettersController,
    TokensController,
    SessionController,
    HealthController,
    MetricsController,
  ],
  providers: [
    JobsService,
    GroupsService,
    PlacementPreviewService,
    EventHub,
    { provide: GatewayMetrics, useFactory: () => new GatewayMetrics(metricsRegistry('gateway')) },
    { provide: APP_INTERCEPTOR, useClass: RequestTimingInterceptor },
    QueuesService,
    AccessService,
    // In this order: who the caller is, then how often that caller may ask.
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    DeadLettersService,
    NodeCredentialsService,
    GatewayConsumers,
    // The Docker Engine API, on its own port (BERTH_DOCKER_PORT): main.ts starts it after the HTTP API.
    DockerApiServer,
    SystemRoutes,
    ContainerRoutes,
    ContainerLogs,
    ImageRoutes,
    StreamBudget,
    { provide: GatewayEnv, useFactory: () => loadEnv(GatewayEnv) },
    {
      provide: ManagementApi,
      inject: [GatewayEnv],
      useFactory: (env: GatewayEnv) =>
        env.BERTH_RABBITMQ_MANAGEMENT_URL ? new ManagementApi(env.BERTH_RABBITMQ_MANAGEMENT_URL) : null,
    },
    {
      provide: BerthState,
      inject: [GatewayEnv],
      // failFast: while Redis is away the gateway answers 503 at once instead of queueing requests.
      useFactory: (env: GatewayEnv) =>
        BerthState.connect(env.BERTH_REDIS_URL, 'berth-gateway', {
          prefix: env.BERTH_PREFIX,
          nodeTimeoutMs: env.BERTH_NODE_TIMEOUT_SECONDS * 1000,
          deadLetterCap: env.BERTH_DEAD_LETTER_CAP,
          deadLetterMaxBytes: env.BERTH_DEAD_LETTER_MAX_BYTES,
          failFast: true,
        }),
    },
    // Each controller and service is given only the repositories it uses.
    { provide: JobRepository, inject: [BerthState], useFactory: (state: BerthState) => state.jobs },
    { provide: WaitingJobs, inject: [BerthState], useFactory: (state: BerthState) => state.waiting },
    { provide: GroupRepository, inject: [BerthState], useFactory: (state: BerthState) => state.groups },
    { provide: NodeBooks, inject: [BerthState], useFactory: (state: BerthState) => state.nodes },
    { provide: EventLog, inject: [BerthState], useFactory: (state: BerthState) => state.events },
    { provide: DeadLetterStore, inject: [BerthState], useFactory: (state: BerthState) => state.deadLetters },
    { provide: TokenRepository, inject: [BerthState], useFactory: (state: BerthState) => state.tokens },
    { provide: NameRegistry, inject: [BerthState], useFactory: (state: BerthState) => state.names },
    {
      provide: Messaging,
      inject: [GatewayEnv],
      // Do not wait for the broker: the gateway comes up, and /readyz says what is missing.
      useFactory: (env: GatewayEnv) =>
        Messaging.connect(env.BERTH_AMQP_URL, topologyFor(env.BERTH_PREFIX), new Logger('RabbitMQ'), {
          waitForConnection: false,
        }),
    },
    { provide: Publisher, inject: [Messaging], useFactory: (messaging: Messaging) => messaging.publisher },
    { provide: Declarations, inject: [Messaging], useFactory: (messaging: Messaging) => messaging.declarations },
    { provide: RequestReply, inject: [Messaging], useFactory: (messaging: Messaging) => messaging.requests },
    {
      provide: APP_PIPE,
      useValue: requestValidation(),
    },
    { provide: APP_FILTER, useClass: ProblemExceptionFilter },
  ],
})
export class AppModule implements OnApplicationShutdown {
  constructor(
    @Inject(Messaging) private readonly amqp: Messaging,
    @Inject(BerthState) private readonly state: BerthState,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.amqp.close();
    await this.state.close();
  }
}
