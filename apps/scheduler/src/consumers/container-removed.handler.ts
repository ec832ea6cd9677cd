import { JobOutcome } from '@berth/contracts';
import { MessageHandler } from '@berth/messaging';
import { onHost, Outcome, OutcomeDependencies } from './outcome';

/** The container is gone from its host: its capacity comes back, and the job is removed. */
export class ContainerRemovedHandler implements MessageHandler<JobOutcome, 'container-removed'> {
  readonly kind = 'container-removed';

  constructor(private readonly deps: OutcomeDependencies) {}

  async handle(outcome: Outcome<'container-removed'>): Promise<void> {
    await this.deps.state.nodes.release(outcome.jobId, outcome.nodeId);
    await this.deps.state.jobs.transition(outcome.jobId, 'removed', {}, onHost(outcome));
  }
}
