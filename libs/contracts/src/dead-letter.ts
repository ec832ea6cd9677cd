/** Why a message ended up in the dead-letter queue, in broad strokes. */
export const DEAD_LETTER_KINDS = [
  'malformed',
  'delivery-limit',
  'rejected',
  'expired',
  'max-length',
  'unknown',
] as const;
export type DeadLetterKind = (typeof DEAD_LETTER_KINDS)[number];

/**
 * A message that could not be processed, as the gateway keeps it (GET /v1/dead-letters/{id}). The body is the
 * message exactly as it was sent: text when it is valid UTF-8, else base64.
 */
export interface DeadLetterRecord {
  /** Stable for one dead-lettered message: a redelivery of it is the same record. */
  id: string;
  /** The queue it came from, or null when nothing says (then it cannot be retried). */
  queue: string | null;
  reason: string;
  kind: DeadLetterKind;
  /** When it was dead-lettered (ISO 8601). */
  at: string;
  /** When the gateway stored it. */
  storedAt: string;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  /** Size of the original body; the stored one is cut at MAX_DEAD_LETTER_BODY_BYTES (then `bodyTruncated`). */
  bodyBytes: number;
  bodyTruncated: boolean;
  messageId: string | null;
  /** The message's AMQP headers (x-death, x-berth-*, ...), as JSON. */
  headers: Record<string, unknown>;
}

/** A dead letter in a list: no headers, the first characters of the body. */
export type DeadLetterSummary = Omit<DeadLetterRecord, 'body' | 'headers'> & { preview: string };

/** Bodies are kept in full up to this size; a Berth message is a few KiB (a job spec is at most 64 KiB). */
export const MAX_DEAD_LETTER_BODY_BYTES = 128 * 1024;

/** Headers kept, as JSON; beyond it they are replaced by one header saying how many bytes were not kept. */
export const MAX_DEAD_LETTER_HEADERS_BYTES = 16 * 1024;

/** Characters of the reason kept (it may quote a long error); beyond it the reason says it was cut. */
export const MAX_DEAD_LETTER_REASON_CHARS = 2000;

/**
 * What one stored dead letter takes at most, every field counted (a body cut at MAX_DEAD_LETTER_BODY_BYTES grows by
 * a third as base64): any byte cap at least this large never refuses a letter, it only drops older ones.
 */
export const MAX_DEAD_LETTER_BYTES = 256 * 1024;

/** Bytes of dead letters kept in Redis by default; beyond it the oldest are dropped. */
export const DEFAULT_DEAD_LETTER_MAX_BYTES = 64 * 1024 * 1024;

/** Characters of the body shown in a list. */
export const DEAD_LETTER_PREVIEW_CHARS = 200;
