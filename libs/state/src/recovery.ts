import {
  JobHistoryEntry,
  JobSpec,
  JobStatus,
  NodeRequest,
  NodeWorkload,
  qualifiedName,
  workloadFor,
} from '@berth/contracts';
import { RedisContext } from './redis-client';

/** A job record rebuilt after Redis lost it: from the container a host runs, or from a message in a queue. */
export interface RestoredJob {
  id: string;
  namespace: string;
  spec: JobSpec;
  status: JobStatus;
  node: string | null;
  containerId: string | null;
  createdAt: Date;
  history: JobHistoryEntry[];
  reason: string;
  exitCode: number | null;
  /** Its placement attempt, for a job rebuilt from a place-job message (see WaitingJobs); 0 otherwise. */
  attempt?: number;
  /** For a job whose container lives: what it holds on its host, taken again. */
  holds?: { ports: readonly number[]; workload: NodeWorkload };
  /** The group it was created in, and whether it still waits to be placed with it (all or nothing). */
  group?: { id: string; gang: boolean };
}

/** What a host reports of a container whose job's record Redis lost. */
export type ContainerReport = Omit<Extract<NodeRequest, { type: 'restore-job' }>, 'type'>;

/**
 * The record of a job whose container a host holds, after Redis lost it, on the host that reports it (never
 * another): running (or created, which counts as scheduled) keeps its place on the host; an ended container gives
 * its ending.
 */
export function restoredJobFrom(nodeId: string, container: ContainerReport, now = new Date()): RestoredJob {
  const created = new Date(container.createdAt);
  const submitted = new Date(container.submittedAt);
  const createdAt = Number.isNaN(submitted.getTime()) ? created : submitted;
  const rebuilt = `record rebuilt from host ${nodeId} after Berth's state was lost`;
  let status: JobStatus;
  let reason = rebuilt;
  let exitCode: number | null = null;
  if (container.containerState === 'running') {
    status = 'running';
  } else if (container.containerState === 'created') {
    status = 'scheduled';
  } else {
    exitCode = container.exitCode;
    status = container.exitCode === 0 && !container.oomKilled ? 'exited' : 'failed';
    const ending = container.oomKilled
      ? `killed by the OOM killer at its memory limit (exit code ${container.exitCode})`
      : `exited with code ${container.exitCode}`;
    reason = `${ending}; ${rebuilt}`;
  }
  const history: JobHistoryEntry[] = [
    { status: 'queued', at: createdAt.toISOString() },
    { status: 'scheduled', at: created.toISOString() },
  ];
  if (status !== 'scheduled') {
    history.push({ status, at: now.toISOString() });
  }
  const live = status === 'running' || status === 'scheduled';
  const { jobId, namespace, spec } = container;
  return {
    id: jobId,
    namespace,
    spec,
    status,
    node: nodeId,
    containerId: container.containerId,
    createdAt,
    history,
    reason,
    exitCode,
    ...(live ? { holds: { ports: spec.ports ?? [], workload: workloadFor(jobId, namespace, spec) } } : {}),
  };
}

/**
 * The record of a job whose create reached its host after Redis lost the record, before any container: queued,
 * on no host, to be placed again. (Recording it on that host would take room there without the reservation's
 * check: other jobs may have been placed in that room since.)
 */
export function requeuedJobFrom(
  nodeId: string,
  job: { jobId: string; namespace: string; spec: JobSpec },
  now = new Date(),
): RestoredJob {
  const { jobId, namespace, spec } = job;
  return {
    id: jobId,
    namespace,
    spec,
    status: 'queued',
    node: null,
    containerId: null,
    createdAt: now,
    history: [{ status: 'queued', at: now.toISOString() }],
    reason: `record rebuilt from the create sent to host ${nodeId} after Berth's state was lost; placed again`,
    exitCode: null,
  };
}

