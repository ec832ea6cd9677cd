import {
  DEAD_LETTER_PREVIEW_CHARS,
  DEFAULT_DEAD_LETTER_MAX_BYTES,
  DeadLetterKind,
  DeadLetterRecord,
  DeadLetterSummary,
} from '@berth/contracts';
import { RedisContext, untilCurrent } from './redis-client';

/** Dead letters kept at most; the oldest go first. */
export const DEFAULT_DEAD_LETTER_CAP = 10_000;

/** The fields of a dead letter's hash, every value as stored. */
export function deadLetterFields(record: DeadLetterRecord): Record<string, string> {
  return {
    id: record.id,
    queue: record.queue ?? '',
    reason: record.reason,
    kind: record.kind,
    at: record.at,
    storedAt: record.storedAt,
    body: record.body,
    bodyEncoding: record.bodyEncoding,
    bodyBytes: String(record.bodyBytes),
    bodyTruncated: record.bodyTruncated ? '1' : '0',
    messageId: record.messageId ?? '',
    headers: JSON.stringify(record.headers),
    preview: record.body.slice(0, DEAD_LETTER_PREVIEW_CHARS),
  };
}

/** What a dead letter counts against the byte cap: every field's name and value, in bytes. */
export function storedBytesOf(fields: Record<string, string>): number {
  return Object.entries(fields).reduce(
    (sum, [field, value]) => sum + Buffer.byteLength(field) + Buffer.byteLength(value),
    0,
  );
}

/** How much a page of the oldest letters the store reads when it makes room. */
const EVICTION_PAGE = 100;

/** Fields a list shows: everything but the body (its preview instead) and the headers. */
const SUMMARY_FIELDS = [
  'id',
  'queue',
  'reason',
  'kind',
  'at',
  'storedAt',
  'bodyEncoding',
  'bodyBytes',
  'bodyTruncated',
  'messageId',
  'preview',
] as const;

function toSummary(hash: Record<string, string>): DeadLetterSummary {
  return {
    id: hash.id,
    queue: hash.queue === '' ? null : hash.queue,
    reason: hash.reason,
    kind: hash.kind as DeadLetterKind,
    at: hash.at,
    storedAt: hash.storedAt,
    bodyEncoding: hash.bodyEncoding === 'base64' ? 'base64' : 'utf8',
    bodyBytes: Number(hash.bodyBytes),
    bodyTruncated: hash.bodyTruncated === '1',
    messageId: hash.messageId === '' ? null : hash.messageId,
    preview: hash.preview,
  };
}

/**
 * Dead letters in Redis, newest first, at most `cap` of them and `maxBytes` bytes: each one a hash under
 * `<prefix>:dead-letter:<id>`, indexed by when it died in the sorted set `<prefix>:dead-letters`, its bytes counted
 * in `<prefix>:dead-letter-bytes`. Room is made by dropping the oldest, in the same step as the new one is stored.
 */
export class DeadLetterStore {
  constructor(
    private readonly context: RedisContext,
    readonly cap = DEFAULT_DEAD_LETTER_CAP,
    readonly maxBytes = DEFAULT_DEAD_LETTER_MAX_BYTES,
  ) {}

  private get keys() {
    return this.context.keys;
  }

  private get redis() {
    return this.context.redis;
  }

  /** True when stored, false when it was there already. */
  async add(record: DeadLetterRecord): Promise<boolean> {
    const fields = deadLetterFields(record);
    const bytes = storedBytesOf(fields);
    const added = await untilCurrent(
      'the oldest dead letters',
      async () => {
        // The script may delete only records it is given: the ones the caps push out, as read here.
        const evicted = await this.oldestToDrop(bytes);
        return this.context.scripts.run(
          'addDeadLetter',
          {
            record: this.keys.deadLetter(record.id),
            index: this.keys.deadLetterIndex,
            bytes: this.keys.deadLetterBytes,
          },
          {
            id: record.id,
            atMs: Date.parse(record.at),
            cap: this.cap,
            maxBytes: this.maxBytes,
            bytes,
            fields: JSON.stringify(fields),
            evictedIds: JSON.stringify(evicted),
          },
          evicted.map((id) => this.keys.deadLetter(id)),
        );
      },
      (result) => result === -1,
    );
    return added === 1;
  }

