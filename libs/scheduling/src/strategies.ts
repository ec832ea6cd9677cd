import { NodeSnapshot, PlacementRequest } from './types';

/** Share of the host's scarcer resource that would be in use after placing the request, 0..1. */
export function loadAfter(request: PlacementRequest, node: NodeSnapshot): number {
  const cpu = (node.allocated.cpuMillis + request.resources.cpuMillis) / Math.max(node.capacity.cpuMillis, 1);
  const memory = (node.allocated.memoryMiB + request.resources.memoryMiB) / Math.max(node.capacity.memoryMiB, 1);
  return Math.max(cpu, memory);
}

/**
 * Spread: the least loaded host first, then the one with fewer containers, then a tie-break seeded by the job,
 * so that schedulers deciding at the same moment on the same view do not all pick the same host.
 */
export function spreadOrder(request: PlacementRequest): (a: NodeSnapshot, b: NodeSnapshot) => number {
  return (a, b) =>
    loadAfter(request, a) - loadAfter(request, b) ||
    a.containers - b.containers ||
    tieBreak(request.jobId, a.id) - tieBreak(request.jobId, b.id);
}

/** A stable pseudo-random number from a job and a host (FNV-1a), cheap and free of I/O. */
export function tieBreak(jobId: string, nodeId: string): number {
  let hash = 0x811c9dc5;
  const text = `${jobId}/${nodeId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
