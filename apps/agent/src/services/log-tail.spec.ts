import { Demultiplexer, TailBuffer, textChunks } from './log-tail';

/** One frame of Docker's multiplexed stream: stream type (1 stdout, 2 stderr), padding, size, payload. */
function frame(stream: 1 | 2, payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('Demultiplexer', () => {
  it('gives back the payloads, however the stream cuts the frames', () => {
    const wire = Buffer.concat([frame(1, 'hello '), frame(2, 'from stderr '), frame(1, 'and stdout\n')]);
    for (const cut of [1, 3, 7, 8, 9, 13, wire.length]) {
      const demultiplexer = new Demultiplexer();
      const out: Buffer[] = [];
      for (let i = 0; i < wire.length; i += cut) {
        out.push(...demultiplexer.write(wire.subarray(i, i + cut)));
      }
      expect(Buffer.concat(out).toString()).toBe('hello from stderr and stdout\n');
    }
  });

  it('streams a large frame before it has all arrived', () => {
    const demultiplexer = new Demultiplexer();
    const header = frame(1, 'x'.repeat(1000)).subarray(0, 8);
    expect(demultiplexer.write(header)).toEqual([]);
    expect(Buffer.concat(demultiplexer.write(Buffer.from('x'.repeat(10)))).toString()).toBe('x'.repeat(10));
  });
});

describe('TailBuffer', () => {
  it('keeps the last bytes up to its limit and counts the rest', () => {
    const tail = new TailBuffer(10);
    for (const part of ['0123', '4567', '89ab', 'cdef']) {
      tail.push(Buffer.from(part));
    }
    expect(tail.contents().toString()).toBe('6789abcdef');
    expect(tail.droppedBytes).toBe(6);
  });

  it('drops nothing under its limit', () => {
    const tail = new TailBuffer(100);
    tail.push(Buffer.from('short'));
    expect(tail.contents().toString()).toBe('short');
    expect(tail.droppedBytes).toBe(0);
  });
});

describe('textChunks', () => {
  it('cuts into chunks of at most the size, never through a character', () => {
    const text = 'aé€😀'.repeat(50); // 1, 2, 3 and 4 bytes per character
    const bytes = Buffer.from(text);
    for (const size of [4, 5, 7, 64]) {
      const { chunks, skippedBytes } = textChunks(bytes, size);
      expect(skippedBytes).toBe(0);
      expect(chunks.join('')).toBe(text);
      expect(chunks.every((c) => Buffer.byteLength(c) <= size && !c.includes('\ufffd'))).toBe(true);
    }
  });

  it('leaves out a character the byte limit cut at the front, and counts it', () => {
    const bytes = Buffer.from('€abc').subarray(1); // the last two bytes of €, then abc
    expect(textChunks(bytes, 64)).toEqual({ chunks: ['abc'], skippedBytes: 2 });
  });

  it('answers an empty output with one empty chunk', () => {
    expect(textChunks(Buffer.alloc(0), 64)).toEqual({ chunks: [''], skippedBytes: 0 });
  });
});
