import { containerNameFor } from '@berth/contracts';
import { Expression, holds } from './expressions';
import { NodeFilter, NodeSnapshot, PassOptions } from './types';

function active(expressions: readonly Expression[], options: PassOptions): readonly Expression[] {
  return options.enforceSoft ? expressions : expressions.filter((e) => !e.soft);
}

/** Only hosts whose agent is alive take new work. */
export const healthFilter: NodeFilter = {
  name: 'health',
  applies: () => true,
  reject: (_request, node) => (node.ready ? null : 'host not ready'),
};

/** A host must have the requested CPU and memory left, by its books. */
export const resourcesFilter: NodeFilter = {
  name: 'resources',
  applies: () => true,
  reject: (request, node) => {
    if (node.allocated.memoryMiB + request.resources.memoryMiB > node.capacity.memoryMiB) {
      return 'insufficient memory';
    }
    if (node.allocated.cpuMillis + request.resources.cpuMillis > node.capacity.cpuMillis) {
      return 'insufficient cpu';
    }
    return null;
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
      if (!node.workloads.some((w) => w.name === dependency || w.jobId === dependency)) {
        return `dependency ${dependency} not on host`;
      }
    }
    return null;
  },
};

/** What an affinity's key is matched against on a host. */
export function affinityCandidates(key: string, node: NodeSnapshot): string[] {
  switch (key) {
    case 'container':
      return node.workloads.flatMap((w) => [w.jobId, containerNameFor(w.jobId), ...(w.name ? [w.name] : [])]);
    case 'image':
      return [...node.images, ...node.workloads.flatMap((w) => [w.image, w.image.replace(/:[^:/]+$/, '')])];
    default:
      return node.workloads.map((w) => w.labels[key]).filter((v): v is string => v !== undefined);
  }
}

/** `container==web`, `image==redis*`, `team!=ops`: placement relative to what already runs on the host. */
export const affinityFilter: NodeFilter = {
  name: 'affinity',
  applies: (request) => request.affinities.length > 0,
  reject: (request, node, options) => {
    for (const affinity of active(request.affinities, options)) {
      if (!holds(affinity, affinityCandidates(affinity.key, node))) {
        return `affinity ${affinity.text} not met`;
      }
    }
    return null;
  },
};

/** `node` matches the host's id; any other key reads the host's label, a missing one reading as "". */
export function constraintCandidates(key: string, node: NodeSnapshot): string[] {
  return key === 'node' ? [node.id, node.labels.node ?? node.id] : [node.labels[key] ?? ''];
}

export const constraintFilter: NodeFilter = {
  name: 'constraint',
  applies: (request) => request.constraints.length > 0,
  reject: (request, node, options) => {
    for (const constraint of active(request.constraints, options)) {
      if (!holds(constraint, constraintCandidates(constraint.key, node))) {
        return `constraint ${constraint.text} not met`;
      }
    }
    return null;
  },
};

/** Swarm's filters, cheapest and most common first. */
export const DEFAULT_FILTERS: readonly NodeFilter[] = [
  healthFilter,
  resourcesFilter,
  containerSlotsFilter,
  portFilter,
  dependencyFilter,
  affinityFilter,
  constraintFilter,
];
