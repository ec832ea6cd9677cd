import {
  MAX_DEAD_LETTER_BODY_BYTES,
  MAX_DEAD_LETTER_HEADERS_BYTES,
  MAX_DEAD_LETTER_REASON_CHARS,
} from '@berth/contracts';
import {
  DEAD_AT_HEADER,
  HEADERS_NOT_KEPT_HEADER,
  KIND_HEADER,
  DEAD_LETTER_ID,
  deadLetterId,
  describeDeadLetter,
  originalBody,
  QUEUE_HEADER,
  REASON_HEADER,
  toDeadLetterRecord,
} from './dead-letters';

/** x-death as amqplib decodes what RabbitMQ 3.10 writes when a quorum queue's delivery limit is reached. */
function deliveryLimitHeaders(queue: string): Record<string, unknown> {
  return {
    'x-death': [
      {
        count: 1,
        reason: 'delivery_limit',
        queue,
        time: { '!': 'timestamp', value: 1_700_000_000 },
        exchange: '',
        'routing-keys': [queue],
      },
    ],
    'x-delivery-count': 0,
    'x-first-death-exchange': '',
    'x-first-death-queue': queue,
    'x-first-death-reason': 'delivery_limit',
  };
}

describe('describeDeadLetter', () => {
  it('tells a message whose handler kept failing from a malformed one, by the kind Berth sets', () => {
    const info = describeDeadLetter({
      [REASON_HEADER]: 'failed 5 times (delivery limit of berth.jobs); last error: boom',
      [QUEUE_HEADER]: 'berth.jobs',
      [KIND_HEADER]: 'delivery-limit',
    });
    expect(info).toEqual({
      queue: 'berth.jobs',
      reason: 'failed 5 times (delivery limit of berth.jobs); last error: boom',
      kind: 'delivery-limit',
      at: null,
    });
  });

  it('takes queue and reason from the headers Berth sets on a malformed message', () => {
    const info = describeDeadLetter({
      [REASON_HEADER]: 'type must be one of place-job',
      [QUEUE_HEADER]: 'berth.jobs',
      [DEAD_AT_HEADER]: '2025-01-02T03:04:05.000Z',
    });
    expect(info).toEqual({
      queue: 'berth.jobs',
      reason: 'malformed message: type must be one of place-job',
      kind: 'malformed',
      at: new Date('2025-01-02T03:04:05.000Z'),
    });
  });

  it('reads header values that arrive as buffers', () => {
    const info = describeDeadLetter({ [REASON_HEADER]: Buffer.from('not JSON'), [QUEUE_HEADER]: Buffer.from('q') });
    expect(info.queue).toBe('q');
    expect(info.reason).toBe('malformed message: not JSON');
  });

  it('explains a delivery limit from x-death, naming the queue and the limit', () => {
    const info = describeDeadLetter(deliveryLimitHeaders('berth.outcomes'), 5);
    expect(info.queue).toBe('berth.outcomes');
    expect(info.kind).toBe('delivery-limit');
    expect(info.reason).toMatch(/redelivered 5 times.*delivery limit of berth\.outcomes/);
    expect(info.at).toEqual(new Date(1_700_000_000 * 1000));
  });

  it("skips Berth's delay queues and the dead-letter queue when saying where a message died", () => {
    const headers = deliveryLimitHeaders('berth.outcomes');
    (headers['x-death'] as unknown[]).unshift({
      count: 1,
      reason: 'expired',
      queue: 'berth.dead-letters.retrying-1000ms',
    });
    expect(describeDeadLetter(headers)).toMatchObject({ queue: 'berth.outcomes', kind: 'delivery-limit' });
  });

  it('uses the most recent x-death entry', () => {
    const headers = deliveryLimitHeaders('berth.jobs');
    (headers['x-death'] as unknown[]).push({ count: 3, reason: 'expired', queue: 'berth.jobs.waiting-1000ms' });
    headers['x-first-death-queue'] = 'berth.jobs.waiting-1000ms';
    headers['x-first-death-reason'] = 'expired';
    const info = describeDeadLetter(headers);
    expect(info.queue).toBe('berth.jobs');
    expect(info.kind).toBe('delivery-limit');
  });

  it('names other broker reasons, and keeps an unknown one as it is', () => {
    expect(describeDeadLetter({ 'x-death': [{ reason: 'rejected', queue: 'q' }] }).kind).toBe('rejected');
    expect(describeDeadLetter({ 'x-death': [{ reason: 'maxlen', queue: 'q' }] }).kind).toBe('max-length');
    expect(describeDeadLetter({ 'x-death': [{ reason: 'expired', queue: 'q' }] }).reason).toContain('expired in q');
    const odd = describeDeadLetter({ 'x-death': [{ reason: 'something-new', queue: 'q' }] });
    expect(odd).toMatchObject({ kind: 'unknown', queue: 'q' });
    expect(odd.reason).toContain('something-new');
  });

  it('falls back to x-first-death-* when x-death is missing or not a list', () => {
    const info = describeDeadLetter({
      'x-death': 'garbage',
      'x-first-death-queue': 'q',
      'x-first-death-reason': 'delivery_limit',
    });
    expect(info).toMatchObject({ queue: 'q', kind: 'delivery-limit', at: null });
  });

  it('says so when nothing explains it, keeping an origin queue if one is named', () => {
    expect(describeDeadLetter(undefined)).toMatchObject({ queue: null, kind: 'unknown' });
    expect(describeDeadLetter({ [QUEUE_HEADER]: 'berth.jobs' })).toMatchObject({
      queue: 'berth.jobs',
      kind: 'unknown',
    });
    expect(describeDeadLetter({ 'x-death': [null, 7] })).toMatchObject({ queue: null, kind: 'unknown' });
  });

  it('ignores a dead-at header that is not a date', () => {
    expect(describeDeadLetter({ [REASON_HEADER]: 'x', [DEAD_AT_HEADER]: 'yesterday' }).at).toBeNull();
  });
});

