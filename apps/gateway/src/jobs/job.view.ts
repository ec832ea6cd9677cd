import { JobRecord } from '@berth/contracts';

/** A job as the API shows it. */
export interface JobView {
  id: string;
  name: string | null;
  status: JobRecord['status'];
  image: string;
  cmd: string[] | null;
  resources: JobRecord['spec']['resources'];
  labels: Record<string, string>;
  node: string | null;
  containerId: string | null;
  reason: string | null;
  exitCode: number | null;
  /** While pulling: layers and bytes done so far. */
  progress: JobRecord['progress'];
  createdAt: string;
  updatedAt: string;
  history: JobRecord['history'];
}

export function toJobView(job: JobRecord): JobView {
  return {
    id: job.id,
    name: job.spec.name ?? null,
    status: job.status,
    image: job.spec.image,
    cmd: job.spec.cmd ?? null,
    resources: job.spec.resources,
    labels: job.spec.labels,
    node: job.node,
    containerId: job.containerId,
    reason: job.reason,
    exitCode: job.exitCode,
    progress: job.progress,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    history: job.history,
  };
}
