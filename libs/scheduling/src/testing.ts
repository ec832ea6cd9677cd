import { NodeSnapshot, PlacementRequest } from './types';

/** Builders for the core's own tests and benchmarks: a host and a request with sane defaults. */
export function nodeSnapshot(id: string, over: Partial<NodeSnapshot> = {}): NodeSnapshot {
  return {
    id,
    ready: true,
    schedulable: true,
    capacity: { cpuMillis: 2000, memoryMiB: 1024 },
    allocated: { cpuMillis: 0, memoryMiB: 0 },
    labels: { node: id },
    containers: 0,
    workloads: [],
    images: [],
    ...over,
  };
}

export function placementRequestOf(over: Partial<PlacementRequest> = {}): PlacementRequest {
  return {
    jobId: 'job-1',
    namespace: 'default',
    resources: { cpuMillis: 250, memoryMiB: 64 },
    strategy: 'spread',
    constraints: [],
    affinities: [],
    ports: [],
    dependencies: [],
    ...over,
  };
}
