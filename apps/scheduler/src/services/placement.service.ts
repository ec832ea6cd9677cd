import { CreateContainer, encode, JobRecord, PlaceJob, RemoveContainer } from '@berth/contracts';
import { AmqpClient } from '@berth/messaging';
import { explain, place } from '@berth/scheduling';
import { RedisState } from '@berth/state';
import { Logger } from '@nestjs/common';
import { NodeView } from './node-view';

/** Candidates tried per job before the view is refreshed and the ranking done again. */
const CANDIDATES_PER_ROUND = 3;
const ROUNDS = 3;

export interface PlacementStats {
  placed: number;
  unschedulable: number;
  conflicts: number;
}

/**
 * Places one job: rank hosts from the local view, reserve on the best one atomically in Redis, fall through
 * to the next on a conflict, then hand the job to the host's agent. Any number of these run at once, in this
 * process and in other scheduler replicas; nothing here waits on a lock.
 */
export class PlacementService {
  private readonly logger = new Logger('Placement');
  readonly stats: PlacementStats = { placed: 0, unschedulable: 0, conflicts: 0 };

  constructor(
    private readonly state: RedisState,
    private readonly amqp: AmqpClient,
    private readonly view: NodeView,
  ) {}

  async handle(message: PlaceJob): Promise<void> {
    const job = await this.state.getJob(message.jobId);
    if (!job) {
      this.logger.warn(`job ${message.jobId} has no record; dropping its message`);
      return;
    }
    switch (job.status) {
      case 'queued':
        return this.placeQueued(job);
      case 'scheduled':
        // A redelivery after a crash between recording and dispatching: dispatch again (the agent is idempotent).
        return this.dispatch(job.id, job.node as string, job);
      case 'removing':
        return this.finishRemoval(job.id);
      case 'running':
      case 'failed':
      case 'unschedulable':
      case 'removed':
        return;
    }
  }

  private async placeQueued(job: JobRecord): Promise<void> {
    const request = { jobId: job.id, resources: job.spec.resources };
    let lastExplanation = '';
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        await this.view.refresh();
      }
      const result = place(request, await this.view.snapshot());
      lastExplanation = explain(result);
      if (result.candidates.length === 0) {
        if (round === 0) {
          continue; // the view may be stale: look once more at fresh books before giving up
        }
        break;
      }
      for (const candidate of result.candidates.slice(0, CANDIDATES_PER_ROUND)) {
        const reservation = await this.state.reserveCapacity(job.id, candidate.id, job.spec.resources);
        if (reservation.ok) {
          this.view.applyReservation(reservation.nodeId, job.spec.resources);
          return this.recordAndDispatch(job, reservation.nodeId);
        }
        this.stats.conflicts++;
      }
    }
    const outcome = await this.state.transitionJob(job.id, 'unschedulable', { reason: lastExplanation });
    if (outcome.outcome === 'refused' && outcome.current === 'removing') {
      return this.finishRemoval(job.id);
    }
    this.stats.unschedulable++;
    this.logger.log(`job ${job.id} unschedulable: ${lastExplanation}`);
  }

  private async recordAndDispatch(job: JobRecord, nodeId: string): Promise<void> {
    const outcome = await this.state.transitionJob(job.id, 'scheduled', { node: nodeId });
    if (outcome.outcome === 'refused') {
      // Removed while being placed: give the capacity back and finish the removal.
      if (outcome.current === 'removing') {
        return this.finishRemoval(job.id);
      }
      await this.state.releaseCapacity(job.id);
      return;
    }
    if (outcome.outcome === 'missing') {
      await this.state.releaseCapacity(job.id);
      return;
    }
    this.stats.placed++;
    await this.dispatch(job.id, nodeId, job);
  }

  private async dispatch(jobId: string, nodeId: string, job: JobRecord): Promise<void> {
    const queue = await this.amqp.assertNodeQueue(nodeId);
    const command: CreateContainer = { type: 'create-container', jobId, spec: job.spec };
    await this.amqp.publish(queue, encode(command));
  }

  /** A job removed before it ran anywhere: nothing to stop, only capacity to give back. */
  private async finishRemoval(jobId: string): Promise<void> {
    await this.state.releaseCapacity(jobId);
    await this.state.transitionJob(jobId, 'removed');
  }
}

export function removeCommand(jobId: string): Buffer {
  const command: RemoveContainer = { type: 'remove-container', jobId };
  return encode(command);
}
