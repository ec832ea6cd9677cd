import { CreateContainer, HostJob, NodeReply, NodeRequest, Resources } from '@berth/contracts';
import { RequestReply } from '@berth/messaging';
import { RestoreRequest } from './restore';

/** The control plane would not carry out a request; `retryable` when asking again later may work. */
export class ControlPlaneRefused extends Error {
  override readonly name = 'ControlPlaneRefused';

  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

type Reply<T extends NodeReply['type']> = Extract<NodeReply, { type: T }>;
/** A request's own fields; `type` and `nodeId` (always this host) are the client's to set. */
type Body<K extends NodeRequest['type']> = Omit<Extract<NodeRequest, { type: K }>, 'type' | 'nodeId'>;

/** Request sizes the wire allows (see node-requests.ts). */
const JOBS_PER_REQUEST = 500;

export interface HostRegistration {
  instance: string;
  address: string;
  capacity: Resources;
  labels: Record<string, string>;
  images: string[];
  evidence: boolean;
}

/**
 * This host's books, as the control plane keeps them: the agent holds no Redis credential and reaches them only by
 * asking, over RabbitMQ, about its own host. Every method throws BrokerUnavailable when no answer comes in time,
 * and ControlPlaneRefused when the answer is no.
 */
export class ControlPlaneClient {
  constructor(
    private readonly requests: RequestReply,
    readonly nodeId: string,
  ) {}

  async claim(instance: string, conflict: string): Promise<boolean> {
    return (await this.ask('claim-node', { instance, conflict }, 'claimed')).claimed;
  }

  async register(host: HostRegistration): Promise<{ existed: boolean; recoveryStarted: boolean }> {
    const { existed, recoveryStarted } = await this.ask('register-node', host, 'registered');
    return { existed, recoveryStarted };
  }

  async heartbeat(instance: string): Promise<'alive' | 'unknown' | 'superseded'> {
    return (await this.ask('heartbeat', { instance }, 'beat')).beat;
  }

  async markReady(): Promise<boolean> {
    return (await this.ask('set-node-status', { status: 'ready' }, 'found')).found;
  }

  async markDown(): Promise<void> {
    await this.ask('set-node-status', { status: 'down' }, 'found');
  }

  async setImages(images: string[]): Promise<void> {
    await this.ask('set-images', { images }, 'found');
  }

  /** The records of these jobs as this host may see them, by id. */
  async jobs(jobIds: readonly string[]): Promise<Map<string, HostJob>> {
    const byId = new Map<string, HostJob>();
    for (let i = 0; i < jobIds.length; i += JOBS_PER_REQUEST) {
      const batch = jobIds.slice(i, i + JOBS_PER_REQUEST);
      for (const job of (await this.ask('host-jobs', { jobIds: batch }, 'host-jobs')).jobs) {
        byId.set(job.jobId, job);
      }
    }
    return byId;
  }

  async job(jobId: string): Promise<HostJob> {
    return (await this.jobs([jobId])).get(jobId) ?? { jobId, found: false, onThisHost: false };
  }

  async jobsPlacedHere(): Promise<string[]> {
    return (await this.ask('jobs-placed-on', {}, 'job-ids')).jobIds;
  }

  /** Gives back the reservation an ended job still holds here; true when this call freed it. */
  async releaseLeak(jobId: string): Promise<boolean> {
    return (await this.ask('release-leak', { jobId }, 'released')).released;
  }

  async recompute(): Promise<{ allocated: Resources; containers: number }> {
    const { cpuMillis, memoryMiB, containers } = await this.ask('recompute-books', {}, 'books');
    return { allocated: { cpuMillis, memoryMiB }, containers };
  }

  async restore(request: RestoreRequest): Promise<Reply<'restored'>['outcome']> {
    return (await this.ask('restore-job', request, 'restored')).outcome;
  }

  /** A create whose job Redis lost, before any container: the control plane records it queued and places it again. */
  async requeue(command: CreateContainer): Promise<Reply<'restored'>['outcome']> {
    const body = { jobId: command.jobId, namespace: command.namespace, spec: command.spec, seal: command.seal };
    return (await this.ask('requeue-lost-job', body, 'restored')).outcome;
  }

  /** Reference → container name of what a job placed here depends on. */
  async dependencies(jobId: string): Promise<Record<string, string>> {
    return (await this.ask('job-dependencies', { jobId }, 'dependencies')).dependencies;
  }

  private async ask<K extends NodeRequest['type'], T extends NodeReply['type']>(
    type: K,
    body: Body<K>,
    expected: T,
  ): Promise<Reply<T>> {
    const request = { ...body, type, nodeId: this.nodeId } as unknown as NodeRequest;
    const reply = await this.requests.askControlPlane(request);
    if (reply.type === 'refused') {
      throw new ControlPlaneRefused(`${type}: ${reply.error}`, reply.retryable);
    }
    if (reply.type !== expected) {
      throw new ControlPlaneRefused(`${type}: answered ${reply.type}, not ${expected}`, true);
    }
    return reply as Reply<T>;
  }
}
