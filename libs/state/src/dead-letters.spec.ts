import {
  MAX_DEAD_LETTER_BODY_BYTES,
  MAX_DEAD_LETTER_BYTES,
  MAX_DEAD_LETTER_HEADERS_BYTES,
  MAX_DEAD_LETTER_REASON_CHARS,
} from '@berth/contracts';
import { QUEUE_HEADER, REASON_HEADER, toDeadLetterRecord } from '@berth/messaging';
import { deadLetterFields, storedBytesOf } from './dead-letters';

describe('the size of a stored dead letter', () => {
  const now = new Date('2025-06-01T12:00:00.000Z');

  it('counts every field name and value in bytes', () => {
    expect(storedBytesOf({ a: 'é', bc: '' })).toBe(1 + 2 + 2);
  });

  it('never exceeds MAX_DEAD_LETTER_BYTES, however large the message, its headers and its reason', () => {
    // The worst case: a body that is not UTF-8 (kept as base64, a third larger), headers just under their bound in
    // multi-byte characters, and a reason of multi-byte characters far beyond its bound.
    const body = Buffer.alloc(MAX_DEAD_LETTER_BODY_BYTES * 4, 0xff);
    const headers = {
      [REASON_HEADER]: '€'.repeat(MAX_DEAD_LETTER_REASON_CHARS * 10),
      [QUEUE_HEADER]: 'q'.repeat(255),
    };
    const record = toDeadLetterRecord(body, { headers, messageId: 'm'.repeat(255) }, now);
    expect(record.bodyTruncated).toBe(true);
    expect(storedBytesOf(deadLetterFields(record))).toBeLessThanOrEqual(MAX_DEAD_LETTER_BYTES);

    const filler = 'é'.repeat(Math.floor(MAX_DEAD_LETTER_HEADERS_BYTES / 2) - 40);
    const nearlyTooMany = toDeadLetterRecord(body, { headers: { [REASON_HEADER]: 'x', filler } }, now);
    expect(Object.keys(nearlyTooMany.headers)).toContain('filler');
    expect(storedBytesOf(deadLetterFields(nearlyTooMany))).toBeLessThanOrEqual(MAX_DEAD_LETTER_BYTES);
  });
});
