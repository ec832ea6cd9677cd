import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import {
  DeadLetterKind,
  DeadLetterRecord,
  DELIVERY_LIMIT,
  MAX_DEAD_LETTER_BODY_BYTES,
  MAX_DEAD_LETTER_HEADERS_BYTES,
  MAX_DEAD_LETTER_REASON_CHARS,
} from '@berth/contracts';

/** Set by Berth when it dead-letters a message itself: why, from which queue, when. */
export const REASON_HEADER = 'x-berth-reason';
export const QUEUE_HEADER = 'x-berth-queue';
export const DEAD_AT_HEADER = 'x-berth-dead-at';
/** Why Berth itself dead-lettered a message: `malformed` (undecodable) or `delivery-limit` (its handler kept failing). */
export const KIND_HEADER = 'x-berth-kind';
/** Set on a dead letter published again by POST /v1/dead-letters/{id}/retry. */
export const RETRY_OF_HEADER = 'x-berth-retry-of';
/** Stands in for headers too large to keep (MAX_DEAD_LETTER_HEADERS_BYTES), saying how large they were. */
export const HEADERS_NOT_KEPT_HEADER = 'x-berth-headers-not-kept';

/**
 * Differ between two copies of one dead letter (its delivery count; the time Berth dead-lettered it, when that
 * happened twice after a crash before the ack): never part of its identity.
 */
const DELIVERY_COUNT_HEADER = 'x-delivery-count';
/**
 * Headers that change as a dead letter travels (a consumer of the dead-letter queue failing and retrying it through
 * a delay queue adds attempts and x-death entries): not part of its identity.
 */
const NOT_IDENTITY = new Set([DELIVERY_COUNT_HEADER, DEAD_AT_HEADER, 'x-berth-attempts', 'x-death']);

/** Berth's own delay queues and the dead-letter queue: passing through them says nothing of where a message died. */
function isTransit(queue: string | null): boolean {
  return queue !== null && (/\.retry(ing)?-\d+ms$/.test(queue) || queue.endsWith('.dead-letters'));
}

export type Headers = Record<string, unknown>;

/** What RabbitMQ writes in x-death for each time a message was dead-lettered (most recent first). */
export interface Death {
  queue: string | null;
  reason: string | null;
  count: number;
  time: Date | null;
}

export interface DeadLetterInfo {
  queue: string | null;
  reason: string;
  kind: DeadLetterKind;
  /** When it died, if the headers say. */
  at: Date | null;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') {
    return value;
  }
  if (Buffer.isBuffer(value)) {
    return value.toString('utf8');
  }
  return null;
}

/** amqplib decodes an AMQP timestamp as `{ '!': 'timestamp', value: seconds }` (or a plain number). */
function timestamp(value: unknown): Date | null {
  const raw =
    typeof value === 'object' && value !== null && '!' in value && 'value' in value
      ? (value as { value: unknown }).value
      : value;
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'bigint' ? Number(raw) : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
}

/** The x-death entries, most recent first; anything that does not look like one is skipped. */
export function deathsOf(headers: Headers | undefined): Death[] {
  const list = headers?.['x-death'];
  if (!Array.isArray(list)) {
    return [];
  }
  return list
    .filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null)
    .map((entry) => ({
      queue: text(entry.queue),
      reason: text(entry.reason),
      count: typeof entry.count === 'number' ? entry.count : Number(entry.count ?? 0) || 0,
      time: timestamp(entry.time),
    }));
}

const BROKER_REASONS: Record<string, { kind: DeadLetterKind; say: (queue: string, limit: number) => string }> = {
  delivery_limit: {
    kind: 'delivery-limit',
    say: (queue, limit) =>
      `redelivered ${limit} times without success (delivery limit of ${queue}); the handler kept failing`,
  },
  rejected: { kind: 'rejected', say: (queue) => `rejected by a consumer of ${queue}` },
  expired: { kind: 'expired', say: (queue) => `expired in ${queue} (message TTL)` },
  maxlen: { kind: 'max-length', say: (queue) => `dropped from ${queue}, which was full (max length)` },
};

/**
 * Where a dead letter came from and why. Berth's own headers (a malformed message, dead-lettered by the
 * consumer that could not decode it) come first; else the most recent x-death entry RabbitMQ wrote (a message
 * redelivered past the queue's delivery limit, most often).
 */
export function describeDeadLetter(headers: Headers | undefined, deliveryLimit = DELIVERY_LIMIT): DeadLetterInfo {
  const deaths = deathsOf(headers);
  const last = deaths.find((death) => !isTransit(death.queue));
  const berthReason = text(headers?.[REASON_HEADER]);
  const berthQueue = text(headers?.[QUEUE_HEADER]);
  const deadAt = text(headers?.[DEAD_AT_HEADER]);
  if (berthReason !== null) {
    const at = deadAt !== null && !Number.isNaN(Date.parse(deadAt)) ? new Date(deadAt) : null;
    if (text(headers?.[KIND_HEADER]) === 'delivery-limit') {
      return { queue: berthQueue || null, reason: berthReason, kind: 'delivery-limit', at };
    }
    return { queue: berthQueue || null, reason: `malformed message: ${berthReason}`, kind: 'malformed', at };
  }
  const queue = berthQueue || last?.queue || text(headers?.['x-first-death-queue']) || null;
  const brokerReason = last?.reason ?? text(headers?.['x-first-death-reason']);
  if (brokerReason === null) {
    return {
      queue,
      reason: 'no reason given (the message carries no x-death or x-berth-reason header)',
      kind: 'unknown',
      at: null,
    };
  }
  const known = BROKER_REASONS[brokerReason];
  const where = queue ?? 'an unknown queue';
  return {
    queue,
    reason: known ? known.say(where, deliveryLimit) : `dead-lettered by RabbitMQ from ${where} (${brokerReason})`,
    kind: known?.kind ?? 'unknown',
    at: last?.time ?? null,
  };
}

