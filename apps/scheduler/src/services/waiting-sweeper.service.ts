import { Publisher } from '@berth/messaging';
import { BerthState } from '@berth/state';
import { Logger } from '@nestjs/common';

/** Jobs claimed in one run; a longer backlog (a broker that lost many) is worked off run by run. */
const BATCH = 200;

/**
 * Publishes again the place-job message of every job whose placement try is overdue: a job waiting for room, or
 * taken off a host, whose message the broker lost (see WaitingJobs). Any number of schedulers may sweep at once:
 * claiming a job is one step in Redis, and a copy that loses the race to an older one is dropped by its attempt.
 */
export class WaitingSweeper {
  private readonly logger = new Logger('WaitingSweeper');
  /** Messages this process published again since it started. */
  republished = 0;

  constructor(
    private readonly state: Pick<BerthState, 'jobs' | 'waiting'>,
    private readonly publisher: Pick<Publisher, 'sendJob'>,
  ) {}

  /** One run; returns how many messages it published. Run it through a PeriodicTask so runs never overlap. */
  async sweep(): Promise<number> {
    let published = 0;
    for (const overdue of await this.state.waiting.claimOverdue(BATCH)) {
      const job = await this.state.jobs.get(overdue.jobId);
      if (!job) {
        continue; // expired meanwhile: nothing waits any more
      }
      await this.publisher.sendJob({
        type: 'place-job',
        jobId: job.id,
        namespace: job.namespace,
        spec: job.spec,
        submittedAt: overdue.placingSince ?? job.createdAt,
        attempt: overdue.attempt,
      });
      published++;
    }
    if (published > 0) {
      this.logger.warn(`published again the place-job message of ${published} waiting jobs whose try was overdue`);
    }
    this.republished += published;
    return published;
  }
}
