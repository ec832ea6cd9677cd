import { ClusterEvent } from '@berth/contracts';
import { BerthState } from '@berth/state';
import { EventHub, Watcher } from './event-hub';

/** A log that answers lastId and hands out one batch of events, then blocks; counts what it was asked. */
function fakeState(lastId: () => Promise<string>) {
  const calls = { lastId: 0, follow: 0 };
  let release: () => void = () => undefined;
  const state = {
    redis: { duplicate: () => ({ disconnect: () => release() }) },
    events: {
      lastId: () => {
        calls.lastId++;
        return lastId();
      },
      follow: async (_c: unknown, position: string) => {
        calls.follow++;
        if (calls.follow === 1) {
          const event: ClusterEvent = {
            id: '2-0',
            at: '',
            type: 'node',
            node: 'h1',
            status: 'down',
            schedulable: true,
            drain: 'none',
          };
          return { events: [event], lastId: '2-0' };
        }
        await new Promise<void>((resolve) => (release = resolve));
        return { events: [], lastId: position };
      },
    },
  };
  return { calls, state: state as unknown as BerthState };
}

const watcher = (): Watcher & { seen: string[] } => {
  const seen: string[] = [];
  return { seen, deliver: (events) => seen.push(...events.map((e) => e.id)) };
};

describe('the event hub', () => {
  it('follows the log once for watchers joining at the same moment, and hands each what it reads', async () => {
    const { calls, state } = fakeState(() => Promise.resolve('1-0'));
    const hub = new EventHub(state);
    const [a, b] = [watcher(), watcher()];
    await Promise.all([hub.join(a), hub.join(b)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.lastId).toBe(1);
    expect([a.seen, b.seen]).toEqual([['2-0'], ['2-0']]);
    await hub.onModuleDestroy();
  });

  it('fails a join whose start Redis refused, and leaves no watcher behind', async () => {
    const { state } = fakeState(() => Promise.reject(new Error('redis away')));
    const hub = new EventHub(state);
    await expect(hub.join(watcher())).rejects.toThrow('redis away');
    expect(hub.watching).toBe(0);
    await hub.onModuleDestroy();
  });
});
