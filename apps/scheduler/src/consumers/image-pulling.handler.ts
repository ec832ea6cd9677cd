import { JobOutcome } from '@berth/contracts';
import { MessageHandler } from '@berth/messaging';
import { onHost, Outcome, OutcomeDependencies } from './outcome';

/** The host is pulling the image: scheduled → pulling, then pulling → pulling only updates the progress. */
export class ImagePullingHandler implements MessageHandler<JobOutcome, 'image-pulling'> {
  readonly kind = 'image-pulling';

  constructor(private readonly deps: OutcomeDependencies) {}

  async handle(outcome: Outcome<'image-pulling'>): Promise<void> {
    await this.deps.state.jobs.transition(
      outcome.jobId,
      'pulling',
      { progress: JSON.stringify(outcome.progress) },
      onHost(outcome),
    );
  }
}
