import { NodeWorkload, Resources } from '@berth/contracts';
import { NodeSnapshot, snapshotOf, withReservation } from '@berth/scheduling';
import { NodeBooks } from '@berth/state';

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
    private readonly books: NodeBooks,
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

  applyReservation(nodeId: string, resources: Resources, workload: NodeWorkload): void {
    const index = this.nodes.findIndex((n) => n.id === nodeId);
    if (index < 0) {
      return;
    }
    // Decisions run synchronously, so replacing the element in place is safe.
    this.nodes[index] = withReservation(this.nodes[index], resources, workload);
  }

  private async load(): Promise<void> {
    const details = await this.books.listDetails();
    this.nodes = details.map(snapshotOf);
    this.loadedAt = Date.now();
  }
}
