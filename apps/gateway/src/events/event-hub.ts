import { ClusterEvent } from '@berth/contracts';
import { BerthState } from '@berth/state';
import { Injectable, Logger, OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import type Redis from 'ioredis';
import { problem } from '../common/problem';

/** Event streams one gateway holds open at most: each costs a socket and a little memory, never a connection. */
export const MAX_WATCHERS = 512;
/** A blocked read returns this often with nothing, so a hub with no watchers left stops soon. */
const FOLLOW_BLOCK_MS = 5000;
const FOLLOW_BATCH = 500;

/** One open event stream, as the hub sees it. */
export interface Watcher {
  deliver(events: readonly ClusterEvent[]): void;
}

/**
 * Follows the event log for every watcher of this gateway at once: one blocked read on one connection of its own,
 * however many watch, fanned out to each. It runs only while someone watches, and starts from the newest event.
 */
@Injectable()
export class EventHub implements OnModuleDestroy {
  private readonly logger = new Logger('EventHub');
  private readonly watchers = new Set<Watcher>();
  private connection: Redis | null = null;
  private following: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly state: BerthState) {}

  get watching(): number {
    return this.watchers.size;
  }

  /**
   * Adds a watcher; it gets every event after the moment this resolves. Returns how to leave. Beyond MAX_WATCHERS,
   * 503 (with Retry-After).
   */
  async join(watcher: Watcher): Promise<() => void> {
    if (this.watchers.size >= MAX_WATCHERS) {
      throw new ServiceUnavailableException(
        problem(503, `this gateway already holds ${MAX_WATCHERS} open event streams; retry later`),
      );
    }
    this.watchers.add(watcher);
    const started = this.ensureFollowing();
    try {
      // Following starts from the newest event before this watcher catches up from the log: nothing falls between.
      await started;
    } catch (err) {
      this.watchers.delete(watcher);
      throw err;
    }
    return () => this.watchers.delete(watcher);
  }

  /**
   * Starts the loop unless it runs; set before any await, so watchers joining at once share one loop. Returns the
   * read of where it starts, or null when it already runs.
   */
  private ensureFollowing(): Promise<string> | null {
    if (this.following !== null || this.watchers.size === 0 || this.closed) {
      return null;
    }
    const started = this.state.events.lastId();
    this.following = started
      .then((from) => this.follow(from))
      .catch(() => {
        // Redis refused the start: the joining watcher hears so; any other still waiting is served in a moment.
        setTimeout(() => void this.ensureFollowing()?.catch(() => undefined), 1000).unref();
      })
      .finally(() => (this.following = null));
    return started;
  }

  private async follow(from: string): Promise<void> {
    let position = from;
    let failing = false;
    while (!this.closed && this.watchers.size > 0) {
      try {
        // A blocked read waits out a Redis restart rather than fail at once as the gateway's other commands do.
        this.connection ??= this.state.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
        const { events, lastId } = await this.state.events.follow(
          this.connection,
          position,
          FOLLOW_BLOCK_MS,
          FOLLOW_BATCH,
        );
        position = lastId;
        failing = false;
        for (const watcher of this.watchers) {
          watcher.deliver(events);
        }
      } catch (err) {
        if (!failing) {
          this.logger.warn(`reading the event log failed (${(err as Error).message}); trying again`);
        }
        failing = true;
        // Where it stopped is kept: once Redis answers, the watchers get what they missed, in order.
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    this.connection?.disconnect();
    await this.following;
  }
}