  /** The fewest oldest letters whose dropping leaves room for one more of `bytes` under both caps. */
  private async oldestToDrop(bytes: number): Promise<string[]> {
    const [count, total] = await Promise.all([
      this.redis.zcard(this.keys.deadLetterIndex),
      this.redis.get(this.keys.deadLetterBytes).then(Number),
    ]);
    const drop: string[] = [];
    let freed = 0;
    const fits = () => count - drop.length + 1 <= this.cap && total - freed + bytes <= this.maxBytes;
    for (let start = 0; !fits() && start < count; start += EVICTION_PAGE) {
      const ids = await this.redis.zrange(this.keys.deadLetterIndex, start, start + EVICTION_PAGE - 1);
      const pipeline = this.redis.pipeline();
      ids.forEach((id) => pipeline.hget(this.keys.deadLetter(id), 'storedBytes'));
      const sizes = ((await pipeline.exec()) ?? []).map(([, size]) => Number(size ?? 0));
      for (let k = 0; k < ids.length && !fits(); k++) {
        drop.push(ids[k]);
        freed += sizes[k];
      }
      if (ids.length < EVICTION_PAGE) {
        break;
      }
    }
    return drop;
  }

  async get(id: string): Promise<DeadLetterRecord | null> {
    const hash = await this.redis.hgetall(this.keys.deadLetter(id));
    if (!hash.id) {
      return null;
    }
    const summary: Partial<DeadLetterSummary> = toSummary(hash);
    delete summary.preview;
    return {
      ...(summary as Omit<DeadLetterSummary, 'preview'>),
      body: hash.body,
      headers: JSON.parse(hash.headers || '{}') as Record<string, unknown>,
    };
  }

  /** Newest first, optionally only those from one queue. */
  async list(options: { limit: number; queue?: string }): Promise<DeadLetterSummary[]> {
    const page = 200;
    const found: DeadLetterSummary[] = [];
    for (let start = 0; start < this.cap && found.length < options.limit; start += page) {
      const ids = await this.redis.zrevrange(this.keys.deadLetterIndex, start, start + page - 1);
      if (ids.length === 0) {
        break;
      }
      const pipeline = this.redis.pipeline();
      ids.forEach((id) => pipeline.hmget(this.keys.deadLetter(id), ...SUMMARY_FIELDS));
      for (const [err, values] of (await pipeline.exec()) ?? []) {
        const list = values as Array<string | null> | null;
        if (err || !list || list[0] === null) {
          continue; // deleted meanwhile
        }
        const hash = Object.fromEntries(SUMMARY_FIELDS.map((field, i) => [field, list[i] ?? '']));
        const summary = toSummary(hash);
        if (options.queue === undefined || summary.queue === options.queue) {
          found.push(summary);
          if (found.length >= options.limit) {
            break;
          }
        }
      }
    }
    return found;
  }

  /** True when it was there. */
  async delete(id: string): Promise<boolean> {
    const deleted = await this.context.scripts.run(
      'deleteDeadLetter',
      { record: this.keys.deadLetter(id), index: this.keys.deadLetterIndex, bytes: this.keys.deadLetterBytes },
      { id },
    );
    return deleted === 1;
  }

  /** Takes the right to retry a dead letter, so two retries at once do not publish it twice. */
  async claimRetry(id: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.deadLetterRetry(id), '1', 'PX', ttlMs, 'NX')) === 'OK';
  }

  async releaseRetry(id: string): Promise<void> {
    await this.redis.del(this.keys.deadLetterRetry(id));
  }

  async count(): Promise<number> {
    return this.redis.zcard(this.keys.deadLetterIndex);
  }

  /** The bytes the stored letters take, as counted against `maxBytes`. */
  async bytes(): Promise<number> {
    return Number((await this.redis.get(this.keys.deadLetterBytes)) ?? 0);
  }
}
