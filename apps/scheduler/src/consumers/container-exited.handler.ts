import { JobOutcome } from '@berth/contracts';
import { MessageHandler } from '@berth/messaging';
import { onHost, Outcome, OutcomeDependencies } from './outcome';

/** The container ended: the job is exited (code 0) or failed, with its code, and its capacity comes back. */
export class ContainerExitedHandler implements MessageHandler<JobOutcome, 'container-exited'> {
  readonly kind = 'container-exited';

  constructor(private readonly deps: OutcomeDependencies) {}

  async handle(outcome: Outcome<'container-exited'>): Promise<void> {
    // The job ends first, then its capacity comes back (once: the reservation is deleted as it is freed), so a
    // node monitor never sees a live job without a reservation; a crash in between leaves a leak that the host's
    // reconciliation frees.
    const cleanExit = outcome.exitCode === 0 && !outcome.oomKilled;
    const reason = outcome.oomKilled
      ? `killed by the OOM killer at its memory limit (exit code ${outcome.exitCode})`
      : `exited with code ${outcome.exitCode}`;
    const result = await this.deps.state.jobs.transition(
      outcome.jobId,
      cleanExit ? 'exited' : 'failed',
      { reason, exitCode: String(outcome.exitCode) },
      onHost(outcome),
    );
    if (result.outcome !== 'stale') {
      await this.deps.state.nodes.release(outcome.jobId, outcome.nodeId);
    }
  }
}
