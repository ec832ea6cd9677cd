import { NodeWorkload, Resources } from '@berth/contracts';
import { NodeSnapshot, snapshotOf, withReservation } from '@berth/scheduling';
import { NodeBooks } from '@berth/state';

/** What the view reads: what changed since it last looked, and those hosts (see NodeBooks). */
export type ViewSource = Pick<NodeBooks, 'changesSince' | 'ids' | 'readVersioned'>;

type VersionedHost = Awaited<ReturnType<NodeBooks['readVersioned']>>[number];

/** Room a host that joined (or came back, or was uncordoned) is counted as: enough to wake a batch of parked jobs. */
const ROOM_OF_A_NEW_HOST = 50;

export interface NodeViewOptions {
  /** How often the view reads what changed (ms). */
  intervalMs?: number;
  onError?: (err: unknown) => void;
  /**
   * Told when a read shows room freed: containers gone from a host, a host that joined, came back or was uncordoned,
   * or more capacity. `containers` is about how many jobs the room could take.
   */
  onRoomFreed?: (containers: number) => void;
}

/**
 * This scheduler's own picture of the hosts, so ranking a job costs no Redis round trip. It is kept current in the
 * background, reading only the hosts whose books changed since it last looked (each host's books carry a version,
 * see Keys.nodeChanges), and adjusted in memory after each reservation this scheduler makes. Placement never waits
 * for it, except for the very first read. A host's copy is replaced only by data newer than it: a read that began
 * before a reservation made here never undoes it. It may still be stale; the atomic reservation in Redis is what
 * keeps hosts from being over-committed.
 */
export class NodeView {
  private readonly nodes: NodeSnapshot[] = [];
  private readonly position = new Map<string, number>();
  /** The version of each host's books its copy here is at least as new as. */
  private readonly versions = new Map<string, number>();
  /** The version the latest reservation booked here gave a host: a read older than that lacks it. */
  private readonly booked = new Map<string, number>();
  /** Hosts whose read was set aside as older than a reservation booked here: read again next time. */
  private readonly again = new Set<string>();
  /** Every change up to this version has been seen. */
  private cursor = 0;
  /** The cluster's epoch at the last read; undefined before the first. */
  private epoch: string | null | undefined = undefined;
  private reading: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Moves on each time a read shows room freed: a decision that saw an older one may have missed that room. */
  private freedCount = 0;

  constructor(
    private readonly books: ViewSource,
    private readonly options: NodeViewOptions = {},
  ) {}

  /** How many times room was seen freed so far (see onRoomFreed). */
  get roomFreedGeneration(): number {
    return this.freedCount;
  }

  /** Keeps the view current in the background. */
  start(): void {
    const onError = this.options.onError ?? (() => undefined);
    this.timer ??= setInterval(() => void this.refresh().catch(onError), this.options.intervalMs ?? 200);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** The hosts as last read and adjusted since; only the first call waits for a read. */
  async snapshot(): Promise<readonly NodeSnapshot[]> {
    if (this.epoch === undefined) {
      await this.refresh();
    }
    return this.nodes;
  }

  /** Reads what changed now (after a conflict, say); concurrent callers share one read. */
  refresh(): Promise<void> {
    this.reading ??= this.catchUp().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  /**
   * Books a reservation this scheduler made into its copy of the host. `version` is the one the reservation gave
   * the host's books: when it directly follows the copy's, the copy is exactly Redis's and need not be read again.
   */
  applyReservation(nodeId: string, resources: Resources, workload: NodeWorkload, version?: number): void {
    const at = this.position.get(nodeId);
    if (at === undefined) {
      return;
    }
    // Decisions run synchronously, so replacing the element in place is safe.
    this.nodes[at] = withReservation(this.nodes[at], resources, workload);
    if (version === undefined) {
      return;
    }
    if (version === (this.versions.get(nodeId) ?? 0) + 1) {
      this.versions.set(nodeId, version);
    } else {
      this.booked.set(nodeId, Math.max(version, this.booked.get(nodeId) ?? 0));
    }
  }

  private async catchUp(): Promise<void> {
    const { changed, newest, epoch } = await this.books.changesSince(this.cursor);
    if (epoch !== this.epoch || newest < this.cursor) {
      // The first read, or Redis lost its state (another epoch, or versions that went back): read every host.
      const hosts = await this.books.readVersioned(await this.books.ids());
      if (this.epoch !== undefined) {
        this.clear();
      }
      hosts.forEach((host) => this.apply(host, false));
      this.epoch = epoch;
      this.cursor = newest;
      return;
    }
    const stale = new Set(this.again);
    this.again.clear();
    for (const c of changed) {
      if (c.version > (this.versions.get(c.id) ?? 0)) {
        stale.add(c.id);
      }
    }
    let freed = 0;
    for (const host of await this.books.readVersioned([...stale])) {
      freed += this.apply(host, true);
    }
    this.cursor = Math.max(this.cursor, newest);
    if (freed > 0) {
      this.freedCount++;
      this.options.onRoomFreed?.(freed);
    }
  }

  /**
   * Takes a host's data if it is newer than the copy here and holds every reservation booked here. Returns the room
   * it shows freed (see onRoomFreed), when `count` says to count it.
   */
  private apply(host: VersionedHost, count: boolean): number {
    const known = this.versions.get(host.id);
    if (known !== undefined && host.version <= known) {
      return 0;
    }
    const booked = this.booked.get(host.id);
    if (booked !== undefined) {
      if (host.version < booked) {
        this.again.add(host.id); // read before that reservation: the copy here, which holds it, stays
        return 0;
      }
      this.booked.delete(host.id);
    }
    const at = this.position.get(host.id);
    if (!host.detail) {
      if (at !== undefined) {
        this.remove(host.id, at);
      }
      return 0;
    }
    const snapshot = snapshotOf(host.detail);
    const before = at === undefined ? undefined : this.nodes[at];
    if (at === undefined) {
      this.position.set(host.id, this.nodes.length);
      this.nodes.push(snapshot);
    } else {
      this.nodes[at] = snapshot;
    }
    this.versions.set(host.id, host.version);
    return count ? roomFreed(before, snapshot) : 0;
  }

  private remove(id: string, at: number): void {
    const last = this.nodes.pop()!;
    if (last.id !== id) {
      this.nodes[at] = last;
      this.position.set(last.id, at);
    }
    this.position.delete(id);
    this.versions.delete(id);
    this.booked.delete(id);
  }

  private clear(): void {
    this.nodes.length = 0;
    this.position.clear();
    this.versions.clear();
    this.booked.clear();
    this.again.clear();
  }
}

/** About how many jobs' worth of room a host's new data shows freed since its old copy (see onRoomFreed). */
function roomFreed(before: NodeSnapshot | undefined, after: NodeSnapshot): number {
  if (!after.ready || !after.schedulable) {
    return 0;
  }
  if (!before?.ready || !before.schedulable) {
    return ROOM_OF_A_NEW_HOST;
  }
  const gone = before.containers - after.containers;
  if (gone > 0) {
    return gone;
  }
  const less = (b: Resources, a: Resources) => a.cpuMillis < b.cpuMillis || a.memoryMiB < b.memoryMiB;
  const more = (b: Resources, a: Resources) => a.cpuMillis > b.cpuMillis || a.memoryMiB > b.memoryMiB;
  return less(before.allocated, after.allocated) || more(before.capacity, after.capacity) ? 1 : 0;
}
