import Redis from 'ioredis';
import { HostKeys, Keys } from './keys';
import { Scripts } from './scripts';

/**
 * One Redis connection with Berth's scripts and keys: what every repository is built on. Keeps reconnecting for as
 * long as the process lives. With `failFast`, commands fail at once while Redis is away (the gateway answers 503)
 * instead of waiting in ioredis's offline queue (the workers wait and carry on).
 */
export function connectRedis(url: string, name: string, failFast = false): Redis {
  return new Redis(url, {
    connectionName: name,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
    maxRetriesPerRequest: failFast ? 1 : 20,
    enableOfflineQueue: !failFast,
  });
}

/** Redis's clock, in ms: the one Berth's scripts judge by (server_ms), never the caller's. */
export async function redisNowMs(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** What a repository needs: the connection, the scripts on it, and the cluster's keys. */
export interface RedisContext {
  redis: Redis;
  scripts: Scripts;
  keys: Keys;
}

/** Attempts at a script whose keys were read first and changed before it ran (it then says so: -1). */
const STALE_READ_ATTEMPTS = 10;

/**
 * Runs a script on the host a job's reservation is on. The host is read first, since a script may only touch the
 * keys it is given; the script checks it is still the one, and answers -1 when the reservation moved meanwhile,
 * and then it is read again. `nodeId` is '' when the job holds no reservation.
 */
export async function onReservationHost<T>(
  context: RedisContext,
  jobId: string,
  run: (host: HostKeys, nodeId: string) => Promise<T | -1>,
): Promise<T> {
  for (let attempt = 0; attempt < STALE_READ_ATTEMPTS; attempt++) {
    const nodeId = (await context.redis.hget(context.keys.reservation(jobId), 'node')) ?? '';
    const result = await run(context.keys.host(nodeId), nodeId);
    if (result !== -1) {
      return result;
    }
  }
  throw new Error(`the reservation of job ${jobId} kept moving while it was read`);
}

/** Runs a script whose keys were read first, again while it answers that they changed (`stale`). */
export async function untilCurrent<T>(what: string, run: () => Promise<T>, stale: (result: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < STALE_READ_ATTEMPTS; attempt++) {
    const result = await run();
    if (!stale(result)) {
      return result;
    }
  }
  throw new Error(`${what} kept changing while it was read`);
}

/**
 * Whether an error means "Redis cannot answer now, try again": the connection is gone or not ready, or the server
 * says it is loading its data, read-only (a replica, mid-failover), out of memory, busy with a script, or without
 * a primary. A request that meets one answers 503 with Retry-After, never 500.
 */
export function isRedisUnavailable(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return (
    /^(LOADING|READONLY|OOM|BUSY|MASTERDOWN|NOREPLICAS|TRYAGAIN|CLUSTERDOWN|EXECABORT)\b/.test(message) ||
    /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|max retries per request/i.test(message)
  );
}
