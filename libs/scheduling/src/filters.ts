import { NodeFilter } from './types';

/** Only hosts whose agent is alive take new work. */
export const healthFilter: NodeFilter = {
  name: 'health',
  reject: (_request, node) => (node.ready ? null : 'host not ready'),
};

/** A host must have the requested CPU and memory left, by its books. */
export const resourcesFilter: NodeFilter = {
  name: 'resources',
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

export const DEFAULT_FILTERS: readonly NodeFilter[] = [healthFilter, resourcesFilter];
