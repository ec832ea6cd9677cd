import { WaitingJobs } from '@berth/state';

/** Parked jobs woken at most per wake: a larger release is worked off wake by wake. */
const MOST_PER_WAKE = 200;

/**
 * Wakes parked jobs when room is freed (Nomad's blocked evaluations): a job that fits nowhere waits with no timer
 * (see WaitingJobs.park), so a full cluster costs nothing per waiting job, and placeable jobs never queue behind
 * them. Each time the node view sees room freed, the oldest parked jobs are made due, about twice as many as the
 * room could take (some may not fit it), and the sweeper publishes their tries at once. One wake runs at a time;
 * what is freed meanwhile is added to the next.
 */
export class RoomWaker {
  private pending = 0;
  private running: Promise<void> | null = null;
  /** Jobs this process woke since it started. */
  woken = 0;

  constructor(
    private readonly waiting: Pick<WaitingJobs, 'wake'>,
    /** Publishes the tries of the jobs now due (the waiting sweeper's run). */
    private readonly sweep: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Room for about `containers` jobs was freed. */
  freed(containers: number): void {
    this.pending += containers;
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
  }

  /** Waits for the wake in flight, if any (at shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.pending > 0) {
      const room = this.pending;
      this.pending = 0;
      try {
        const woken = await this.waiting.wake(Math.min(MOST_PER_WAKE, room * 2 + 1));
        this.woken += woken;
        if (woken > 0) {
          await this.sweep();
        }
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
