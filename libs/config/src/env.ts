import { LOG_LEVELS, LogLevel } from '@berth/logging';
import { Transform } from 'class-transformer';
import { DEFAULT_DEAD_LETTER_MAX_BYTES, MAX_DEAD_LETTER_BYTES, STRATEGIES, StrategyName } from '@berth/contracts';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

/** Settings every Berth service shares. */
export class CommonEnv {
  @Matches(/^amqps?:\/\/.+/, { message: 'must be an amqp:// or amqps:// URL' })
  BERTH_AMQP_URL: string = 'amqp://guest:guest@127.0.0.1:5672';

  /** Namespaces every queue and Redis key, so several clusters (or a test run) can share one broker and Redis. */
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, {
    message: 'must be lowercase letters, digits and dashes, starting with a letter',
  })
  BERTH_PREFIX: string = 'berth';

  /** A host whose agent has not been heard from for this long counts as down. */
  @IsInt()
  @Min(2)
  @Max(3600)
  BERTH_NODE_TIMEOUT_SECONDS: number = 15;

  /**
   * Registries images may come from: comma-separated globs of host[:port] (`docker.io` for Docker Hub names such
   * as `berth/busybox`). The gateway answers 400 for any other; an agent refuses to create such a container.
   */
  @Matches(/^[a-zA-Z0-9.*:-]+(,[a-zA-Z0-9.*:-]+)*$/, { message: 'must be comma-separated globs of host[:port]' })
  BERTH_ALLOWED_REGISTRIES: string = '*';

  /**
   * Where the scheduler and an agent serve Prometheus metrics (`GET /metrics`); 0 (the default) serves none. The
   * gateway serves its own on its API port.
   */
  @IsInt()
  @Min(0)
  @Max(65_535)
  BERTH_METRICS_PORT: number = 0;

  /** Loopback by default, like BERTH_BIND. */
  @IsString()
  BERTH_METRICS_BIND: string = '127.0.0.1';

  /** The lowest level logged (JSON lines on stdout): fatal, error, warn, info, debug, trace or silent. */
  @IsIn(LOG_LEVELS)
  BERTH_LOG_LEVEL: LogLevel = 'info';
}

/** The control plane (gateway, scheduler) keeps Berth's state in Redis; agents never reach it. */
export class ControlPlaneEnv extends CommonEnv {
  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// or rediss:// URL' })
  BERTH_REDIS_URL: string = 'redis://127.0.0.1:6379';

  /**
   * Strategy for jobs that do not name one: spread, binpack or random. The scheduler places by it; the gateway
   * reports it (docker info).
   */
  @IsIn(STRATEGIES)
  BERTH_DEFAULT_STRATEGY: StrategyName = 'spread';
}

export class GatewayEnv extends ControlPlaneEnv {
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number = 8080;

  /** The Docker Engine API for the whole cluster (`docker -H tcp://...`); 0 turns it off. */
  @IsInt()
  @Min(0)
  @Max(65535)
  BERTH_DOCKER_PORT: number = 2375;

  /** Loopback by default, like BERTH_BIND. */
  @IsString()
  BERTH_DOCKER_BIND: string = '127.0.0.1';

  /**
   * How long `docker create`/`run` waits for room. 0 (as classic Swarm): a container that fits on no host is
   * refused at once, with the reason.
   */
  @IsInt()
  @Min(0)
  @Max(86_400)
  BERTH_DOCKER_PLACEMENT_TIMEOUT_SECONDS: number = 0;

  /** Loopback by default: put a TLS-terminating proxy in front before exposing Berth. */
  @IsString()
  BERTH_BIND: string = '127.0.0.1';

  /** Dead letters kept in Redis (GET /v1/dead-letters); beyond it the oldest are dropped. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  BERTH_DEAD_LETTER_CAP: number = 10_000;

  /**
   * Bytes of dead letters kept in Redis (every field counted); beyond it the oldest are dropped. At least what the
   * largest letter takes, so a new one always finds room.
   */
  @IsInt()
  @Min(MAX_DEAD_LETTER_BYTES)
  @Max(Number.MAX_SAFE_INTEGER)
  BERTH_DEAD_LETTER_MAX_BYTES: number = DEFAULT_DEAD_LETTER_MAX_BYTES;

  /**
   * A file holding the admin token (npm start writes `.berth/admin-token`). Read at start; never in Redis, so a
   * Redis that loses everything does not lock operators out. Without it there is no admin, and no token can be made.
   */
  @IsOptional()
  @IsString()
  BERTH_ADMIN_TOKEN_FILE?: string;

  /** Requests each token may make per window (per gateway process); beyond it, 429 with Retry-After. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  BERTH_RATE_LIMIT: number = 6000;

  @IsInt()
  @Min(1)
  @Max(3600)
  BERTH_RATE_WINDOW_SECONDS: number = 60;

  /**
   * RabbitMQ's management API with an administrator's credential (`http://admin:secret@127.0.0.1:15672`), with
   * which POST /v1/nodes makes each host's agent a RabbitMQ user of its own. Without it hosts cannot be added.
   */
  @IsOptional()
  @Matches(/^https?:\/\/.+/, { message: 'must be an http:// or https:// URL' })
  BERTH_RABBITMQ_MANAGEMENT_URL?: string;

