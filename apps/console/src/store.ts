import { Api } from './api.js';
import { EventFeed } from './events.js';
import { Job, JobEvent, JobPage } from './types.js';

/** Jobs loaded at most: beyond this the list says it shows the newest only. */
const MAX_JOBS = 20_000;
const PAGE = 500;

/**
 * The jobs the token may see, loaded page by page and kept current from the event stream: a status change updates
 * the job in place, a job not seen before is fetched. Views render from it and are told of changes at most once
 * per frame, so a burst of events costs one redraw.
 */
export class JobStore {
  readonly jobs = new Map<string, Job>();
  loaded = false;
  truncated = false;
  private readonly listeners = new Set<() => void>();
  private scheduled = false;
  private readonly fetching = new Set<string>();

  constructor(
    private readonly api: Api,
    feed: EventFeed,
  ) {
    feed.onJob((event) => this.apply(event));
    feed.onGap(() => void this.load());
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async load(): Promise<void> {
    let cursor: string | null = null;
    const seen = new Map<string, Job>();
    do {
      const query: string = `/v1/jobs?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: JobPage = await this.api.json<JobPage>('GET', query);
      page.items.forEach((job) => seen.set(job.id, job));
      cursor = page.next;
    } while (cursor !== null && seen.size < MAX_JOBS);
    this.truncated = cursor !== null;
    this.jobs.clear();
    seen.forEach((job, id) => this.jobs.set(id, job));
    this.loaded = true;
    this.changed();
  }

  /** One job, fresh from the API (and kept). */
  async refresh(id: string): Promise<Job> {
    const job = await this.api.json<Job>('GET', `/v1/jobs/${id}`);
    this.jobs.set(id, job);
    this.changed();
    return job;
  }

  private apply(event: JobEvent): void {
    const job = this.jobs.get(event.job);
    if (!job) {
      if (!this.fetching.has(event.job)) {
        this.fetching.add(event.job);
        void this.refresh(event.job)
          .catch(() => undefined)
          .finally(() => this.fetching.delete(event.job));
      }
      return;
    }
    this.jobs.set(event.job, {
      ...job,
      status: event.status,
      node: event.node ?? (event.status === 'queued' ? null : job.node),
      reason: event.reason,
      updatedAt: event.at,
    });
    this.changed();
  }

  private changed(): void {
    if (this.scheduled) {
      return;
    }
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.listeners.forEach((listener) => listener());
    });
  }
}
