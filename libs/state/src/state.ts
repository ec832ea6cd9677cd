import { TokenRepository } from './tokens';
import type Redis from 'ioredis';
import { DEFAULT_DEAD_LETTER_MAX_BYTES } from '@berth/contracts';
import { DEFAULT_DEAD_LETTER_CAP, DeadLetterStore } from './dead-letters';
import { EventLog } from './events';
import { GroupRepository } from './groups';
import { JobRepository } from './jobs';
import { Keys, keysFor } from './keys';
import { NameRegistry } from './names';
import { NodeBooks } from './node-books';
import { RecoveryRepository } from './recovery';
import { JobRetention } from './retention';
import { connectRedis, RedisContext } from './redis-client';
import { ScriptGuard, Scripts } from './scripts';
import { WaitingJobs } from './waiting';

export interface StateOptions {
  /** The cluster's prefix of every key. */
  prefix: string;
  /** A host not heard from for this long is down; it is also how long placement pauses after a loss of Redis. */
  nodeTimeoutMs: number;
  deadLetterCap?: number;
  deadLetterMaxBytes?: number;
  /** See ScriptGuard; tests only. */
  scriptGuard?: ScriptGuard;
}

/**
 * Berth's state in Redis, by aggregate: job records, those waiting for placement, and their retention, the hosts' books and reservations, names, recovery, dead
 * letters and the event log, each behind a small typed repository over one connection. A service takes only those it uses.
 */
export class BerthState {
  readonly jobs: JobRepository;
  readonly groups: GroupRepository;
  readonly waiting: WaitingJobs;
  readonly retention: JobRetention;
  readonly nodes: NodeBooks;
  readonly names: NameRegistry;
  readonly recovery: RecoveryRepository;
  readonly deadLetters: DeadLetterStore;
  readonly tokens: TokenRepository;
  readonly events: EventLog;
  /** The cluster's keys, for tests and benchmarks that look underneath. */
  readonly keys: Keys;

  constructor(
    readonly redis: Redis,
    options: StateOptions,
  ) {
    this.keys = keysFor(options.prefix);
    const context: RedisContext = { redis, scripts: new Scripts(redis, options.scriptGuard), keys: this.keys };
    this.jobs = new JobRepository(context);
    this.groups = new GroupRepository(context, this.jobs);
    this.waiting = new WaitingJobs(context);
    this.retention = new JobRetention(context);
    this.nodes = new NodeBooks(context, options.nodeTimeoutMs, options.nodeTimeoutMs);
    this.names = new NameRegistry(context);
    this.recovery = new RecoveryRepository(context, options.nodeTimeoutMs);
    this.deadLetters = new DeadLetterStore(
      context,
      options.deadLetterCap ?? DEFAULT_DEAD_LETTER_CAP,
      options.deadLetterMaxBytes ?? DEFAULT_DEAD_LETTER_MAX_BYTES,
    );
    this.tokens = new TokenRepository(context);
    this.events = new EventLog(context);
  }

  /** Connects (see connectRedis: `failFast` for the gateway, which answers 503 rather than wait). */
  static connect(url: string, name: string, options: StateOptions & { failFast?: boolean }): BerthState {
    return new BerthState(connectRedis(url, name, options.failFast), options);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
