import { containerNameFor, DEFAULT_NAMESPACE, NodeWorkload } from '@berth/contracts';
import { Expression, holds, holdsFor } from '@berth/expressions';
import { NodeFilter, NodeSnapshot, PassOptions, PlacementRequest } from './types';

function active(expressions: readonly Expression[], options: PassOptions): readonly Expression[] {
  return options.enforceSoft ? expressions : expressions.filter((e) => !e.soft);
}

/** Only hosts whose agent is alive, and that no operator cordoned, take new work. */
export const healthFilter: NodeFilter = {
  name: 'health',
  applies: () => true,
  reject: (_request, node) => (!node.ready ? 'host not ready' : node.schedulable ? null : 'host cordoned'),
};

/** What a host lacks of the job's CPU and memory, by its books: memory first, as the reservation checks. */
export function missingResources(request: PlacementRequest, node: NodeSnapshot): Array<'memory' | 'cpu'> {
  const missing: Array<'memory' | 'cpu'> = [];
  if (node.allocated.memoryMiB + request.resources.memoryMiB > node.capacity.memoryMiB) {
    missing.push('memory');
  }
  if (node.allocated.cpuMillis + request.resources.cpuMillis > node.capacity.cpuMillis) {
    missing.push('cpu');
  }
  return missing;
}

/** A host must have the requested CPU and memory left, by its books. */
export const resourcesFilter: NodeFilter = {
  name: 'resources',
  applies: () => true,
  reject: (request, node) => {
    const [first] = missingResources(request, node);
    return first === undefined ? null : `insufficient ${first}`;
  },
};

/** The host label `containerslots=n` caps the containers on it; missing or not a number means no cap. */
export function containerSlots(node: NodeSnapshot): number | null {
  const raw = node.labels.containerslots;
  if (raw === undefined || !/^\d+$/.test(raw.trim())) {
    return null;
  }
  return Number(raw);
}

export const containerSlotsFilter: NodeFilter = {
  name: 'containerslots',
  applies: () => true,
  reject: (_request, node) => {
    const slots = containerSlots(node);
    return slots !== null && node.containers >= slots ? 'container slots full' : null;
  },
};

/** A host port already bound by a container on the host rules the host out. */
export const portFilter: NodeFilter = {
  name: 'port',
  applies: (request) => request.ports.length > 0,
  reject: (request, node) => {
    for (const port of request.ports) {
      if (node.workloads.some((w) => w.ports.includes(port))) {
        return `port ${port} in use`;
      }
    }
    return null;
  },
};

/** A job that uses another's volumes, links to it or joins its network must land beside it. */
export const dependencyFilter: NodeFilter = {
  name: 'dependency',
  applies: (request) => request.dependencies.length > 0,
  reject: (request, node) => {
    for (const dependency of request.dependencies) {
      // Only jobs of the job's own namespace count: another team's `data` is not this job's `data`.
      const beside = node.workloads.some(
        (w) => namespaceOf(w) === request.namespace && (w.name === dependency || w.jobId === dependency),
      );
      if (!beside) {
        return `dependency ${dependency} not on host`;
      }
    }
    return null;
  },
};

/**
 * What a host's affinities are matched against, built on first use per snapshot of the host and per key: a
 * snapshot is never changed (the view replaces it), so the cache stays right and the core stays free of I/O.
 */
const affinityIndexes = new WeakMap<NodeSnapshot, Map<string, readonly string[]>>();

/** A workload booked before namespaces existed belongs to the default one. */
function namespaceOf(workload: NodeWorkload): string {
  return workload.namespace ?? DEFAULT_NAMESPACE;
}

/**
 * What an affinity's key is matched against on a host, for a job of `namespace`: only the jobs of that namespace
 * count (names are per namespace, and another team's jobs, their images and labels, are none of its business);
 * `image` also sees the images the host holds.
 */
export function affinityCandidates(key: string, node: NodeSnapshot, namespace: string): readonly string[] {
  let index = affinityIndexes.get(node);
  if (!index) {
    index = new Map();
    affinityIndexes.set(node, index);
  }
  const cacheKey = `${key}\0${namespace}`;
  let candidates = index.get(cacheKey);
  if (!candidates) {
    candidates = buildCandidates(key, node, namespace);
    index.set(cacheKey, candidates);
  }
  return candidates;
}

function buildCandidates(key: string, node: NodeSnapshot, namespace: string): readonly string[] {
  const found: string[] = [];
  const own = node.workloads.filter((workload) => namespaceOf(workload) === namespace);
  switch (key) {
    case 'container':
      for (const w of own) {
        found.push(w.jobId, containerNameFor(w.jobId));
        if (w.name) {
          found.push(w.name);
        }
      }
      return found;
    case 'image': {
      const images = new Set(node.images);
      for (const w of own) {
        images.add(w.image);
        images.add(w.image.replace(/:[^:/]+$/, ''));
      }
      return [...images];
    }
    default:
      for (const w of own) {
        const value = w.labels[key];
        if (value !== undefined) {
          found.push(value);
        }
      }
      return found;
  }
}

/** `container==web`, `image==redis*`, `team!=ops`: placement relative to what already runs on the host. */
export const affinityFilter: NodeFilter = {
  name: 'affinity',
  applies: (request) => request.affinities.length > 0,
  reject: (request, node, options) => {
    for (const affinity of active(request.affinities, options)) {
      if (!holds(affinity, affinityCandidates(affinity.key, node, request.namespace))) {
        return `affinity ${affinity.text} not met`;
      }
    }
    return null;
  },
};

/** `node` matches the host's id; any other key reads the host's label, a missing one reading as "". */
export const constraintFilter: NodeFilter = {
  name: 'constraint',
  applies: (request) => request.constraints.length > 0,
  reject: (request, node, options) => {
    for (const constraint of active(request.constraints, options)) {
      const met =
        constraint.key === 'node'
          ? holdsFor(constraint, node.id)
          : holdsFor(constraint, node.labels[constraint.key] ?? '');
      if (!met) {
        return `constraint ${constraint.text} not met`;
      }
    }
    return null;
  },
};

/**
 * The filters the reservation script in Redis checks again, atomically and in this order, as it takes the room:
 * what a host has left can change between ranking and reserving. A test holds the two against each other.
 */
export const RESERVATION_FILTERS: readonly NodeFilter[] = [
  healthFilter,
  resourcesFilter,
  containerSlotsFilter,
  portFilter,
];

/** Swarm's filters, cheapest and most common first. */
export const DEFAULT_FILTERS: readonly NodeFilter[] = [
  ...RESERVATION_FILTERS,
  dependencyFilter,
  affinityFilter,
  constraintFilter,
];
