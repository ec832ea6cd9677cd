/** What a user asks Berth to run, after validation and defaults. */
export interface Resources {
  cpuMillis: number;
  memoryMiB: number;
}

export const RESCHEDULE_POLICIES = ['no', 'on-node-failure'] as const;
export type ReschedulePolicy = (typeof RESCHEDULE_POLICIES)[number];

export const STRATEGIES = ['spread', 'binpack', 'random'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface JobSpec {
  image: string;
  name?: string;
  cmd?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  resources: Resources;
  /** Placement strategy; the scheduler's default when absent. */
  strategy?: StrategyName;
  /** Swarm expressions on host attributes: `zone==a`, `node!=h1`, `disk==~ssd`. */
  constraints?: string[];
  /** Swarm expressions on what runs on a host: `container==web`, `image==redis*`. */
  affinities?: string[];
  /** Host ports the container binds; two jobs never share one on a host. */
  ports?: number[];
  /** Names of jobs whose volumes this one mounts (`name` or `name:ro`). */
  volumesFrom?: string[];
  /** Names of jobs this one links to (`name` or `name:alias`). */
  links?: string[];
  /** `container:<job name>` to share another job's network namespace. */
  network?: string;
  /** How long the job may wait for room before it is declared unschedulable. */
  placementTimeoutSeconds: number;
  /** Swarm's reschedule policy: `on-node-failure` moves the job when its host is down or drained. */
  reschedule?: ReschedulePolicy;
}

/** A job that fits nowhere waits this long for room before it becomes unschedulable. */
export const DEFAULT_PLACEMENT_TIMEOUT_SECONDS = 300;

/** Defaults for a job that does not say what it needs: a quarter of a core and 64 MiB. */
export const DEFAULT_RESOURCES: Readonly<Resources> = Object.freeze({ cpuMillis: 250, memoryMiB: 64 });

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

export interface PullProgress {
  layersDone: number;
  layers: number;
  bytesDone: number;
  /** Bytes of the layers whose size is known so far. */
  bytesTotal: number;
}

export interface JobHistoryEntry {
  status: JobStatus;
  at: string;
}

export interface JobRecord {
  id: string;
  status: JobStatus;
  spec: JobSpec;
  node: string | null;
  containerId: string | null;
  reason: string | null;
  /** The container's exit code, once it has ended. */
  exitCode: number | null;
  /** How far the host's image pull has got, while the job is pulling. */
  progress: PullProgress | null;
  createdAt: string;
  updatedAt: string;
  history: JobHistoryEntry[];
}

/** Docker names the container after the job, so a redelivered create finds the container it already made. */
export function containerNameFor(jobId: string): string {
  return `berth-${jobId}`;
}

/** Labels Berth puts on every container it creates; user labels may not use the `berth.` prefix. */
export const LABEL_JOB = 'berth.job';
export const LABEL_CLUSTER = 'berth.cluster';
export const LABEL_CPU = 'berth.cpu-millis';
export const LABEL_MEMORY = 'berth.memory-mib';
/** The job's spec as JSON, and when it was submitted: enough to rebuild the job's record if Redis loses it. */
export const LABEL_SPEC = 'berth.spec';
export const LABEL_SUBMITTED = 'berth.submitted-at';
export const RESERVED_LABEL_PREFIX = 'berth.';
