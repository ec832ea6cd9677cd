import { aboutJob } from '@berth/logging';
import { JobRecord } from '@berth/contracts';
import { Publisher } from '@berth/messaging';
import { BerthState } from '@berth/state';
import { Logger } from '@nestjs/common';

/**
 * Moves jobs off hosts that are gone or being drained. A host whose heartbeat has lapsed for longer than the
 * node timeout plus a grace period is considered failed: its jobs with `reschedule: on-node-failure` are placed
 * again elsewhere (when it returns, its agent removes the now-duplicate containers). A drained host's movable
 * jobs are placed elsewhere too, and their old containers removed; the host then reports `drained`. Any number of
 * schedulers may run this at once: taking a job off a host is one atomic step that only one of them wins.
 */
export class NodeMonitorService {
  private readonly logger = new Logger('NodeMonitor');

  constructor(
    private readonly state: Pick<BerthState, 'jobs' | 'nodes'>,
    private readonly publisher: Publisher,
    private readonly failureAfterMs: number,
  ) {}

  /** One check of every host; run it through a PeriodicTask so checks never overlap. */
  async check(): Promise<void> {
    // Redis's clock, the one heartbeats are stamped with: never this scheduler's, nor an agent's.
    const now = await this.state.nodes.serverMs();
    for (const node of await this.state.nodes.list(now)) {
      if (node.status === 'down') {
        await this.state.nodes.noteDown(node.id); // for watchers: once, by whichever scheduler sees it first
      }
      const failed = node.status === 'down' && now - Date.parse(node.heartbeatAt) > this.failureAfterMs;
      if (!failed && node.drain !== 'draining') {
        continue;
      }
      let movable = 0;
      for (const jobId of await this.state.nodes.jobsPlacedOn(node.id)) {
        const job = await this.state.jobs.get(jobId);
        if (failed && job?.status === 'removing' && job.node === node.id) {
          // Its remove command waits in a dead host's queue: finish the removal here; the host's agent removes
          // the container if it ever comes back.
          await this.state.nodes.release(jobId, node.id);
          await this.state.jobs.transition(jobId, 'removed', {}, { expectNode: node.id });
          continue;
        }
        if (job?.spec.reschedule !== 'on-node-failure' || job.node !== node.id) {
          continue;
        }
        movable++;
        const why = failed ? `rescheduled: host ${node.id} is down` : `rescheduled: host ${node.id} is drained`;
        // A crash before the publish loses nothing: the job waits on the waiting set, whose sweeper publishes it.
        const attempt = await this.state.jobs.reschedule(jobId, node.id, why, new Date(now));
        if (attempt === null) {
          continue;
        }
        await this.publishPlacement(job, now, attempt);
        if (!failed) {
          // The host is alive: its old container goes once the job has left it.
          await this.publisher.sendToHost(node.id, { type: 'remove-container', jobId });
        }
        this.logger.log({
          msg: `job ${jobId}: ${why}`,
          ...aboutJob(jobId, { node: node.id, namespace: job.namespace }),
        });
      }
      if (node.drain === 'draining' && movable === 0 && !failed) {
        await this.state.nodes.setDrain(node.id, 'drained');
        this.logger.log(`host ${node.id} drained`);
      }
    }
  }

  private async publishPlacement(job: JobRecord, now: number, attempt: number): Promise<void> {
    await this.publisher.sendJob({
      type: 'place-job',
      jobId: job.id,
      namespace: job.namespace,
      spec: job.spec,
      submittedAt: new Date(now).toISOString(),
      attempt,
    });
  }
}