  /** The broker as agents reach it, without a credential (each gets its own); defaults to BERTH_AMQP_URL's host. */
  @IsOptional()
  @Matches(/^amqps?:\/\/[^@]+$/, { message: 'must be an amqp:// or amqps:// URL without a user or password' })
  BERTH_AGENT_AMQP_URL?: string;
}

export class SchedulerEnv extends ControlPlaneEnv {
  /**
   * A host down for this long past its heartbeat timeout has failed: its jobs with `reschedule:
   * on-node-failure` are placed elsewhere.
   */
  @IsInt()
  @Min(0)
  @Max(86_400)
  BERTH_RESCHEDULE_GRACE_SECONDS: number = 30;

  /**
   * A file whose contents key the seal on every create the schedulers send (the same file on every scheduler).
   * Without it the key is derived from the schedulers' own broker and Redis URLs, which no agent holds.
   */
  @IsOptional()
  @IsString()
  BERTH_SEAL_KEY_FILE?: string;

  /** Jobs placed at once by one scheduler process. */
  @IsInt()
  @Min(1)
  @Max(1000)
  BERTH_SCHEDULER_CONCURRENCY: number = 64;

  /**
   * How long a job that finished for good (removed, or unschedulable or failed without a container) stays in Redis,
   * by Redis's clock, before the schedulers delete it with its name, index entries and idempotency key. Jobs with a
   * container stay until they are removed.
   */
  @IsInt()
  @Min(1)
  @Max(31_536_000)
  BERTH_JOB_RETENTION_SECONDS: number = 86_400;
}

export class AgentEnv extends CommonEnv {
  /** The Docker endpoint this agent drives. */
  @Matches(/^(unix:\/\/\/.+|tcp:\/\/.+)$/, { message: 'must be unix:///path/to/docker.sock or tcp://host:port' })
  BERTH_DOCKER_HOST: string = 'unix:///var/run/docker.sock';

  /** Defaults to the engine's `berth.host` label, else the engine's name. */
  @IsOptional()
  @Matches(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, { message: 'must be letters, digits, _ . -, at most 63 characters' })
  BERTH_NODE_ID?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  BERTH_NODE_CPU_MILLIS?: number;

  @IsOptional()
  @IsInt()
  @Min(6)
  BERTH_NODE_MEMORY_MIB?: number;

  /** Held back from what `docker info` reports, for the OS, Docker and the agent (not applied to overrides). */
  @IsInt()
  @Min(0)
  BERTH_NODE_RESERVE_CPU_MILLIS: number = 100;

  @IsInt()
  @Min(0)
  BERTH_NODE_RESERVE_MEMORY_MIB: number = 256;

  /** `k=v,k=v`: labels constraints can match. */
  @IsOptional()
  @Matches(/^([a-zA-Z0-9_.-]+=[^,=]*)(,[a-zA-Z0-9_.-]+=[^,=]*)*$/, { message: 'must look like k=v,k=v' })
  BERTH_NODE_LABELS?: string;

  /** Docker calls in flight at once on this host. */
  @IsInt()
  @Min(1)
  @Max(256)
  BERTH_AGENT_CONCURRENCY: number = 8;

  /**
   * A command still running after this long (a big image pull) has its delivery acknowledged and carries on: RabbitMQ
   * closes a channel whose delivery stays unacknowledged past its consumer timeout (30 minutes by default).
   */
  @IsInt()
  @Min(1)
  @Max(1500)
  BERTH_AGENT_SETTLE_SECONDS: number = 60;

  @IsInt()
  @Min(1)
  @Max(600)
  BERTH_HEARTBEAT_SECONDS: number = 3;

  /** How often the agent compares Berth's books with what Docker runs on this host, and mends them. */
  @IsInt()
  @Min(2)
  @Max(3600)
  BERTH_RECONCILE_SECONDS: number = 30;

  /** Docker network mode for job containers; `none` in the local stack. */
  @IsString()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  BERTH_NETWORK_MODE: string = 'none';

  /** The most processes any container may run at once, whatever its job asks (`pidsLimit`, 512 by default). */
  @IsInt()
  @Min(16)
  @Max(4_194_304)
  BERTH_MAX_PIDS: number = 4096;

  /** Docker's json-file log rotation for every container: the size of one file, and how many are kept. */
  @Matches(/^[1-9][0-9]{0,5}[kmg]$/, { message: 'must be a size such as 10m' })
  BERTH_LOG_MAX_SIZE: string = '10m';

  @IsInt()
  @Min(1)
  @Max(100)
  BERTH_LOG_MAX_FILES: number = 3;
}

/** A comma-separated list, each entry trimmed, empty entries dropped. */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

export function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    if (pair.trim() === '') {
      continue;
    }
    const [key, ...rest] = pair.split('=');
    labels[key.trim()] = rest.join('=').trim();
  }
  return labels;
}
