import { NodeDetail } from '@berth/contracts';
import { NodeSnapshot } from './types';

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
