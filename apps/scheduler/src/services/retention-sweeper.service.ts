import { ExpiryOutcome } from '@berth/state';

/** What the sweeper needs of the state: the due jobs, and the expiry of one (see JobRetention). */
export interface ExpiringJobs {
  due(retentionMs: number, limit: number): Promise<string[]>;
  expire(jobId: string, retentionMs: number): Promise<ExpiryOutcome>;
}

export interface SweepLimits {
  /** Jobs read and expired at once. */
  batch: number;
  /** Batches in one run at most, so a backlog (a scheduler that was down) is worked off run by run. */
  batchesPerRun: number;
}

export const DEFAULT_SWEEP_LIMITS: SweepLimits = { batch: 200, batchesPerRun: 10 };

/**
 * Deletes the jobs whose retention has passed, a bounded batch at a time. Any number of schedulers may sweep at
 * once: each job's expiry checks again, in one script, that it is still finished and due, so two sweepers that
 * pick the same job delete it once.
 */
export class RetentionSweeper {
  /** Jobs this process deleted since it started. */
  expired = 0;

  constructor(
    private readonly jobs: ExpiringJobs,
    private readonly retentionMs: number,
    private readonly limits: SweepLimits = DEFAULT_SWEEP_LIMITS,
  ) {}

  /** One run; returns how many jobs it deleted. Run it through a PeriodicTask so runs never overlap. */
  async sweep(): Promise<number> {
    let expired = 0;
    for (let batch = 0; batch < this.limits.batchesPerRun; batch++) {
      const due = await this.jobs.due(this.retentionMs, this.limits.batch);
      const outcomes = await Promise.all(due.map((jobId) => this.jobs.expire(jobId, this.retentionMs)));
      const deleted = outcomes.filter((outcome) => outcome === 'expired').length;
      expired += deleted;
      // A short batch is the end of the list; a batch where nothing was due after all would only come back again.
      if (due.length < this.limits.batch || deleted === 0) {
        break;
      }
    }
    this.expired += expired;
    return expired;
  }
}