describe('deadLetterId', () => {
  const body = Buffer.from('{"type":"nope"}');

  it('is the same for a redelivery, whose delivery count differs', () => {
    const first = deadLetterId(body, {
      messageId: 'm',
      headers: { ...deliveryLimitHeaders('q'), 'x-delivery-count': 0 },
    });
    const again = deadLetterId(body, {
      messageId: 'm',
      headers: { ...deliveryLimitHeaders('q'), 'x-delivery-count': 3 },
    });
    expect(first).toBe(again);
    expect(first).toMatch(DEAD_LETTER_ID);
  });

  it('is the same when Berth dead-lettered one message twice (a crash before the ack)', () => {
    const headers = { [REASON_HEADER]: 'r', [QUEUE_HEADER]: 'q' };
    expect(deadLetterId(body, { headers: { ...headers, [DEAD_AT_HEADER]: '2025-01-01T00:00:00Z' } })).toBe(
      deadLetterId(body, { headers: { ...headers, [DEAD_AT_HEADER]: '2025-01-01T00:00:09Z' } }),
    );
  });

  it('does not depend on the order of the headers', () => {
    expect(deadLetterId(body, { headers: { a: '1', b: '2' } })).toBe(
      deadLetterId(body, { headers: { b: '2', a: '1' } }),
    );
  });

  it('differs for another body, message id, queue or reason', () => {
    const base = deadLetterId(body, { messageId: 'm', headers: { [QUEUE_HEADER]: 'q', [REASON_HEADER]: 'r' } });
    expect(
      deadLetterId(Buffer.from('{}'), { messageId: 'm', headers: { [QUEUE_HEADER]: 'q', [REASON_HEADER]: 'r' } }),
    ).not.toBe(base);
    expect(deadLetterId(body, { messageId: 'n', headers: { [QUEUE_HEADER]: 'q', [REASON_HEADER]: 'r' } })).not.toBe(
      base,
    );
    expect(deadLetterId(body, { messageId: 'm', headers: { [QUEUE_HEADER]: 'p', [REASON_HEADER]: 'r' } })).not.toBe(
      base,
    );
    expect(deadLetterId(body, { messageId: 'm', headers: { [QUEUE_HEADER]: 'q', [REASON_HEADER]: 's' } })).not.toBe(
      base,
    );
  });
});

