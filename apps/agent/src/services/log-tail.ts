/**
 * Reading a container's output with bounded memory: Docker's stream is taken apart as it arrives, only its last
 * `limitBytes` are kept, and what is kept leaves in chunks small enough for one message each.
 */

const FRAME_HEADER_BYTES = 8;

/**
 * Docker's multiplexed stream (a container without a TTY): frames of an 8-byte header (stream type, 3 zero bytes,
 * payload size) and a payload. Gives back the payloads as bytes arrive, however the stream cut them, without
 * waiting for a whole frame (a frame may be large).
 */
export class Demultiplexer {
  private header = Buffer.alloc(0);
  /** Payload bytes still to come in the current frame. */
  private remaining = 0;

  write(chunk: Buffer): Buffer[] {
    const payloads: Buffer[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - offset);
        payloads.push(chunk.subarray(offset, offset + take));
        this.remaining -= take;
        offset += take;
        continue;
      }
      const need = FRAME_HEADER_BYTES - this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + need)]);
      offset += Math.min(need, chunk.length - offset);
      if (this.header.length === FRAME_HEADER_BYTES) {
        this.remaining = this.header.readUInt32BE(4);
        this.header = Buffer.alloc(0);
      }
    }
    return payloads;
  }
}

/** Keeps the last `limit` bytes pushed into it and counts the ones it let go. */
export class TailBuffer {
  private parts: Buffer[] = [];
  private size = 0;
  droppedBytes = 0;

  constructor(private readonly limit: number) {}

  push(bytes: Buffer): void {
    this.parts.push(bytes);
    this.size += bytes.length;
    while (this.size > this.limit) {
      const excess = this.size - this.limit;
      const first = this.parts[0];
      if (first.length <= excess) {
        this.parts.shift();
        this.size -= first.length;
        this.droppedBytes += first.length;
      } else {
        this.parts[0] = first.subarray(excess);
        this.size -= excess;
        this.droppedBytes += excess;
      }
    }
  }

  contents(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const isContinuationByte = (byte: number) => (byte & 0xc0) === 0x80;

/**
 * Cuts bytes into text chunks of at most `size` bytes each, never through a UTF-8 character (a character cut at
 * the front by the byte limit is left out, and counted). At least one chunk, so an empty output is still answered.
 */
export function textChunks(bytes: Buffer, size: number): { chunks: string[]; skippedBytes: number } {
  let start = 0;
  while (start < bytes.length && isContinuationByte(bytes[start])) {
    start++;
  }
  const skippedBytes = start;
  const chunks: string[] = [];
  while (start < bytes.length) {
    let end = Math.min(start + size, bytes.length);
    if (end < bytes.length) {
      let cut = end;
      while (cut > start && isContinuationByte(bytes[cut])) {
        cut--;
      }
      // Not UTF-8 (a run of continuation bytes longer than a character): cut where the size says.
      end = cut > start ? cut : end;
    }
    chunks.push(bytes.subarray(start, end).toString());
    start = end;
  }
  return { chunks: chunks.length > 0 ? chunks : [''], skippedBytes };
}
