/**
 * Docker's multiplexed stream, as the Engine API sends a container's output when it has no TTY: frames of an
 * 8-byte header (stream type, 3 zero bytes, payload size, big-endian) and a payload. Stream 1 is stdout, 2 stderr.
 */

const FRAME_HEADER_BYTES = 8;

export type StreamType = 0 | 1 | 2 | 3;

/** A payload and the stream it came on. */
export interface StreamPiece {
  stream: StreamType;
  bytes: Buffer;
}

/** One frame around a payload. */
export function frame(stream: StreamType, payload: Buffer): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/**
 * Gives back the payloads as bytes arrive, however the stream cut them, without waiting for a whole frame (a
 * frame may be large): a frame's payload may come back in several pieces.
 */
export class Demultiplexer {
  private header: Buffer = Buffer.alloc(0);
  private stream: StreamType = 1;
  /** Payload bytes still to come in the current frame. */
  private remaining = 0;

  write(chunk: Buffer): StreamPiece[] {
    const pieces: StreamPiece[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - offset);
        pieces.push({ stream: this.stream, bytes: chunk.subarray(offset, offset + take) });
        this.remaining -= take;
        offset += take;
        continue;
      }
      const need = FRAME_HEADER_BYTES - this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + need)]);
      offset += Math.min(need, chunk.length - offset);
      if (this.header.length === FRAME_HEADER_BYTES) {
        const type = this.header.readUInt8(0);
        this.stream = (type <= 3 ? type : 1) as StreamType;
        this.remaining = this.header.readUInt32BE(4);
        this.header = Buffer.alloc(0);
      }
    }
    return pieces;
  }
}

/**
 * Whole frames, for a reader that needs each entry in one piece (a log entry with its timestamp): bytes are kept
 * until their frame is complete. A frame over `maxFrameBytes` is refused rather than held.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes = 1024 * 1024) {}

  write(chunk: Buffer): StreamPiece[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: StreamPiece[] = [];
    while (this.pending.length >= FRAME_HEADER_BYTES) {
      const size = this.pending.readUInt32BE(4);
      if (size > this.maxFrameBytes) {
        throw new Error(`a frame of ${size} bytes is over the ${this.maxFrameBytes}-byte limit`);
      }
      if (this.pending.length < FRAME_HEADER_BYTES + size) {
        break;
      }
      const type = this.pending.readUInt8(0);
      frames.push({
        stream: (type <= 3 ? type : 1) as StreamType,
        bytes: this.pending.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + size),
      });
      this.pending = this.pending.subarray(FRAME_HEADER_BYTES + size);
    }
    return frames;
  }
}
