import { ClusterEvent, compareEventIds, JobEvent, JobStatus, NodeRecord, NodeStatus } from '@berth/contracts';
import type Redis from 'ioredis';
import { RedisContext } from './redis-client';

/** An entry of the stream as ioredis returns it: its id and its fields as a flat list. */
type StreamEntry = [id: string, fields: string[]];

/** The event an entry of the log records; null for one Berth does not know (written by a later version). */
export function toClusterEvent([id, flat]: StreamEntry): ClusterEvent | null {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    f[flat[i]] = flat[i + 1];
  }
  const at = new Date(Number(id.split('-')[0])).toISOString();
  if (f.type === 'job') {
    return {
      id,
      at,
      type: 'job',
      job: f.job,
      namespace: f.namespace,
      status: f.status as JobStatus,
      node: f.node || null,
      reason: f.reason || null,
    };
  }
  if (f.type === 'node') {
    return {
      id,
      at,
      type: 'node',
      node: f.node,
      status: f.status as NodeStatus,
      schedulable: f.schedulable !== 'false',
      drain: (f.drain || 'none') as NodeRecord['drain'],
    };
  }
  return null;
}

function toEvents(entries: StreamEntry[]): ClusterEvent[] {
  return entries.map(toClusterEvent).filter((event): event is ClusterEvent => event !== null);
}

/**
 * The log of changes watchers follow: a capped Redis stream the scripts append to in the same step as each change
 * (see lua/lib/events.lua). Read here; never written from outside a script.
 */
export class EventLog {
  constructor(private readonly context: RedisContext) {}

  private get key(): string {
    return this.context.keys.events;
  }

  /** Up to `count` events after `afterId` (exclusive), oldest first; the last id read is the next call's start. */
  async after(afterId: string, count: number): Promise<{ events: ClusterEvent[]; lastId: string | null }> {
    const entries = (await this.context.redis.xrange(this.key, `(${afterId}`, '+', 'COUNT', count)) as StreamEntry[];
    return { events: toEvents(entries), lastId: entries.at(-1)?.[0] ?? null };
  }

  /**
   * Whether events after `afterId` may be missing from the log: trimmed away (`afterId` is older than the oldest
   * event kept), or lost with Redis's state (the log is gone, or has not reached `afterId`). `0-0` asks for the whole
   * log, which misses something once anything was trimmed.
   */
  async missesAfter(afterId: string): Promise<boolean> {
    const info = (await this.context.redis.xinfo('STREAM', this.key).catch(() => null)) as unknown[] | null;
    if (info === null) {
      return afterId !== '0-0';
    }
    const field = (name: string): unknown => info[info.indexOf(name) + 1];
    const newest = String(field('last-generated-id'));
    const kept = Number(field('length'));
    if (compareEventIds(newest, afterId) < 0) {
      return true;
    }
    if (kept === 0) {
      return compareEventIds(afterId, newest) < 0;
    }
    const oldest = String(field('recorded-first-entry-id'));
    if (compareEventIds(afterId, oldest) >= 0) {
      return false;
    }
    return afterId === '0-0' ? Number(field('entries-added')) > kept : true;
  }

  /** The id of the oldest event still kept, or null when the log is empty. */
  async firstId(): Promise<string | null> {
    const [entry] = (await this.context.redis.xrange(this.key, '-', '+', 'COUNT', 1)) as StreamEntry[];
    return entry?.[0] ?? null;
  }

  /** The id of the newest event, or '0-0' when the log is empty: following from there misses nothing after. */
  async lastId(): Promise<string> {
    const [entry] = (await this.context.redis.xrevrange(this.key, '+', '-', 'COUNT', 1)) as StreamEntry[];
    return entry?.[0] ?? '0-0';
  }

  /**
   * Waits up to `blockMs` for events after `afterId` on `connection`, a connection of its own: a blocked read holds
   * its connection, so it must not be the one every other command of this process waits behind.
   */
  async follow(
    connection: Redis,
    afterId: string,
    blockMs: number,
    count: number,
  ): Promise<{ events: ClusterEvent[]; lastId: string }> {
    const reply = await connection.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.key, afterId);
    const entries = reply?.[0]?.[1] ?? [];
    return { events: toEvents(entries), lastId: entries.at(-1)?.[0] ?? afterId };
  }

  /**
   * One job's events, oldest first, from the log since `sinceMs` (its submission: nothing before concerns it),
   * reading at most `scanLimit` entries of the log. `complete` is false when the scan stopped short or the log may
   * miss some of them (trimmed, or lost with Redis); the job's history has its statuses all the same.
   */
  async ofJob(jobId: string, sinceMs: number, scanLimit = 10_000): Promise<{ events: JobEvent[]; complete: boolean }> {
    const page = 1000;
    const start = `${Math.max(0, sinceMs - 1)}-0`;
    const events: JobEvent[] = [];
    let after: string | null = null;
    for (let scanned = 0; scanned < scanLimit; scanned += page) {
      const entries = (await this.context.redis.xrange(
        this.key,
        after === null ? start : `(${after}`,
        '+',
        'COUNT',
        page,
      )) as StreamEntry[];
      for (const event of toEvents(entries)) {
        if (event.type === 'job' && event.job === jobId) {
          events.push(event);
        }
      }
      if (entries.length < page) {
        return { events, complete: !(await this.missesAfter(start)) };
      }
      after = entries[entries.length - 1][0];
    }
    return { events, complete: false };
  }
}
