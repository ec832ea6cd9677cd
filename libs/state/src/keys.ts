/**
 * The keys of one host's books: its hash, what runs on it, the ports taken on it, and the cluster's change counter
 * that every change of them moves (see nodeChanges).
 */
export interface HostKeys {
  node: string;
  workloads: string;
  ports: string;
  changes: string;
}

/** Every Redis key Berth uses, under the cluster prefix. */
export interface Keys {
  host(id: string): HostKeys;
  job(id: string): string;
  jobIndex: string;
  nodeIndex: string;
  /**
   * Node ids by the version of their books: every script that changes a host's books gives it the next version
   * (lua/lib/host-changed.lua), so a scheduler's view reads only the hosts changed since it last looked.
   */
  nodeChanges: string;
  reservation(jobId: string): string;
  /**
   * Jobs that wait for the scheduler between placement tries (no room yet, placement paused, or taken off a host),
   * by when the next try is overdue (Redis's clock, ms): see WaitingJobs.
   */
  waiting: string;
  /**
   * Of those, the jobs that fit nowhere and wait for room to be freed, by when they began to wait (oldest first):
   * no timer tries them again; a change that frees capacity wakes the oldest (see WaitingJobs.wake).
   */
  parked: string;
  /** The log of changes watchers follow (GET /v1/events): a capped stream, see lua/lib/events.lua. */
  events: string;
  /** Jobs finished for good, by when they finished (Redis's clock, ms): they leave Redis after the retention. */
  expiring: string;
  /** A group of jobs one request made (POST /v1/jobs with replicas): a hash, gone once its last job expired. */
  group(id: string): string;
  /** Cluster-wide unique job names: name → job id. */
  name(name: string): string;
  /**
   * A random id written when this cluster's state is first created in Redis. A scheduler that saw one id and then
   * finds another (or none) knows Redis lost everything in between.
   */
  epoch: string;
  /** Present (with a TTL) while the cluster rebuilds its state after a loss: no placement until it expires. */
  recovery: string;
  /**
   * Jobs the gateway took back (never confirmed), or that expired: their records must never be rebuilt from a stray
   * message.
   */
  tombstone(jobId: string): string;
  /** A client's Idempotency-Key → the job it created and the request's fingerprint. */
  idempotency(key: string): string;
  /**
   * One dead letter (a hash), its index by time (a sorted set), the bytes all of them take, and the lock of a retry
   * in progress.
   */
  deadLetter(id: string): string;
  deadLetterIndex: string;
  deadLetterBytes: string;
  deadLetterRetry(id: string): string;
  /** One API token (a hash, never its secret), the index of all of them, and secret hash → token id. */
  token(id: string): string;
  tokenIndex: string;
  tokenBySecret(secretHash: string): string;
}

export function keysFor(prefix: string): Keys {
  return {
    host: (id) => ({
      node: `${prefix}:node:${id}`,
      workloads: `${prefix}:node:${id}:workloads`,
      ports: `${prefix}:node:${id}:ports`,
      changes: `${prefix}:node-changes`,
    }),
    job: (id) => `${prefix}:job:${id}`,
    jobIndex: `${prefix}:jobs`,
    nodeIndex: `${prefix}:nodes`,
    nodeChanges: `${prefix}:node-changes`,
    reservation: (jobId) => `${prefix}:reservation:${jobId}`,
    waiting: `${prefix}:waiting`,
    parked: `${prefix}:parked`,
    events: `${prefix}:events`,
    expiring: `${prefix}:expiring`,
    group: (id) => `${prefix}:group:${id}`,
    name: (name) => `${prefix}:name:${name}`,
    epoch: `${prefix}:epoch`,
    recovery: `${prefix}:recovery`,
    tombstone: (jobId) => `${prefix}:tombstone:${jobId}`,
    idempotency: (key) => `${prefix}:idempotency:${key}`,
    deadLetter: (id) => `${prefix}:dead-letter:${id}`,
    deadLetterIndex: `${prefix}:dead-letters`,
    deadLetterBytes: `${prefix}:dead-letter-bytes`,
    deadLetterRetry: (id) => `${prefix}:dead-letter-retry:${id}`,
    token: (id) => `${prefix}:token:${id}`,
    tokenIndex: `${prefix}:tokens`,
    tokenBySecret: (secretHash) => `${prefix}:token-secret:${secretHash}`,
  };
}
