/** Every Redis key Berth uses, under the cluster prefix. */
export interface Keys {
  job(id: string): string;
  jobIndex: string;
  node(id: string): string;
  nodePrefix: string;
  nodeIndex: string;
  reservation(jobId: string): string;
}

export function keysFor(prefix: string): Keys {
  return {
    job: (id) => `${prefix}:job:${id}`,
    jobIndex: `${prefix}:jobs`,
    node: (id) => `${prefix}:node:${id}`,
    nodePrefix: `${prefix}:node:`,
    nodeIndex: `${prefix}:nodes`,
    reservation: (jobId) => `${prefix}:reservation:${jobId}`,
  };
}
