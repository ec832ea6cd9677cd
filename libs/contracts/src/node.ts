import { JobSpec, Resources } from './job-spec';

/** `restoring`: the agent is rebuilding the host's books from what Docker runs; it takes no work until done. */
export const NODE_STATUSES = ['ready', 'restoring', 'down'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

/** A Docker host as Berth books it: what it has, what is promised away, and whether it answers. */
export interface NodeRecord {
  id: string;
  address: string;
  status: NodeStatus;
  /** False once an operator cordoned the host: it keeps what runs but takes nothing new. */
  schedulable: boolean;
  /** `draining` after POST /drain until every job that may move has moved, then `drained`. */
  drain: 'none' | 'draining' | 'drained';
  /** Another agent that tried to take this node id while this host's agent was alive, and when; null if none. */
  conflict: string | null;
  capacity: Resources;
  allocated: Resources;
  labels: Record<string, string>;
  containers: number;
  heartbeatAt: string;
  registeredAt: string;
}

/** A container Berth placed on a host, as placement needs to know it (affinities, ports, dependencies). */
export interface NodeWorkload {
  jobId: string;
  /** Absent in books written before namespaces existed: the default namespace. */
  namespace?: string;
  name?: string;
  image: string;
  labels: Record<string, string>;
  ports: number[];
}

/** What a job placed on a host tells placement about itself: the same whether it was placed or rebuilt. */
export function workloadFor(jobId: string, namespace: string, spec: JobSpec): NodeWorkload {
  return {
    jobId,
    namespace,
    image: spec.image,
    labels: spec.labels,
    ports: [...(spec.ports ?? [])],
    ...(spec.name !== undefined ? { name: spec.name } : {}),
  };
}

/** A host with what runs on it and the images it holds: the scheduler's input. */
export interface NodeDetail extends NodeRecord {
  workloads: NodeWorkload[];
  images: string[];
}
