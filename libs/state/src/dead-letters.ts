import { DEAD_LETTER_PREVIEW_CHARS, DeadLetterKind, DeadLetterRecord, DeadLetterSummary } from '@berth/contracts';
import Redis, { Result } from 'ioredis';
import { keysFor, Keys } from './keys';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    berthAddDeadLetter(
      recordKey: string,
      indexKey: string,
      recordPrefix: string,
      id: string,
      atMs: number,
      cap: number,
      ...fields: string[]
    ): Result<number, Context>;
  }
}

/**
 * Stores a dead letter unless it is there already (a redelivery), indexes it by when it died, and trims the
 * oldest beyond the cap. Returns 1 when stored, 0 for a repeat.
 */
const ADD_DEAD_LETTER = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  for _, id in ipairs(oldest) do
    redis.call('DEL', KEYS[3] .. id)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
return 1
`;

/** Dead letters kept at most; the oldest go first. */
export const DEFAULT_DEAD_LETTER_CAP = 10_000;

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
 * Dead letters in Redis, newest first, at most `cap` of them: each one a hash under `<prefix>:dead-letter:<id>`,
 * indexed by when it died in the sorted set `<prefix>:dead-letters`.
 */
export class DeadLetterStore {
  readonly keys: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    readonly cap = DEFAULT_DEAD_LETTER_CAP,
  ) {
    this.keys = keysFor(prefix);
    redis.defineCommand('berthAddDeadLetter', { numberOfKeys: 3, lua: ADD_DEAD_LETTER });
  }

  /** True when stored, false when it was there already. */
  async add(record: DeadLetterRecord): Promise<boolean> {
    const fields: Record<string, string> = {
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
    const added = await this.redis.berthAddDeadLetter(
      this.keys.deadLetter(record.id),
      this.keys.deadLetterIndex,
      this.keys.deadLetterPrefix,
      record.id,
      Date.parse(record.at),
      this.cap,
      ...Object.entries(fields).flat(),
    );
    return added === 1;
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
    const results = await this.redis.multi().del(this.keys.deadLetter(id)).zrem(this.keys.deadLetterIndex, id).exec();
    return Number(results?.[0]?.[1] ?? 0) === 1;
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
}
