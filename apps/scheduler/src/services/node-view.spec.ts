import { NodeDetail, NodeWorkload } from '@berth/contracts';
import { NodeView, ViewSource } from './node-view';

function detail(id: string, cpuAllocated = 0, containers = 0): NodeDetail {
  return {
    id,
    address: `simulated://${id}`,
    status: 'ready',
    schedulable: true,
    drain: 'none',
    capacity: { cpuMillis: 1000, memoryMiB: 1024 },
    allocated: { cpuMillis: cpuAllocated, memoryMiB: 0 },
    labels: {},
    containers,
    heartbeatAt: new Date(0).toISOString(),
    registeredAt: new Date(0).toISOString(),
    conflict: null,
    images: [],
    workloads: [],
  };
}

const WORKLOAD: NodeWorkload = { jobId: 'j', namespace: 'default', labels: {}, image: 'a', ports: [] };

/** Books held in memory: each change gives the host the next version, as lua/lib/host-changed.lua does. */
class FakeBooks implements ViewSource {
  readonly hosts = new Map<string, { version: number; detail: NodeDetail }>();
  epoch = 'e1';
  private top = 0;
  readonly reads: string[][] = [];
  /** When set, a read answers with what the books held when it began, after this promise resolves. */
  hold: Promise<void> | null = null;

  change(id: string, cpuAllocated: number, containers = 0): number {
    this.top++;
    this.hosts.set(id, { version: this.top, detail: detail(id, cpuAllocated, containers) });
    return this.top;
  }

  changesSince(after: number): ReturnType<ViewSource['changesSince']> {
    const changed = [...this.hosts.entries()]
      .filter(([, h]) => h.version > after)
      .map(([id, h]) => ({ id, version: h.version }));
    return Promise.resolve({ changed, newest: this.top, epoch: this.epoch });
  }

  ids(): Promise<string[]> {
    return Promise.resolve([...this.hosts.keys()].sort());
  }

  async readVersioned(ids: readonly string[]): ReturnType<ViewSource['readVersioned']> {
    this.reads.push([...ids]);
    const answer = ids.map((id) => {
      const h = this.hosts.get(id);
      return { id, version: h?.version ?? 0, detail: h ? structuredClone(h.detail) : null };
    });
    if (this.hold) {
      await this.hold;
    }
    return answer;
  }
}

async function allocated(view: NodeView, id: string): Promise<number | undefined> {
  return (await view.snapshot()).find((n) => n.id === id)?.allocated.cpuMillis;
}

describe('NodeView', () => {
  it('reads every host once, then only the hosts whose books changed', async () => {
    const books = new FakeBooks();
    books.change('h1', 0);
    books.change('h2', 0);
    books.change('h3', 0);
    const view = new NodeView(books);
    expect((await view.snapshot()).map((n) => n.id)).toEqual(['h1', 'h2', 'h3']);
    books.change('h2', 300);
    await view.refresh();
    expect(books.reads).toEqual([['h1', 'h2', 'h3'], ['h2']]);
    expect(await allocated(view, 'h2')).toBe(300);
    await view.refresh();
    expect(books.reads.at(-1)).toEqual([]); // nothing changed: nothing read
  });

  it('never lets a read that began before a reservation undo it', async () => {
    const books = new FakeBooks();
    books.change('h1', 0);
    const view = new NodeView(books);
    await view.snapshot();
    // Another scheduler changes h1 (version 2); this view starts reading it, and the read is slow.
    books.change('h1', 100);
    let release: () => void = () => undefined;
    books.hold = new Promise((resolve) => (release = resolve));
    const reading = view.refresh();
    await new Promise((resolve) => setImmediate(resolve));
    // Meanwhile this scheduler reserves 200 on h1 in Redis (version 3) and books it here.
    const version = books.change('h1', 300);
    view.applyReservation('h1', { cpuMillis: 200, memoryMiB: 0 }, WORKLOAD, version);
    release();
    await reading;
    // The read answered version 2 (allocated 100); the copy here holds the reservation it made and keeps it.
    expect(await allocated(view, 'h1')).toBeGreaterThanOrEqual(200);
    books.hold = null;
    await view.refresh();
    expect(await allocated(view, 'h1')).toBe(300);
  });

  it("reads a host again when a reservation's version shows another change came between", async () => {
    const books = new FakeBooks();
    books.change('h1', 0);
    const view = new NodeView(books);
    await view.snapshot();
    books.change('h1', 100); // another scheduler, unseen here yet
    const version = books.change('h1', 300); // then this one's reservation of 200
    view.applyReservation('h1', { cpuMillis: 200, memoryMiB: 0 }, WORKLOAD, version);
    expect(await allocated(view, 'h1')).toBe(200);
    await view.refresh();
    expect(await allocated(view, 'h1')).toBe(300);
  });

  it('reads everything again when the cluster has another epoch (Redis lost its state)', async () => {
    const books = new FakeBooks();
    books.change('h1', 500);
    books.change('h2', 0);
    const view = new NodeView(books);
    await view.snapshot();
    books.hosts.clear();
    books.epoch = 'e2';
    books.change('h1', 0);
    await view.refresh();
    expect((await view.snapshot()).map((n) => [n.id, n.allocated.cpuMillis])).toEqual([['h1', 0]]);
  });

  it('tells of room freed: containers gone from a host, or a host that joined; not of room taken', async () => {
    const books = new FakeBooks();
    books.change('h1', 300, 3);
    const freed: number[] = [];
    const view = new NodeView(books, { onRoomFreed: (containers) => freed.push(containers) });
    await view.snapshot();
    books.change('h1', 400, 4); // another placement: room taken
    await view.refresh();
    expect(freed).toEqual([]);
    books.change('h1', 200, 2); // two containers gone
    await view.refresh();
    expect(freed).toEqual([2]);
    books.change('h2', 0, 0); // a host joined
    await view.refresh();
    expect(freed).toEqual([2, 50]);
    expect(view.roomFreedGeneration).toBe(2);
  });
});
