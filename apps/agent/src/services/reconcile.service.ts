import { CreateContainer, DEFAULT_NAMESPACE } from '@berth/contracts';
import { Logger } from '@nestjs/common';
import { AgentService } from './agent.service';
import { ControlPlaneClient } from './control-plane.client';
import { DockerRepository } from './docker.repository';

/** A job placed here is run again only when it has had no container for this long. */
const RERUN_GRACE_MS = 10_000;

export interface ReconcileReport {
  adopted: number;
  exitedWhileAway: number;
  orphansRemoved: number;
  rerun: number;
  vanished: number;
  leaksReleased: number;
  /** Records rebuilt from this host's containers after Redis lost them. */
  restored: number;
}

/**
 * Keeps Berth's books equal to Docker's truth on this host, when the agent starts and then periodically:
 * rebuilds the records Redis lost from the containers, adopts containers whose jobs exist, removes those whose jobs were removed (or moved to another host), reports
 * containers that ended while nobody watched, runs again the jobs placed here that have no container and nothing
 * in flight, fails those whose container vanished, and recomputes the host's allocation from what it holds.
 * Every step goes through the same idempotent paths as normal operation, so running it twice changes nothing.
 * The books are the control plane's (`books`): it answers, and changes, only what concerns this host.
 */
export class ReconcileService {
  private readonly logger = new Logger('Reconcile');

  constructor(
    private readonly nodeId: string,
    private readonly cluster: string,
    private readonly docker: DockerRepository,
    private readonly books: ControlPlaneClient,
    private readonly agent: AgentService,
  ) {}

  /** One pass over this host; run it through a PeriodicTask so passes never overlap. */
  async pass(): Promise<ReconcileReport> {
    const report: ReconcileReport = {
      adopted: 0,
      exitedWhileAway: 0,
      orphansRemoved: 0,
      rerun: 0,
      vanished: 0,
      leaksReleased: 0,
      restored: 0,
    };
    const containers = await this.docker.jobContainers(this.cluster);
    const records = await this.books.jobs([...containers.keys()]);
    for (const [jobId, container] of containers) {
      if (this.agent.isInFlight(jobId)) {
        continue;
      }
      const job = records.get(jobId);
      if (!job?.found) {
        // A record with a container is never expired: Redis lost this one. The container is the truth; rebuild the
        // record from it (unless a tombstone says the job was taken back or expired).
        const outcome = await this.agent.restoreLostJob(jobId);
        if (outcome === 'restored') {
          report.restored++;
        } else if (outcome === 'removed') {
          report.orphansRemoved++;
        }
        continue;
      }
      if (!job.onThisHost || job.status === 'removed') {
        // The listing may be a moment old: count only a container this call really removed.
        if (await this.docker.remove(jobId, 0)) {
          report.orphansRemoved++;
        }
      } else if (job.status === 'removing') {
        await this.agent.handle({ type: 'remove-container', jobId });
      } else if (job.status === 'scheduled' || job.status === 'pulling' || job.status === 'running') {
        // Look again right before acting: the listing may be a moment old, and a create may have begun since.
        const now = await this.docker.containerState(container.id);
        if (this.agent.isInFlight(jobId) || now === 'created' || now === 'gone') {
          continue;
        }
        if (now === 'running') {
          if (job.status !== 'running') {
            await this.agent.report({
              type: 'container-running',
              jobId,
              nodeId: this.nodeId,
              containerId: container.id,
            });
            report.adopted++;
          }
        } else {
          const { exitCode, oomKilled } = await this.docker.exitState(container.id);
          await this.agent.report({ type: 'container-exited', jobId, nodeId: this.nodeId, exitCode, oomKilled });
          report.exitedWhileAway++;
        }
      }
    }
    const placed = (await this.books.jobsPlacedHere()).filter(
      (jobId) => !containers.has(jobId) && !this.agent.isInFlight(jobId),
    );
    const placedRecords = await this.books.jobs(placed);
    for (const jobId of placed) {
      const job = placedRecords.get(jobId);
      if (!job?.found || !job.onThisHost || job.status === undefined) {
        continue; // gone, or moved to another host since the list was read
      }
      switch (job.status) {
        case 'scheduled':
        case 'pulling': {
          // Placed here, no container, nothing in flight: the create was lost (say, the agent was killed), or it
          // still waits in this host's queue. A duplicate create is harmless, but give the queue time first.
          if (Date.now() - Date.parse(job.updatedAt ?? '') < RERUN_GRACE_MS || !job.spec) {
            break;
          }
          const command: CreateContainer = {
            type: 'create-container',
            jobId,
            namespace: job.namespace ?? DEFAULT_NAMESPACE,
            spec: job.spec,
            // Made here from the record, not sent by the scheduler: it carries no seal.
            seal: '',
          };
          this.agent.runInBackground(command);
          report.rerun++;
          break;
        }
        case 'running':
          // Only a container Docker no longer knows has vanished (the listing may predate its creation).
          if ((await this.docker.containerState(`berth-${jobId}`)) !== 'gone' || this.agent.isInFlight(jobId)) {
            break;
          }
          await this.agent.report({
            type: 'container-failed',
            jobId,
            nodeId: this.nodeId,
            reason: 'the container disappeared from its host',
          });
          report.vanished++;
          break;
        case 'removing':
          await this.agent.report({ type: 'container-removed', jobId, nodeId: this.nodeId });
          break;
        default:
          // Ended jobs keep no capacity: a reservation still held is a leak.
          if (await this.books.releaseLeak(jobId)) {
            report.leaksReleased++;
          }
      }
    }
    const books = await this.books.recompute();
    if (Object.values(report).some((n) => n > 0)) {
      this.logger.log(`mended: ${JSON.stringify(report)}; books now ${JSON.stringify(books)}`);
    }
    return report;
  }
}