/** Headers as plain JSON: buffers as text (or base64), timestamps as ISO 8601, big integers as strings. */
export function jsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) {
    return null;
  }
  if (Buffer.isBuffer(value)) {
    return isUtf8(value) ? value.toString('utf8') : { base64: value.toString('base64') };
  }
  if (typeof value === 'bigint') {
    return value.toString();
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (Array.isArray(value)) {
    return value.map(jsonSafe);
  }
  if (typeof value === 'object') {
    if ('!' in value && (value as Record<string, unknown>)['!'] === 'timestamp') {
      return timestamp(value)?.toISOString() ?? null;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = jsonSafe((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return String(value);
  }
  return value;
}

function headersWithout(headers: Headers | undefined, left: Set<string>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (!left.has(key)) {
      kept[key] = value;
    }
  }
  return jsonSafe(kept) as Record<string, unknown>;
}

/**
 * The record id of a dead letter: a hash of its message id, headers (but the delivery count) and body. A
 * redelivery of the same dead letter has the same id, so it is stored once (and so is a message Berth
 * dead-lettered twice, after a crash before its ack). Two identical messages without a
 * message id that died in the same second from the same queue are one record (Berth sets a message id on
 * everything it publishes, so this only happens to messages from elsewhere).
 */
export function deadLetterId(content: Buffer, properties: { messageId?: unknown; headers?: Headers }): string {
  return createHash('sha256')
    .update(JSON.stringify([text(properties.messageId), headersWithout(properties.headers, NOT_IDENTITY)]))
    .update('\n')
    .update(content)
    .digest('hex')
    .slice(0, 32);
}

export const DEAD_LETTER_ID = /^[0-9a-f]{32}$/;

/** The body as text when it is valid UTF-8, else base64; cut at MAX_DEAD_LETTER_BODY_BYTES. */
function storedBody(content: Buffer): Pick<DeadLetterRecord, 'body' | 'bodyEncoding' | 'bodyBytes' | 'bodyTruncated'> {
  const truncated = content.length > MAX_DEAD_LETTER_BODY_BYTES;
  const kept = truncated ? content.subarray(0, MAX_DEAD_LETTER_BODY_BYTES) : content;
  // A cut may split a UTF-8 sequence; the whole body decides the encoding.
  const utf8 = isUtf8(content);
  return {
    body: utf8 ? kept.toString('utf8') : kept.toString('base64'),
    bodyEncoding: utf8 ? 'utf8' : 'base64',
    bodyBytes: content.length,
    bodyTruncated: truncated,
  };
}

/** Headers as kept: whole up to MAX_DEAD_LETTER_HEADERS_BYTES, else one header that says they were not kept. */
function storedHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const bytes = Buffer.byteLength(JSON.stringify(headers));
  if (bytes <= MAX_DEAD_LETTER_HEADERS_BYTES) {
    return headers;
  }
  return {
    [HEADERS_NOT_KEPT_HEADER]: `${bytes} bytes of headers, over the ${MAX_DEAD_LETTER_HEADERS_BYTES} a dead letter keeps`,
  };
}

/** The reason as kept: a long one (an error quoting a whole response) is cut, and says so. */
function storedReason(reason: string): string {
  if (reason.length <= MAX_DEAD_LETTER_REASON_CHARS) {
    return reason;
  }
  return `${reason.slice(0, MAX_DEAD_LETTER_REASON_CHARS)}… (cut: ${reason.length} characters)`;
}

/**
 * Everything the gateway keeps about one delivery from the dead-letter queue, bounded in size (see
 * MAX_DEAD_LETTER_BYTES): what is cut is never dropped silently, the record says what was cut.
 */
export function toDeadLetterRecord(
  content: Buffer,
  properties: { messageId?: unknown; headers?: Headers },
  now: Date,
  deliveryLimit = DELIVERY_LIMIT,
): DeadLetterRecord {
  const info = describeDeadLetter(properties.headers, deliveryLimit);
  return {
    id: deadLetterId(content, properties),
    // AMQP names a queue in at most 255 bytes: a longer one from a header names none (and cannot be retried).
    queue: info.queue !== null && Buffer.byteLength(info.queue) <= 255 ? info.queue : null,
    reason: storedReason(info.reason),
    kind: info.kind,
    at: (info.at ?? now).toISOString(),
    storedAt: now.toISOString(),
    ...storedBody(content),
    messageId: text(properties.messageId),
    headers: storedHeaders(headersWithout(properties.headers, new Set([DELIVERY_COUNT_HEADER]))),
  };
}

/** The original body, as it was published. */
export function originalBody(record: Pick<DeadLetterRecord, 'body' | 'bodyEncoding'>): Buffer {
  return Buffer.from(record.body, record.bodyEncoding === 'base64' ? 'base64' : 'utf8');
}
