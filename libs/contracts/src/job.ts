import { JobSpec } from './job-spec';
import { PullProgress } from './messages';

export const JOB_STATUSES = [
  'queued',
  'scheduled',
  'pulling',
  'running',
  'exited',
  'failed',
  'unschedulable',
  'removing',
  'removed',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * The job state machine. Moves only go forward, so a late or replayed message cannot move a job back.
 * `removing` is reachable from every live state; `removed` is final.
 */
export const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ['scheduled', 'unschedulable', 'removing'],
  // `exited` straight from `scheduled`: a short-lived container may end before its start is recorded.
  scheduled: ['pulling', 'running', 'exited', 'failed', 'removing'],
  // The host is pulling the image; `progress` says how far.
  pulling: ['running', 'exited', 'failed', 'removing'],
  running: ['exited', 'failed', 'removing'],
  // A finished or failed job may still have a (stopped) container on its host: removing cleans it up.
  exited: ['removing', 'removed'],
  failed: ['removing', 'removed'],
  unschedulable: ['removed'],
  removing: ['removed'],
  removed: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

/** The statuses a job may move to `to` from. */
export function allowedSources(to: JobStatus): JobStatus[] {
  return JOB_STATUSES.filter((from) => canTransition(from, to));
}

export interface JobHistoryEntry {
  status: JobStatus;
  at: string;
}

export interface JobRecord {
  id: string;
  /** The namespace of the token that submitted it: only that namespace (and admins) can see or touch it. */
  namespace: string;
  status: JobStatus;
  spec: JobSpec;
  node: string | null;
  containerId: string | null;
  reason: string | null;
  /** The container's exit code, once it has ended. */
  exitCode: number | null;
  /** How far the host's image pull has got, while the job is pulling. */
  progress: PullProgress | null;
  /**
   * While the job waits for room (and once it gave up): the hosts' verdicts at its last try, the closest fits
   * first, at most VERDICTS_KEPT of them. Null otherwise.
   */
  verdicts: NodeVerdict[] | null;
  /** The group the job was created in (POST /v1/jobs with replicas), if any. */
  group: string | null;
  createdAt: string;
  updatedAt: string;
  history: JobHistoryEntry[];
}

/** One host's answer to a job: it fits, or every reason it does not. */
export interface NodeVerdict {
  node: string;
  fits: boolean;
  /** In words an operator reads: "insufficient memory, 48 of 64 MiB free", "constraint zone==a not met". */
  reasons: string[];
}

/** Hosts' verdicts a waiting job's record keeps: enough to see what blocks it, bounded for a big fleet. */
export const VERDICTS_KEPT = 10;

/** Docker names the container after the job, so a redelivered create finds the container it already made. */
export function containerNameFor(jobId: string): string {
  return `berth-${jobId}`;
}

/** Labels Berth puts on every container it creates (see RESERVED_LABEL_PREFIX). */
export const LABEL_JOB = 'berth.job';
export const LABEL_CLUSTER = 'berth.cluster';
/** The job's namespace: kept on the container so a record rebuilt from it lands in the right one. */
export const LABEL_NAMESPACE = 'berth.namespace';
export const LABEL_CPU = 'berth.cpu-millis';
export const LABEL_MEMORY = 'berth.memory-mib';
/** The job's spec as JSON, and when it was submitted: enough to rebuild the job's record if Redis loses it. */
export const LABEL_SPEC = 'berth.spec';
export const LABEL_SUBMITTED = 'berth.submitted-at';
