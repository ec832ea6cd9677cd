import { Resources } from '@berth/contracts';
import { NodeSnapshot } from '@berth/scheduling';
import { RedisState } from '@berth/state';

/**
 * This scheduler's own picture of the hosts: read from Redis at most every `maxAgeMs`, and adjusted in memory
 * after each reservation it makes, so ranking a job costs no Redis round trip. It may be stale; the atomic
 * reservation in Redis is what keeps hosts from being over-committed.
 */
export class NodeView {
  private nodes: NodeSnapshot[] = [];
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly state: RedisState,
    private readonly maxAgeMs = 500,
  ) {}

  async snapshot(): Promise<NodeSnapshot[]> {
    if (Date.now() - this.loadedAt > this.maxAgeMs) {
      await this.refresh();
    }
    return this.nodes;
  }

  /** Reload now; concurrent callers share one read. */
  async refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    await this.loading;
  }

  applyReservation(nodeId: string, resources: Resources): void {
    this.nodes = this.nodes.map((node) =>
      node.id === nodeId
        ? {
            ...node,
            allocated: {
              cpuMillis: node.allocated.cpuMillis + resources.cpuMillis,
              memoryMiB: node.allocated.memoryMiB + resources.memoryMiB,
            },
            containers: node.containers + 1,
          }
        : node,
    );
  }

  private async load(): Promise<void> {
    const records = await this.state.listNodes();
    this.nodes = records.map((record) => ({
      id: record.id,
      ready: record.status === 'ready',
      capacity: record.capacity,
      allocated: record.allocated,
      labels: record.labels,
      containers: record.containers,
    }));
    this.loadedAt = Date.now();
  }
}
