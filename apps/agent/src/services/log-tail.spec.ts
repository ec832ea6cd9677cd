import { Demultiplexer, frame } from '@berth/container';
import { base64Chunks, TailBuffer, textChunks } from './log-tail';

const out = (text: string) => ({ stream: 1 as const, bytes: Buffer.from(text) });

describe('TailBuffer', () => {
  it('keeps the last bytes up to its limit and counts the rest', () => {
    const tail = new TailBuffer(10);
    for (const part of ['0123', '4567', '89ab', 'cdef']) {
      tail.push(out(part));
    }
    expect(tail.contents().toString()).toBe('6789abcdef');
    expect(tail.droppedBytes).toBe(6);
  });

  it('drops nothing under its limit', () => {
    const tail = new TailBuffer(100);
    tail.push(out('short'));
    expect(tail.contents().toString()).toBe('short');
    expect(tail.droppedBytes).toBe(0);
  });
});

describe('TailBuffer in frames', () => {
  it("gives back what it kept in Docker's frames, each piece on its own stream", () => {
    const tail = new TailBuffer(8);
    tail.push(out('hello '));
    tail.push({ stream: 2, bytes: Buffer.from('world') });
    const kept = new Demultiplexer().write(tail.frames());
    expect(kept.map((p) => [p.stream, p.bytes.toString()])).toEqual([
      [1, 'lo '],
      [2, 'world'],
    ]);
    expect(tail.droppedBytes).toBe(3);
  });

  it('cuts frames into base64 chunks that put back together into the same bytes', () => {
    const bytes = Buffer.concat([frame(1, Buffer.from('x'.repeat(100))), frame(2, Buffer.from([0, 255, 10]))]);
    const chunks = base64Chunks(bytes, 30);
    expect(chunks.every((c) => c.length <= 40)).toBe(true);
    expect(Buffer.concat(chunks.map((c) => Buffer.from(c, 'base64')))).toEqual(bytes);
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
