import { NodeVerdict } from '@berth/contracts';
import { containerSlots, DEFAULT_FILTERS, missingResources } from './filters';
import { NodeFilter, NodeSnapshot, PassOptions, PlacementRequest } from './types';

/** How far a host is from taking the job: what it lacks, as a share of what the job asks, summed. */
function shortfall(request: PlacementRequest, node: NodeSnapshot): number {
  const lack = (asked: number, free: number) => (asked > 0 ? Math.max(0, asked - free) / asked : 0);
  return (
    lack(request.resources.memoryMiB, node.capacity.memoryMiB - node.allocated.memoryMiB) +
    lack(request.resources.cpuMillis, node.capacity.cpuMillis - node.allocated.cpuMillis)
  );
}

/** A filter's reason with the numbers behind it, where there are some. */
function detailed(reason: string, request: PlacementRequest, node: NodeSnapshot): string {
  if (reason === 'insufficient memory') {
    const free = Math.max(0, node.capacity.memoryMiB - node.allocated.memoryMiB);
    return `insufficient memory, ${free} of ${request.resources.memoryMiB} MiB free`;
  }
  if (reason === 'insufficient cpu') {
    const free = Math.max(0, node.capacity.cpuMillis - node.allocated.cpuMillis);
    return `insufficient cpu, ${free} of ${request.resources.cpuMillis} millicores free`;
  }
  return reason;
}

/**
 * Every host's verdict on a job, the closest fits first (those that fit, then the fewest reasons, then the least
 * short of room), at most `limit` of them: what a user waiting for room asks, host by host, and what would make
 * the job fit. Pure, like place(); soft expressions count as hard here only when `enforceSoft`.
 */
export function verdicts(
  request: PlacementRequest,
  nodes: readonly NodeSnapshot[],
  limit: number,
  pass: PassOptions = { enforceSoft: false },
  filters: readonly NodeFilter[] = DEFAULT_FILTERS,
): NodeVerdict[] {
  const applicable = filters.filter((f) => f.applies(request));
  const judged = nodes.map((node) => {
    const raw: string[] = [];
    for (const filter of applicable) {
      if (filter.name === 'resources') {
        // The filter names only the first resource short; a verdict names both.
        raw.push(...missingResources(request, node).map((r) => `insufficient ${r}`));
        continue;
      }
      const reason = filter.reject(request, node, pass);
      if (reason !== null) {
        raw.push(reason);
      }
    }
    return {
      verdict: { node: node.id, fits: raw.length === 0, reasons: raw.map((r) => detailed(r, request, node)) },
      distance: shortfall(request, node),
    };
  });
  judged.sort(
    (a, b) =>
      a.verdict.reasons.length - b.verdict.reasons.length ||
      a.distance - b.distance ||
      a.verdict.node.localeCompare(b.verdict.node),
  );
  return judged.slice(0, limit).map((j) => j.verdict);
}

/** `h2: insufficient memory, 48 of 64 MiB free; h1: constraint zone==a not met`, for a job's reason. */
export function describeVerdicts(list: readonly NodeVerdict[]): string {
  return list
    .filter((v) => !v.fits)
    .map((v) => `${v.node}: ${v.reasons.join(', ')}`)
    .join('; ');
}

/**
 * How many copies of the job the hosts would take now, as their books stand: each host that passes every filter
 * but room takes as many as its free CPU, memory and container slots allow (one, for a job that binds a host
 * port). Approximate where a copy would change the others' verdicts (an affinity against the job's own kind).
 * Counted up to `cap`.
 */
export function copiesThatFit(
  request: PlacementRequest,
  nodes: readonly NodeSnapshot[],
  cap: number,
  pass: PassOptions = { enforceSoft: false },
  filters: readonly NodeFilter[] = DEFAULT_FILTERS,
): number {
  const others = filters.filter((f) => f.applies(request) && f.name !== 'resources' && f.name !== 'containerslots');
  let copies = 0;
  for (const node of nodes) {
    if (others.some((f) => f.reject(request, node, pass) !== null)) {
      continue;
    }
    const per = (free: number, asked: number) => (asked > 0 ? Math.floor(Math.max(0, free) / asked) : cap);
    const slots = containerSlots(node);
    const fit = Math.min(
      per(node.capacity.memoryMiB - node.allocated.memoryMiB, request.resources.memoryMiB),
      per(node.capacity.cpuMillis - node.allocated.cpuMillis, request.resources.cpuMillis),
      slots === null ? cap : Math.max(0, slots - node.containers),
      request.ports.length > 0 ? 1 : cap,
    );
    copies = Math.min(cap, copies + fit);
  }
  return copies;
}
