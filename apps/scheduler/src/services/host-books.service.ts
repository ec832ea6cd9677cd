import {
  containerNameFor,
  dependenciesOf,
  hasValidSeal,
  HostJob,
  JobStatus,
  NodeReply,
  NodeRequest,
} from '@berth/contracts';
import { Publisher } from '@berth/messaging';
import { BerthState, requeuedJobFrom, restoredJobFrom } from '@berth/state';

type Request<K extends NodeRequest['type']> = Extract<NodeRequest, { type: K }>;

/** Statuses of a job that still has, or is about to have, a container on its host. */
const LIVE: readonly JobStatus[] = ['scheduled', 'pulling', 'running', 'removing'];

/**
 * The control plane's answers to agents about their own hosts: an agent holds no Redis credential, so this is how
 * it registers, heartbeats, reads the records of the jobs on its host and mends its books. Every answer concerns
 * only the host that asks (`request.nodeId`, whose agent the caller has checked it is): a job placed elsewhere
 * shows only that it exists, and nothing here changes another host's books or another host's jobs.
 */
export class HostBooksService {
  constructor(
    private readonly state: Pick<BerthState, 'jobs' | 'nodes' | 'names' | 'recovery'>,
    private readonly publisher: Pick<Publisher, 'sendJob'>,
    /** The schedulers' key for the seals on their creates (see sealOf). */
    private readonly sealKey: Buffer,
  ) {}

  async answer(request: NodeRequest): Promise<NodeReply> {
    const { nodes } = this.state;
    const nodeId = request.nodeId;
    switch (request.type) {
      case 'claim-node':
        return { type: 'claimed', claimed: await nodes.claim(nodeId, request.instance, request.conflict) };
      case 'register-node':
        return {
          type: 'registered',
          ...(await nodes.register({
            id: nodeId,
            instance: request.instance,
            address: request.address,
            capacity: request.capacity,
            labels: request.labels,
            images: request.images,
            evidenceOfEarlierState: request.evidence,
          })),
        };
      case 'heartbeat':
        return { type: 'beat', beat: await nodes.heartbeat(nodeId, request.instance) };
      case 'set-node-status':
        if (request.status === 'ready') {
          return { type: 'found', found: await nodes.markReady(nodeId) };
        }
        await nodes.markDown(nodeId);
        return { type: 'found', found: true };
      case 'set-images':
        await nodes.setImages(nodeId, request.images);
        return { type: 'found', found: true };
      case 'host-jobs':
        return { type: 'host-jobs', jobs: await Promise.all(request.jobIds.map((id) => this.hostJob(nodeId, id))) };
      case 'jobs-placed-on':
        return { type: 'job-ids', jobIds: await nodes.jobsPlacedOn(nodeId) };
      case 'release-leak':
        return { type: 'released', released: await this.releaseLeak(request) };
      case 'recompute-books': {
        const books = await nodes.recompute(nodeId);
        return { type: 'books', ...books.allocated, containers: books.containers };
      }
      case 'restore-job': {
        const outcome = await this.state.recovery.restore(restoredJobFrom(nodeId, request));
        return { type: 'restored', outcome };
      }
      case 'requeue-lost-job':
        if (!hasValidSeal(this.sealKey, request, request.seal)) {
          // Not a create the control plane sent: a host making up a job (for any namespace) is refused.
          return { type: 'refused', error: `job ${request.jobId}: the create's seal does not match`, retryable: false };
        }
        return { type: 'restored', outcome: await this.requeueLostJob(request) };
      case 'job-dependencies':
        return this.dependencies(request);
    }
  }

  /**
   * Records a lost job queued again and hands it to placement, which reserves its room with the usual check. Sent
   * again when the record already exists and is still queued: an earlier try may have recorded it and then failed
   * to publish (placing a job twice is harmless; the second finds it placed).
   */
  private async requeueLostJob(request: Request<'requeue-lost-job'>): Promise<'restored' | 'exists' | 'tombstoned'> {
    const outcome = await this.state.recovery.restore(requeuedJobFrom(request.nodeId, request));
    if (outcome === 'tombstoned') {
      return outcome;
    }
    const job = await this.state.jobs.get(request.jobId);
    if (job?.status === 'queued' && job.node === null) {
      await this.publisher.sendJob({
        type: 'place-job',
        jobId: job.id,
        namespace: job.namespace,
        spec: job.spec,
        submittedAt: job.createdAt,
        attempt: 0,
      });
    }
    return outcome;
  }

  /** A job as its host may see it. */
  private async hostJob(nodeId: string, jobId: string): Promise<HostJob> {
    const job = await this.state.jobs.get(jobId);
    if (!job) {
      return { jobId, found: false, onThisHost: false };
    }
    if (job.node !== nodeId) {
      return { jobId, found: true, onThisHost: false };
    }
    return {
      jobId,
      found: true,
      onThisHost: true,
      status: job.status,
      namespace: job.namespace,
      spec: job.spec,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
    };
  }

  /** Only an ended job's reservation is a leak: a host may not free what its live jobs hold. */
  private async releaseLeak(request: Request<'release-leak'>): Promise<boolean> {
    const job = await this.state.jobs.get(request.jobId);
    if (job && job.node === request.nodeId && LIVE.includes(job.status)) {
      return false;
    }
    return this.state.nodes.release(request.jobId, request.nodeId);
  }

  /**
   * Container names of the jobs a job on this host depends on: by job name in the job's namespace, or by the id of
   * a job of that namespace. What does not resolve is left out, and the agent's containerConfigFor refuses the job.
   */
  private async dependencies(request: Request<'job-dependencies'>): Promise<NodeReply> {
    const job = await this.state.jobs.get(request.jobId);
    if (!job || job.node !== request.nodeId) {
      return { type: 'refused', error: `job ${request.jobId} is not placed on ${request.nodeId}`, retryable: false };
    }
    const resolved: Record<string, string> = {};
    for (const reference of dependenciesOf(job.spec)) {
      const byName = await this.state.names.holderOf(job.namespace, reference);
      const byId = byName ? null : await this.state.jobs.get(reference);
      const target = byName ?? (byId?.namespace === job.namespace ? reference : null);
      if (target) {
        resolved[reference] = containerNameFor(target);
      }
    }
    return { type: 'dependencies', dependencies: resolved };
  }
}
