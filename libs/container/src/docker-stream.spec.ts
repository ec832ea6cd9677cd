import { Demultiplexer, frame } from './docker-stream';

/** One frame of Docker's multiplexed stream: stream type (1 stdout, 2 stderr), padding, size, payload. */
function framed(stream: 1 | 2, payload: string): Buffer {
  return frame(stream, Buffer.from(payload));
}

describe('Demultiplexer', () => {
  it('gives back the payloads, however the stream cuts the frames', () => {
    const wire = Buffer.concat([framed(1, 'hello '), framed(2, 'from stderr '), framed(1, 'and stdout\n')]);
    for (const cut of [1, 3, 7, 8, 9, 13, wire.length]) {
      const demultiplexer = new Demultiplexer();
      const out: Buffer[] = [];
      for (let i = 0; i < wire.length; i += cut) {
        out.push(...demultiplexer.write(wire.subarray(i, i + cut)).map((p) => p.bytes));
      }
      expect(Buffer.concat(out).toString()).toBe('hello from stderr and stdout\n');
    }
  });

  it('streams a large frame before it has all arrived', () => {
    const demultiplexer = new Demultiplexer();
    const header = framed(1, 'x'.repeat(1000)).subarray(0, 8);
    expect(demultiplexer.write(header)).toEqual([]);
    expect(Buffer.concat(demultiplexer.write(Buffer.from('x'.repeat(10))).map((p) => p.bytes)).toString()).toBe(
      'x'.repeat(10),
    );
  });

  it('keeps which stream each payload came on', () => {
    const pieces = new Demultiplexer().write(Buffer.concat([framed(1, 'out'), framed(2, 'err')]));
    expect(pieces.map((p) => [p.stream, p.bytes.toString()])).toEqual([
      [1, 'out'],
      [2, 'err'],
    ]);
  });
});
