import { NodeDetail, Resources } from '@berth/contracts';
import { NodeSnapshot, Workload } from './types';

/** What placement sees of a host as Berth books it (`node` is always among its labels, for constraints). */
export function snapshotOf(detail: NodeDetail): NodeSnapshot {
  return {
    id: detail.id,
    ready: detail.status === 'ready',
    schedulable: detail.schedulable,
    capacity: detail.capacity,
    allocated: detail.allocated,
    labels: { node: detail.id, ...detail.labels },
    containers: detail.containers,
    workloads: detail.workloads,
    images: detail.images,
  };
}

/**
 * The host as it is once a placement is booked on it: a new snapshot, never a change to the old one, so a decision
 * holding the old one keeps a consistent picture and caches keyed by snapshot (affinity candidates) stay right.
 */
export function withReservation(node: NodeSnapshot, resources: Resources, workload: Workload): NodeSnapshot {
  return {
    ...node,
    allocated: {
      cpuMillis: node.allocated.cpuMillis + resources.cpuMillis,
      memoryMiB: node.allocated.memoryMiB + resources.memoryMiB,
    },
    containers: node.containers + 1,
    workloads: [...node.workloads, workload],
  };
}
