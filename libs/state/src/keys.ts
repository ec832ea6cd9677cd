/** Every Redis key Berth uses, under the cluster prefix. */
export interface Keys {
  job(id: string): string;
  jobIndex: string;
  node(id: string): string;
  nodePrefix: string;
  nodeIndex: string;
  nodeWorkloads(id: string): string;
  nodePorts(id: string): string;
  reservation(jobId: string): string;
  reservationPrefix: string;
  /** Jobs taken off a host and not placed again yet, by when (ms). */
  rescheduled: string;
  /** Cluster-wide unique job names: name → job id. */
  namePrefix: string;
  /**
   * A random id written when this cluster's state is first created in Redis. A scheduler that saw one id and then
   * finds another (or none) knows Redis lost everything in between.
   */
  epoch: string;
  /** Present (with a TTL) while the cluster rebuilds its state after a loss: no placement until it expires. */
  recovery: string;
  /** Jobs the gateway took back (never confirmed): their records must never be rebuilt from a stray message. */
  tombstone(jobId: string): string;
  /** A client's Idempotency-Key → the job it created and the request's fingerprint. */
  idempotency(key: string): string;
  /** One dead letter (a hash), its index by time (a sorted set), and the lock of a retry in progress. */
  deadLetter(id: string): string;
  deadLetterPrefix: string;
  deadLetterIndex: string;
  deadLetterRetry(id: string): string;
}

export function keysFor(prefix: string): Keys {
  return {
    job: (id) => `${prefix}:job:${id}`,
    jobIndex: `${prefix}:jobs`,
    node: (id) => `${prefix}:node:${id}`,
    nodePrefix: `${prefix}:node:`,
    nodeIndex: `${prefix}:nodes`,
    nodeWorkloads: (id) => `${prefix}:node:${id}:workloads`,
    nodePorts: (id) => `${prefix}:node:${id}:ports`,
    reservation: (jobId) => `${prefix}:reservation:${jobId}`,
    reservationPrefix: `${prefix}:reservation:`,
    rescheduled: `${prefix}:rescheduled`,
    namePrefix: `${prefix}:name:`,
    epoch: `${prefix}:epoch`,
    recovery: `${prefix}:recovery`,
    tombstone: (jobId) => `${prefix}:tombstone:${jobId}`,
    idempotency: (key) => `${prefix}:idempotency:${key}`,
    deadLetter: (id) => `${prefix}:dead-letter:${id}`,
    deadLetterPrefix: `${prefix}:dead-letter:`,
    deadLetterIndex: `${prefix}:dead-letters`,
    deadLetterRetry: (id) => `${prefix}:dead-letter-retry:${id}`,
  };
}
