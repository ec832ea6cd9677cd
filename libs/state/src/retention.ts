import { RedisContext, redisNowMs, untilCurrent } from './redis-client';

/** What one expiry attempt did (see lua/expire-job.lua). */
export type ExpiryOutcome = 'expired' | 'kept' | 'early';

/**
 * Finished jobs leave Redis after the retention. A job that finishes for good (removed, or unschedulable or failed
 * without a container) is put on the `expiring` list by the script that moved it, stamped with Redis's clock; this
 * is where the due ones are read and deleted, each in one script that checks again that it is still finished and
 * due, so any number of schedulers may sweep at once.
 */
export class JobRetention {
  constructor(private readonly context: RedisContext) {}

  private get keys() {
    return this.context.keys;
  }

  /** Up to `limit` jobs that finished more than `retentionMs` ago by Redis's clock, those that finished first first. */
  async due(retentionMs: number, limit: number): Promise<string[]> {
    const nowMs = await redisNowMs(this.context.redis);
    return this.context.redis.zrangebyscore(this.keys.expiring, '-inf', nowMs - retentionMs, 'LIMIT', 0, limit);
  }

  /** Jobs on the list (finished for good, due or not). */
  count(): Promise<number> {
    return this.context.redis.zcard(this.keys.expiring);
  }

  /**
   * Deletes a finished job with everything that refers to it, once it has been finished for `retentionMs`. A
   * tombstone as long-lived as the retention keeps a late copy of one of its messages from bringing it back.
   */
  async expire(jobId: string, retentionMs: number): Promise<ExpiryOutcome> {
    const job = this.keys.job(jobId);
    const result = await untilCurrent(
      `the record of job ${jobId}`,
      async () => {
        // The script may touch only the keys it is given: the name, the idempotency key and the reservation's host
        // are read first, and it checks they are still those.
        const [[name, idempotencyKey, group], nodeId] = await Promise.all([
          this.context.redis.hmget(job, 'name', 'idempotencyKey', 'group'),
          this.context.redis.hget(this.keys.reservation(jobId), 'node'),
        ]);
        return this.context.scripts.run(
          'expireJob',
          {
            ...this.keys.host(nodeId ?? ''),
            job,
            index: this.keys.jobIndex,
            expiring: this.keys.expiring,
            waiting: this.keys.waiting,
            reservation: this.keys.reservation(jobId),
            name: name ? this.keys.name(name) : job,
            idempotency: idempotencyKey ? this.keys.idempotency(idempotencyKey) : job,
            tombstone: this.keys.tombstone(jobId),
            group: group ? this.keys.group(group) : job,
          },
          {
            jobId,
            nodeId: nodeId ?? '',
            name: name ?? '',
            idempotencyKey: idempotencyKey ?? '',
            group: group ?? '',
            retentionMs,
            tombstoneSeconds: Math.max(1, Math.ceil(retentionMs / 1000)),
          },
        );
      },
      (outcome) => outcome === 'retry',
    );
    return result as ExpiryOutcome;
  }
}