describe('toDeadLetterRecord', () => {
  const now = new Date('2025-06-01T12:00:00.000Z');

  it('keeps a UTF-8 body as text and the headers as JSON, without the delivery count', () => {
    const record = toDeadLetterRecord(
      Buffer.from('héllo'),
      { messageId: 'm-1', headers: deliveryLimitHeaders('q') },
      now,
    );
    expect(record).toMatchObject({
      queue: 'q',
      kind: 'delivery-limit',
      at: new Date(1_700_000_000 * 1000).toISOString(),
      storedAt: now.toISOString(),
      body: 'héllo',
      bodyEncoding: 'utf8',
      bodyBytes: 6,
      bodyTruncated: false,
      messageId: 'm-1',
    });
    expect(record.headers['x-delivery-count']).toBeUndefined();
    expect(record.headers['x-death']).toEqual([
      {
        count: 1,
        exchange: '',
        queue: 'q',
        reason: 'delivery_limit',
        'routing-keys': ['q'],
        time: new Date(1_700_000_000 * 1000).toISOString(),
      },
    ]);
    expect(originalBody(record).toString()).toBe('héllo');
  });

  it('keeps a body that is not UTF-8 as base64, and gives it back byte for byte', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const record = toDeadLetterRecord(bytes, { headers: { [REASON_HEADER]: 'not JSON', [QUEUE_HEADER]: 'q' } }, now);
    expect(record.bodyEncoding).toBe('base64');
    expect(record.body).toBe(bytes.toString('base64'));
    expect(originalBody(record).equals(bytes)).toBe(true);
    expect(record.messageId).toBeNull();
    expect(record.at).toBe(now.toISOString());
  });

  it('cuts a body beyond the size kept, and says so', () => {
    const big = Buffer.alloc(MAX_DEAD_LETTER_BODY_BYTES + 10, 'a');
    const record = toDeadLetterRecord(big, {}, now);
    expect(record.bodyTruncated).toBe(true);
    expect(record.bodyBytes).toBe(big.length);
    expect(record.body.length).toBe(MAX_DEAD_LETTER_BODY_BYTES);
  });

  it('keeps headers too large to keep as one header that says how large they were, and the id from all of them', () => {
    const headers = { [REASON_HEADER]: 'test', big: 'x'.repeat(MAX_DEAD_LETTER_HEADERS_BYTES) };
    const record = toDeadLetterRecord(Buffer.from('x'), { headers }, now);
    expect(Object.keys(record.headers)).toEqual([HEADERS_NOT_KEPT_HEADER]);
    expect(record.headers[HEADERS_NOT_KEPT_HEADER]).toMatch(/^\d+ bytes of headers, over the 16384/);
    // The reason was read before: it still names why the message died; the identity still covers every header.
    expect(record.reason).toBe('malformed message: test');
    expect(record.id).not.toBe(toDeadLetterRecord(Buffer.from('x'), { headers: { ...headers, big: 'y' } }, now).id);
  });

  it('cuts a long reason and says so, and names no queue for a name no queue can have', () => {
    const record = toDeadLetterRecord(
      Buffer.from('x'),
      { headers: { [REASON_HEADER]: 'e'.repeat(3 * MAX_DEAD_LETTER_REASON_CHARS), [QUEUE_HEADER]: 'q'.repeat(256) } },
      now,
    );
    expect(record.reason).toMatch(/… \(cut: \d+ characters\)$/);
    expect(record.reason.length).toBeLessThan(MAX_DEAD_LETTER_REASON_CHARS + 40);
    expect(record.queue).toBeNull();
  });

  it('turns binary and big-integer header values into JSON', () => {
    const record = toDeadLetterRecord(
      Buffer.from('x'),
      { headers: { bin: Buffer.from([0xff]), big: BigInt(2) ** BigInt(70), text: Buffer.from('ok') } },
      now,
    );
    expect(record.headers).toEqual({ bin: { base64: '/w==' }, big: (BigInt(2) ** BigInt(70)).toString(), text: 'ok' });
    expect(JSON.parse(JSON.stringify(record.headers))).toEqual(record.headers);
  });
});
