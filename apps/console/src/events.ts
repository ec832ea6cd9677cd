import { Api } from './api.js';
import { JobEvent, NodeEvent } from './types.js';

export type FeedState = 'connecting' | 'live' | 'reconnecting';

/**
 * GET /v1/events, followed with fetch (EventSource cannot send the token): frames parsed as they come, and after a
 * lost connection it reconnects by itself, with Last-Event-ID so nothing is missed (a `gap` tells it the log
 * moved on: then the views reload).
 */
export class EventFeed {
  private lastId: string | null = null;
  private controller: AbortController | null = null;
  private stopped = false;
  private readonly jobListeners = new Set<(event: JobEvent) => void>();
  private readonly nodeListeners = new Set<(event: NodeEvent) => void>();
  private readonly gapListeners = new Set<() => void>();
  private readonly stateListeners = new Set<(state: FeedState, detail: string) => void>();

  constructor(private readonly api: Api) {}

  onJob(listener: (event: JobEvent) => void): () => void {
    this.jobListeners.add(listener);
    return () => this.jobListeners.delete(listener);
  }

  onNode(listener: (event: NodeEvent) => void): () => void {
    this.nodeListeners.add(listener);
    return () => this.nodeListeners.delete(listener);
  }

  onGap(listener: () => void): () => void {
    this.gapListeners.add(listener);
    return () => this.gapListeners.delete(listener);
  }

  onState(listener: (state: FeedState, detail: string) => void): void {
    this.stateListeners.add(listener);
  }

  start(): void {
    this.stopped = false;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }

  private setState(state: FeedState, detail = ''): void {
    this.stateListeners.forEach((listener) => listener(state, detail));
  }

  private async run(): Promise<void> {
    let delay = 500;
    while (!this.stopped) {
      this.controller = new AbortController();
      try {
        this.setState(this.lastId === null ? 'connecting' : 'reconnecting');
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (this.lastId !== null) {
          headers['last-event-id'] = this.lastId;
        }
        const response = await this.api.request('GET', '/v1/events', undefined, headers, this.controller.signal);
        this.setState('live');
        delay = 500;
        await this.read(response);
        this.setState('reconnecting', 'the event stream ended');
      } catch (err) {
        if (this.stopped) {
          return;
        }
        this.setState('reconnecting', (err as Error).message);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }

  private async read(response: Response): Promise<void> {
    if (!response.body) {
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        return;
      }
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        this.frame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  private frame(text: string): void {
    let id: string | null = null;
    let event = 'message';
    const data: string[] = [];
    for (const line of text.split('\n')) {
      if (line.startsWith('id:')) {
        id = line.slice(3).trim();
      } else if (line.startsWith('event:')) {
        event = line.slice(6).trim();
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).trimStart());
      }
    }
    if (id !== null) {
      this.lastId = id;
    }
    if (event === 'gap') {
      this.gapListeners.forEach((listener) => listener());
    } else if (event === 'job') {
      const parsed = JSON.parse(data.join('\n')) as JobEvent;
      this.jobListeners.forEach((listener) => listener(parsed));
    } else if (event === 'node') {
      const parsed = JSON.parse(data.join('\n')) as NodeEvent;
      this.nodeListeners.forEach((listener) => listener(parsed));
    }
  }
}