export type Admission =
  /** Placement pauses while the cluster rebuilds its state; `remainingMs` null until a host has registered. */
  | { admitted: false; remainingMs: number | null; epoch: string }
  /**
   * `attempt`: the job's current placement attempt (see WaitingJobs); `gang`: the group it is placed with, all or
   * nothing, else null.
   */
  | { admitted: true; status: JobStatus | 'missing'; epoch: string; attempt: number; gang: string | null };

/**
 * Recovery from Redis losing the cluster's state: the cluster's epoch, the pause of placement while hosts report
 * what they run, and the rebuilding of job records from containers and queued messages.
 */
export class RecoveryRepository {
  constructor(
    private readonly context: RedisContext,
    /** How long placement pauses after a loss: every live agent heartbeats within it. */
    readonly windowMs: number,
  ) {}

  private get keys() {
    return this.context.keys;
  }

  /**
   * The scheduler's gate before placing a job: paused while the cluster rebuilds its state after a loss of Redis,
   * else the job's status ('missing' when its record is gone). `knownEpoch` is the epoch the caller saw last.
   */
  async admit(jobId: string, knownEpoch: string): Promise<Admission> {
    const [outcome, detail, epoch, attempt, gang] = await this.context.scripts.run(
      'admitJob',
      { epoch: this.keys.epoch, recovery: this.keys.recovery, job: this.keys.job(jobId) },
      { knownEpoch, recoveryWindowMs: this.windowMs },
    );
    if (outcome === 'paused') {
      return { admitted: false, remainingMs: detail === '-1' ? null : Number(detail), epoch };
    }
    return {
      admitted: true,
      status: detail as JobStatus | 'missing',
      epoch,
      attempt: Number(attempt),
      gang: gang ? gang : null,
    };
  }

  /** While the cluster rebuilds its state after a loss of Redis: how long placement stays paused (ms), else null. */
  async remainingMs(): Promise<number | null> {
    const ttl = await this.context.redis.pttl(this.keys.recovery);
    return ttl > 0 ? ttl : null;
  }

  /**
   * Rebuilds a job's record that Redis lost (see RestoredJob). Never overwrites a record, never revives a job the
   * gateway took back.
   */
  async restore(job: RestoredJob, now = new Date()): Promise<'restored' | 'exists' | 'tombstoned'> {
    const holds = job.holds && job.node ? job.holds : null;
    const record = this.keys.job(job.id);
    const result = await this.context.scripts.run(
      'restoreJob',
      {
        ...this.keys.host(job.node ?? ''),
        job: record,
        events: this.keys.events,
        index: this.keys.jobIndex,
        tombstone: this.keys.tombstone(job.id),
        reservation: this.keys.reservation(job.id),
        name: job.spec.name === undefined ? record : this.keys.name(qualifiedName(job.namespace, job.spec.name)),
      },
      {
        id: job.id,
        namespace: job.namespace,
        spec: JSON.stringify(job.spec),
        name: job.spec.name === undefined ? '' : qualifiedName(job.namespace, job.spec.name),
        status: job.status,
        nodeId: job.node ?? '',
        containerId: job.containerId ?? '',
        createdAtIso: job.createdAt.toISOString(),
        createdAtMs: job.createdAt.getTime(),
        nowIso: now.toISOString(),
        history: JSON.stringify(job.history),
        reason: job.reason,
        exitCode: job.exitCode === null ? '' : String(job.exitCode),
        holds: holds ? '1' : '0',
        cpuMillis: job.spec.resources.cpuMillis,
        memoryMiB: job.spec.resources.memoryMiB,
        ports: (holds?.ports ?? []).join(','),
        workload: JSON.stringify(holds?.workload ?? {}),
        attempt: job.attempt ?? 0,
        group: job.group?.id ?? '',
        gang: job.group?.gang ? '1' : '',
      },
    );
    return result as 'restored' | 'exists' | 'tombstoned';
  }
}
