import { JobOutcome } from '@berth/contracts';
import { MessageHandler } from '@berth/messaging';
import { onHost, Outcome, OutcomeDependencies } from './outcome';

/** The container runs: the job is running, unless it was removed or moved meanwhile. */
export class ContainerRunningHandler implements MessageHandler<JobOutcome, 'container-running'> {
  readonly kind = 'container-running';

  constructor(private readonly deps: OutcomeDependencies) {}

  async handle(outcome: Outcome<'container-running'>): Promise<void> {
    const result = await this.deps.state.jobs.transition(
      outcome.jobId,
      'running',
      { containerId: outcome.containerId },
      onHost(outcome),
    );
    const gone = result.outcome === 'refused' && (result.current === 'removing' || result.current === 'removed');
    if (gone || result.outcome === 'stale') {
      // Removed, or moved elsewhere, while this container was being made: it must not outlive its place.
      await this.deps.publisher.sendToHost(outcome.nodeId, { type: 'remove-container', jobId: outcome.jobId });
    }
  }
}
