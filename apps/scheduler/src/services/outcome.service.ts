import { JobOutcome, removeCommand } from '@berth/contracts';
import { AmqpClient } from '@berth/messaging';
import { BerthState } from '@berth/state';
import { Logger } from '@nestjs/common';

/**
 * Applies what agents report to the job records. Every step is idempotent and forward-only, so a replayed
 * outcome changes nothing, and capacity is released exactly once (the reservation is deleted as it is freed).
 * A report from a host the job was moved away from (rescheduled) changes nothing either: every step names the
 * host it expects the job on.
 */
export class OutcomeService {
  private readonly logger = new Logger('Outcomes');

  constructor(
    private readonly state: Pick<BerthState, 'jobs' | 'nodes'>,
    private readonly amqp: AmqpClient,
  ) {}

  async handle(outcome: JobOutcome): Promise<void> {
    const onHost = { expectNode: outcome.nodeId };
    switch (outcome.type) {
      case 'container-running': {
        const result = await this.state.jobs.transition(
          outcome.jobId,
          'running',
          { containerId: outcome.containerId },
          onHost,
        );
        const gone = result.outcome === 'refused' && (result.current === 'removing' || result.current === 'removed');
        if (gone || result.outcome === 'stale') {
          // Removed, or moved elsewhere, while this container was being made: it must not outlive its place.
          await this.removeOn(outcome.nodeId, outcome.jobId);
        }
        return;
      }
      case 'image-pulling': {
        // scheduled → pulling, then pulling → pulling only updates the progress (a replay changes nothing else).
        await this.state.jobs.transition(
          outcome.jobId,
          'pulling',
          { progress: JSON.stringify(outcome.progress) },
          onHost,
        );
        return;
      }
      case 'container-exited': {
        // The job ends first, then its capacity comes back (once: the reservation is deleted as it is freed), so
        // a node monitor never sees a live job without a reservation; a crash in between leaves a leak that the
        // host's reconciliation frees.
        const cleanExit = outcome.exitCode === 0 && !outcome.oomKilled;
        const reason = outcome.oomKilled
          ? `killed by the OOM killer at its memory limit (exit code ${outcome.exitCode})`
          : `exited with code ${outcome.exitCode}`;
        const result = await this.state.jobs.transition(
          outcome.jobId,
          cleanExit ? 'exited' : 'failed',
          { reason, exitCode: String(outcome.exitCode) },
          onHost,
        );
        if (result.outcome !== 'stale') {
          await this.state.nodes.release(outcome.jobId, outcome.nodeId);
        }
        return;
      }
      case 'container-failed': {
        await this.state.nodes.release(outcome.jobId, outcome.nodeId);
        const result = await this.state.jobs.transition(outcome.jobId, 'failed', { reason: outcome.reason }, onHost);
        if (result.outcome === 'refused' && result.current === 'removing') {
          await this.state.jobs.transition(outcome.jobId, 'removed', {}, onHost);
        }
        if (result.outcome === 'ok') {
          this.logger.log(`job ${outcome.jobId} failed on ${outcome.nodeId}: ${outcome.reason}`);
        }
        return;
      }
      case 'container-removed': {
        await this.state.nodes.release(outcome.jobId, outcome.nodeId);
        await this.state.jobs.transition(outcome.jobId, 'removed', {}, onHost);
        return;
      }
    }
  }

  private async removeOn(nodeId: string, jobId: string): Promise<void> {
    const queue = await this.amqp.assertNodeQueue(nodeId);
    await this.amqp.publish(queue, removeCommand(jobId));
  }
}
