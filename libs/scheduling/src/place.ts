import { DEFAULT_FILTERS } from './filters';
import { spreadOrder } from './strategies';
import { NodeFilter, NodeSnapshot, PlacementRequest, PlacementResult } from './types';

/**
 * Ranks the hosts a job could go to. Pure: it reads the snapshot it is given and decides nothing final;
 * the atomic reservation in Redis has the last word, and the caller falls through to the next candidate.
 */
export function place(
  request: PlacementRequest,
  nodes: readonly NodeSnapshot[],
  filters: readonly NodeFilter[] = DEFAULT_FILTERS,
): PlacementResult {
  const rejections = new Map<string, number>();
  const candidates: NodeSnapshot[] = [];
  for (const node of nodes) {
    const reason = firstRejection(request, node, filters);
    if (reason === null) {
      candidates.push(node);
    } else {
      rejections.set(reason, (rejections.get(reason) ?? 0) + 1);
    }
  }
  candidates.sort(spreadOrder(request));
  return { candidates, rejections, nodesEvaluated: nodes.length };
}

function firstRejection(request: PlacementRequest, node: NodeSnapshot, filters: readonly NodeFilter[]): string | null {
  for (const filter of filters) {
    const reason = filter.reject(request, node);
    if (reason !== null) {
      return reason;
    }
  }
  return null;
}

/** `0/3 hosts available: 2 insufficient memory, 1 host not ready`, most common reason first. */
export function explain(result: Pick<PlacementResult, 'rejections' | 'nodesEvaluated'>): string {
  if (result.nodesEvaluated === 0) {
    return '0/0 hosts available: no host has registered';
  }
  const reasons = [...result.rejections.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, count]) => `${count} ${reason}`);
  const available = result.nodesEvaluated - [...result.rejections.values()].reduce((sum, n) => sum + n, 0);
  return `${available}/${result.nodesEvaluated} hosts available: ${reasons.join(', ')}`;
}
