import { JobStatus, NodeVerdict } from '@berth/contracts';
import { RedisContext, redisNowMs } from './redis-client';

/**
 * How late a job's next placement try may be before its message counts as lost: past its delay, the broker may
 * still be handing it back, or the jobs queue may hold a backlog ahead of it. Too short only costs a spare copy,
 * which the attempt check drops.
 */
export const WAITING_GRACE_MS = 15_000;

export type DeferOutcome =
  /** The job waits; the message published next carries `attempt`. */
  | { outcome: 'ok'; attempt: number }
  /** Another copy of the job's message moved it on already: this one is spare and must be dropped. */
  | { outcome: 'stale'; attempt: number }
  /** The job is no longer queued (placed by another copy, or being removed). */
  | { outcome: 'refused'; current: JobStatus }
  | { outcome: 'missing' };

/** A job whose next try is overdue, claimed by this caller: publish its place-job message again. */
export interface OverdueJob {
  jobId: string;
  attempt: number;
  /** When its placement began (its timeout counts from here), or null when the record does not say. */
  placingSince: string | null;
}

/**
 * The jobs that wait for the scheduler between placement tries, kept in Redis so none depends on a message alone.
 * Each waiting job's next try rides in a delay queue, but a broker crash can lose that message (RabbitMQ hands an
 * expired message back to its queue without a guarantee a `kill -9` cannot break). So every job that waits is also
 * on a sorted set, by when its try is overdue, and a sweeper in every scheduler publishes again the message of any
 * job still waiting past that. The job's `attempt` tells the copies of its message apart: only the current one
 * moves it on, so a late copy and the sweeper's never make two lines of tries.
 */
export class WaitingJobs {
  constructor(private readonly context: RedisContext) {}

  private get keys() {
    return this.context.keys;
  }

  /**
   * The job waits `delayMs` for its next try, if `attempt` is its current one (see DeferOutcome). `placingSince` is
   * when its placement began, for a copy the sweeper has to rebuild; `verdicts`, the hosts' at this try.
   */
  defer(
    jobId: string,
    attempt: number,
    delayMs: number,
    reason: string,
    placingSince: string,
    verdicts: readonly NodeVerdict[] = [],
  ): Promise<DeferOutcome> {
    return this.wait(
      jobId,
      attempt,
      { delayMs, graceMs: WAITING_GRACE_MS, park: false },
      reason,
      placingSince,
      verdicts,
    );
  }

  /**
   * The job fits nowhere: it waits until a change frees room (wake), or until its backstop message (`backstopMs`)
   * comes back, or until its deadline (`untilMs` from now), when the sweeper publishes its try: whichever is first.
   * Otherwise as defer.
   */
  park(
    jobId: string,
    attempt: number,
    when: { untilMs: number; backstopMs: number },
    reason: string,
    placingSince: string,
    verdicts: readonly NodeVerdict[] = [],
  ): Promise<DeferOutcome> {
    const due =
      when.untilMs <= when.backstopMs
        ? { delayMs: when.untilMs, graceMs: 0 }
        : { delayMs: when.backstopMs, graceMs: WAITING_GRACE_MS };
    return this.wait(jobId, attempt, { ...due, park: true }, reason, placingSince, verdicts);
  }

  /** Jobs whose next try is wanted now (a DELETE to finish): due at once, for the sweeper to publish. */
  async hurry(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length > 0) {
      const pipeline = this.context.redis.pipeline();
      jobIds.forEach((id) => pipeline.zadd(this.keys.waiting, 'XX', 0, id));
      await pipeline.exec();
    }
  }

  /**
   * Room was freed: the oldest `limit` parked jobs are due now, for the sweeper to try again. Returns how many it
   * woke (another scheduler may have woken some of the same first).
   */
  async wake(limit: number): Promise<number> {
    const ids = await this.context.redis.zrange(this.keys.parked, 0, limit - 1);
    if (ids.length === 0) {
      return 0;
    }
    return this.context.scripts.run(
      'wakeParked',
      { parked: this.keys.parked, waiting: this.keys.waiting },
      { jobIds: JSON.stringify(ids) },
      ids.map((id) => this.keys.job(id)),
    );
  }

  /** How many jobs wait for room to be freed. */
  parkedCount(): Promise<number> {
    return this.context.redis.zcard(this.keys.parked);
  }

  private async wait(
    jobId: string,
    attempt: number,
    when: { delayMs: number; graceMs: number; park: boolean },
    reason: string,
    placingSince: string,
    verdicts: readonly NodeVerdict[],
  ): Promise<DeferOutcome> {
    const [outcome, detail] = await this.context.scripts.run(
      'deferJob',
      { job: this.keys.job(jobId), waiting: this.keys.waiting, parked: this.keys.parked, events: this.keys.events },
      {
        jobId,
        attempt,
        delayMs: Math.max(0, Math.round(when.delayMs)),
        graceMs: when.graceMs,
        reason,
        placingSince,
        verdicts: JSON.stringify(verdicts),
        park: when.park ? '1' : '0',
        sinceMs: Number.isNaN(Date.parse(placingSince)) ? 0 : Date.parse(placingSince),
      },
    );
    switch (outcome) {
      case 'ok':
      case 'stale':
        return { outcome, attempt: Number(detail) };
      case 'refused':
        return { outcome, current: detail as JobStatus };
      default:
        return { outcome: 'missing' };
    }
  }

  /**
   * Claims up to `limit` jobs whose try is overdue, each for `leaseMs` (it is overdue again after that if the caller
   * never publishes). Jobs that no longer wait leave the set.
   */
  async claimOverdue(limit: number, leaseMs = WAITING_GRACE_MS): Promise<OverdueJob[]> {
    // Redis's clock, the one the script judges by: this process's may be off.
    const nowMs = await redisNowMs(this.context.redis);
    const ids = await this.context.redis.zrangebyscore(this.keys.waiting, '-inf', nowMs, 'LIMIT', 0, limit);
    if (ids.length === 0) {
      return [];
    }
    const flat = await this.context.scripts.run(
      'claimOverdueJobs',
      { waiting: this.keys.waiting },
      { jobIds: JSON.stringify(ids), leaseMs },
      ids.map((id) => this.keys.job(id)),
    );
    const claimed: OverdueJob[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      claimed.push({ jobId: flat[i], attempt: Number(flat[i + 1]), placingSince: flat[i + 2] || null });
    }
    return claimed;
  }

  /** How many jobs wait for the scheduler (some may have moved on since, until the sweeper passes). */
  size(): Promise<number> {
    return this.context.redis.zcard(this.keys.waiting);
  }
}
