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
    deadLetter: (id) => `${prefix}:dead-letter:${id}`,
    deadLetterPrefix: `${prefix}:dead-letter:`,
    deadLetterIndex: `${prefix}:dead-letters`,
    deadLetterRetry: (id) => `${prefix}:dead-letter-retry:${id}`,
  };
}
