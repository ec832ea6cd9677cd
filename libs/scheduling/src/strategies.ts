import { NodeSnapshot, PlacementRequest, StrategyName } from './types';

/**
 * Swarm's weight: the CPU and memory a host would have in use after the placement, each as a percentage of
 * its capacity, added up (0 to 200).
 */
export function weightAfter(request: PlacementRequest, node: NodeSnapshot): number {
  const cpu = ((node.allocated.cpuMillis + request.resources.cpuMillis) * 100) / Math.max(node.capacity.cpuMillis, 1);
  const memory =
    ((node.allocated.memoryMiB + request.resources.memoryMiB) * 100) / Math.max(node.capacity.memoryMiB, 1);
  return cpu + memory;
}

/** A stable pseudo-random number from a job and a host (FNV-1a): cheap, free of I/O, different per job. */
export function tieBreak(jobId: string, nodeId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < jobId.length; i++) {
    hash = Math.imul(hash ^ jobId.charCodeAt(i), 0x01000193);
  }
  hash = Math.imul(hash ^ 0x2f, 0x01000193);
  for (let i = 0; i < nodeId.length; i++) {
    hash = Math.imul(hash ^ nodeId.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}

/** Lower is better. Ties go to the host with fewer containers, then to a per-job pseudo-random order. */
export type Score = [number, number, number];

/**
 * spread: the least loaded host first. binpack: the most loaded host that still fits first. random: a
 * pseudo-random order seeded by the job, so replicas deciding at once do not all pick the same host.
 */
export function score(strategy: StrategyName, request: PlacementRequest, node: NodeSnapshot): Score {
  const random = tieBreak(request.jobId, node.id);
  switch (strategy) {
    case 'spread':
      return [weightAfter(request, node), node.containers, random];
    case 'binpack':
      return [-weightAfter(request, node), node.containers, random];
    case 'random':
      return [random, 0, 0];
  }
}

export function compareScores(a: Score, b: Score): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}
