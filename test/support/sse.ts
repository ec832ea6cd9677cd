import { SseFrame, sseFrames } from '../../apps/cli/src/sse';

export type { SseFrame };

/**
 * A Server-Sent Events client over fetch, for tests: it parses frames as they arrive and lets a test wait for the
 * one it expects. (What EventSource does, without its reconnecting: a test says when to reconnect.)
 */
export class SseClient {
  readonly frames: SseFrame[] = [];
  private readonly waiters = new Set<() => void>();
  private ended = false;

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
  ) {}

  /** Opens a stream; the response is returned as it is when it is not one (a 4xx, say). */
  static async open(url: string, headers: Record<string, string>): Promise<SseClient> {
    const controller = new AbortController();
    const response = await fetch(url, { headers, signal: controller.signal });
    const client = new SseClient(response, controller);
    if (response.ok && response.body) {
      void client.read(response.body);
    }
    return client;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const frame of sseFrames(body)) {
        this.frames.push(frame);
        this.waiters.forEach((wake) => wake());
      }
    } catch {
      // aborted by close()
    } finally {
      this.ended = true;
      this.waiters.forEach((wake) => wake());
    }
  }

  /** Waits for the first frame (from `from` on) that `match` accepts; returns it with its index. */
  async next(
    what: string,
    match: (frame: SseFrame) => boolean,
    from = 0,
    timeoutMs = 60_000,
  ): Promise<{ frame: SseFrame; index: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((frame, i) => i >= from && match(frame));
      if (index >= 0) {
        return { frame: this.frames[index], index };
      }
      if (this.ended) {
        throw new Error(`the event stream ended before: ${what}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for the event: ${what}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
      });
    }
  }

  close(): void {
    this.controller.abort();
  }
}
