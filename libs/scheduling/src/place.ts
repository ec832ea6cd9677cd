import { DEFAULT_FILTERS } from './filters';
import { compareScores, score, Score, tieBreak } from './strategies';
import { NodeFilter, NodeSnapshot, PassOptions, PlacementRequest, PlacementResult, PlaceOptions } from './types';

/**
 * How many feasible hosts to find before ranking stops looking: every host below 100, then 100 or 1% of the
 * fleet, whichever is more. Kubernetes scores about 5% of a large fleet and Nomad only log2(N) hosts; with a
 * per-job start index, the best of 100 hosts spreads load well and keeps a decision under a millisecond at
 * 10,000 hosts. A job that fits nowhere still has every host checked, so its explanation is complete.
 */
export function defaultFeasibleLimit(nodes: number): number {
  return Math.min(nodes, Math.max(100, Math.ceil(nodes / 100)));
}

/**
 * Ranks the hosts a job could go to: Swarm's filters, then a strategy. Pure: it reads the snapshot it is given
 * and decides nothing final; the atomic reservation in Redis has the last word, and the caller falls through to
 * the next candidate. Soft expressions are enforced first and set aside only if no host meets them (Swarm's
 * two passes).
 */
export function place(
  request: PlacementRequest,
  nodes: readonly NodeSnapshot[],
  options: PlaceOptions = {},
  filters: readonly NodeFilter[] = DEFAULT_FILTERS,
): PlacementResult {
  const applicable = filters.filter((f) => f.applies(request));
  const hasSoft = request.constraints.some((e) => e.soft) || request.affinities.some((e) => e.soft);
  if (hasSoft) {
    const strict = rank(request, nodes, applicable, { enforceSoft: true }, options);
    if (strict.candidates.length > 0) {
      return strict;
    }
  }
  return { ...rank(request, nodes, applicable, { enforceSoft: false }, options), softIgnored: hasSoft };
}

function rank(
  request: PlacementRequest,
  nodes: readonly NodeSnapshot[],
  filters: readonly NodeFilter[],
  pass: PassOptions,
  options: PlaceOptions,
): PlacementResult {
  const limit = options.limit ?? 3;
  const feasibleLimit = options.feasibleLimit ?? defaultFeasibleLimit(nodes.length);
  const rejections = new Map<string, number>();
  // The best `limit` hosts so far, best first: a bounded insertion keeps a decision O(hosts), not O(n log n).
  const best: Array<{ node: NodeSnapshot; score: Score }> = [];
  let feasible = 0;
  let evaluated = 0;
  // Each job starts at its own place in the list, so concurrent decisions on a large fleet spread out.
  const start = nodes.length > 0 ? tieBreak(request.jobId, '') % nodes.length : 0;
  for (let i = 0; i < nodes.length && feasible < feasibleLimit; i++) {
    const node = nodes[(start + i) % nodes.length];
    evaluated++;
    const reason = firstRejection(request, node, filters, pass);
    if (reason !== null) {
      rejections.set(reason, (rejections.get(reason) ?? 0) + 1);
      continue;
    }
    feasible++;
    const s = score(request.strategy, request, node);
    if (best.length < limit || compareScores(s, best[best.length - 1].score) < 0) {
      let at = best.length;
      while (at > 0 && compareScores(s, best[at - 1].score) < 0) {
        at--;
      }
      best.splice(at, 0, { node, score: s });
      if (best.length > limit) {
        best.pop();
      }
    }
  }
  return { candidates: best.map((b) => b.node), rejections, nodesEvaluated: evaluated, feasible, softIgnored: false };
}

function firstRejection(
  request: PlacementRequest,
  node: NodeSnapshot,
  filters: readonly NodeFilter[],
  pass: PassOptions,
): string | null {
  for (const filter of filters) {
    const reason = filter.reject(request, node, pass);
    if (reason !== null) {
      return reason;
    }
  }
  return null;
}

/** `0/3 hosts available: 2 insufficient memory, 1 constraint zone==a not met`, most common reason first. */
export function explain(result: Pick<PlacementResult, 'rejections' | 'nodesEvaluated'>): string {
  if (result.nodesEvaluated === 0) {
    return '0/0 hosts available: no host has registered';
  }
  const reasons = [...result.rejections.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, count]) => `${count} ${reason}`);
  const rejected = [...result.rejections.values()].reduce((sum, n) => sum + n, 0);
  return `${result.nodesEvaluated - rejected}/${result.nodesEvaluated} hosts available: ${reasons.join(', ')}`;
}
