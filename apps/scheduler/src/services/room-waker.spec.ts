import { RoomWaker } from './room-waker';

describe('RoomWaker', () => {
  it('wakes about twice the room freed, sweeps only when it woke someone, and adds up what is freed meanwhile', async () => {
    const asked: number[] = [];
    let sweeps = 0;
    let release: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (release = resolve));
    const waker = new RoomWaker(
      {
        wake: async (limit: number) => {
          asked.push(limit);
          if (asked.length === 1) {
            await first;
          }
          return asked.length === 1 ? 3 : 0;
        },
      },
      () => Promise.resolve(sweeps++),
      (err) => {
        throw err;
      },
    );
    waker.freed(2);
    waker.freed(1); // while the first wake runs
    waker.freed(4);
    release();
    await waker.idle();
    expect(asked).toEqual([5, 11]); // 2 → 2*2+1; then 1+4 → 5*2+1
    expect(sweeps).toBe(1);
    expect(waker.woken).toBe(3);
  });
});
