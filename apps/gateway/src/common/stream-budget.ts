import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { Writable } from 'node:stream';
import { problem } from './problem';

/** Answers that stay open while a container runs or an image pulls (wait, logs -f, attach, pull), per gateway. */
const MAX_OPEN_STREAMS = 512;

/** Output a slow reader of logs -f or attach may leave unread before its stream is cut. */
const MAX_UNREAD_BYTES = 8 * 1024 * 1024;

/**
 * Counts the long answers (the Engine API's wait, logs -f, attach and pull; /v1 logs that follow), so a crowd of
 * them cannot grow without bound: beyond the cap, 503.
 */
@Injectable()
export class StreamBudget {
  private open = 0;

  async hold(run: () => Promise<void>): Promise<void> {
    const release = this.take();
    try {
      await run();
    } finally {
      release();
    }
  }

  /** Takes one place, or throws a 503; the function returned gives it back (once, however often it is called). */
  take(): () => void {
    if (this.open >= MAX_OPEN_STREAMS) {
      throw new ServiceUnavailableException(
        problem(503, `this gateway already holds ${MAX_OPEN_STREAMS} open wait, logs, attach and pull streams`),
      );
    }
    this.open++;
    let held = true;
    return () => {
      if (held) {
        held = false;
        this.open--;
      }
    };
  }
}

/** Writes, or cuts the stream of a reader that does not keep up: a gateway never buffers a container's output. */
export function boundedWrite(stream: Writable, bytes: Buffer): void {
  if (stream.writableLength > MAX_UNREAD_BYTES) {
    stream.destroy(new Error(`the client left over ${MAX_UNREAD_BYTES} bytes unread`));
    return;
  }
  stream.write(bytes);
}
