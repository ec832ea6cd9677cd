import { aboutJob } from '@berth/logging';
import { JobOutcome } from '@berth/contracts';
import { MessageHandler } from '@berth/messaging';
import { Logger } from '@nestjs/common';
import { onHost, Outcome, OutcomeDependencies } from './outcome';

/** Docker refused the job (or its container vanished): the job failed, with Docker's words, and nothing is held. */
export class ContainerFailedHandler implements MessageHandler<JobOutcome, 'container-failed'> {
  readonly kind = 'container-failed';
  private readonly logger = new Logger('Outcomes');

  constructor(private readonly deps: OutcomeDependencies) {}

  async handle(outcome: Outcome<'container-failed'>): Promise<void> {
    const { jobs, nodes } = this.deps.state;
    await nodes.release(outcome.jobId, outcome.nodeId);
    const result = await jobs.transition(outcome.jobId, 'failed', { reason: outcome.reason }, onHost(outcome));
    if (result.outcome === 'refused' && result.current === 'removing') {
      await jobs.transition(outcome.jobId, 'removed', {}, onHost(outcome));
    }
    if (result.outcome === 'ok') {
      this.logger.log({
        msg: `job ${outcome.jobId} failed on ${outcome.nodeId}: ${outcome.reason}`,
        ...aboutJob(outcome.jobId, { node: outcome.nodeId }),
      });
    }
  }
}
