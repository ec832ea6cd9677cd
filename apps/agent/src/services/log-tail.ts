import { frame, StreamPiece } from '@berth/container';

/**
 * Reading a container's output with bounded memory: Docker's stream is taken apart as it arrives, only its last
 * `limitBytes` are kept, and what is kept leaves in chunks small enough for one message each.
 */

/** Keeps the last `limit` bytes of output pushed into it, with the stream of each, and counts what it let go. */
export class TailBuffer {
  private parts: StreamPiece[] = [];
  private size = 0;
  droppedBytes = 0;

  constructor(private readonly limit: number) {}

  push(piece: StreamPiece): void {
    this.parts.push(piece);
    this.size += piece.bytes.length;
    while (this.size > this.limit) {
      const excess = this.size - this.limit;
      const first = this.parts[0];
      if (first.bytes.length <= excess) {
        this.parts.shift();
        this.size -= first.bytes.length;
        this.droppedBytes += first.bytes.length;
      } else {
        this.parts[0] = { stream: first.stream, bytes: first.bytes.subarray(excess) };
        this.size -= excess;
        this.droppedBytes += excess;
      }
    }
  }

  /** What was kept, stdout and stderr interleaved. */
  contents(): Buffer {
    return Buffer.concat(this.parts.map((p) => p.bytes));
  }

  /** What was kept, in Docker's frames again (one per piece). */
  frames(): Buffer {
    return Buffer.concat(this.parts.map((p) => frame(p.stream, p.bytes)));
  }
}

/** Cuts bytes into chunks of at most `size` bytes, base64 each (Docker's frames carry binary). */
export function base64Chunks(bytes: Buffer, size: number): string[] {
  const chunks: string[] = [];
  for (let start = 0; start < bytes.length; start += size) {
    chunks.push(bytes.subarray(start, start + size).toString('base64'));
  }
  return chunks.length > 0 ? chunks : [''];
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
