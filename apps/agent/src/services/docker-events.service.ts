import { aboutJob } from '@berth/logging';
import { JobOutcome, LABEL_CLUSTER, LABEL_JOB } from '@berth/contracts';
import { Publisher } from '@berth/messaging';
import { Logger } from '@nestjs/common';
import { DockerRepository } from './docker.repository';

export interface DockerEvent {
  Type?: string;
  Action?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** A line of Docker's event stream longer than this is no event Berth knows: it is dropped, not buffered. */
export const MAX_EVENT_LINE = 1024 * 1024;

/**
 * Splits what the event stream sent so far into whole lines. What follows the last newline waits for the next
 * chunk, unless it is already longer than `maxLine`: then it is dropped (and counted), so a stream that never
 * sends a newline cannot grow the agent's memory without bound.
 */
export function splitEventLines(
  pending: string,
  chunk: string,
  maxLine = MAX_EVENT_LINE,
): { lines: string[]; pending: string; dropped: number } {
  const parts = (pending + chunk).split('\n');
  let rest = parts.pop() ?? '';
  let dropped = 0;
  if (rest.length > maxLine) {
    rest = '';
    dropped++;
  }
  const lines: string[] = [];
  for (const part of parts) {
    const line = part.trim();
    if (line.length > maxLine) {
      dropped++;
    } else if (line !== '') {
      lines.push(line);
    }
  }
  return { lines, pending: rest, dropped };
}

/** One event line as Docker sends it, or null when it is not a JSON object (it is logged and skipped). */
export function parseDockerEvent(line: string): DockerEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return null;
  }
  const event = value as DockerEvent;
  const attributes = event.Actor?.Attributes;
  if (attributes !== undefined && (typeof attributes !== 'object' || attributes === null)) {
    return null;
  }
  return event;
}

/**
 * Follows Docker's event stream for Berth's containers on this host and reports every container that ends
 * (exits, crashes, is OOM-killed), so its job moves on and its capacity comes back. The stream is resumed from
 * the last event seen after any interruption, so an event is not lost while reconnecting; a replayed one is
 * harmless (the job's state machine and the reservation make its effects happen once).
 */
export class DockerEventsService {
  private readonly logger = new Logger('DockerEvents');
  private stream: NodeJS.ReadableStream | null = null;
  private stopped = false;
  private lastEventSeconds = Math.floor(Date.now() / 1000);
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly docker: DockerRepository,
    private readonly publisher: Publisher,
    private readonly nodeId: string,
    private readonly cluster: string,
    /** A restart under way (docker restart through the Engine API): its die is not the container's end. */
    private readonly isRestarting: (jobId: string) => boolean = () => false,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.follow();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
    }
    (this.stream as unknown as { destroy?: () => void } | null)?.destroy?.();
  }

  private async follow(): Promise<void> {
    try {
      const stream = await this.docker.docker.getEvents({
        since: this.lastEventSeconds,
        filters: { type: ['container'], event: ['die'], label: [`${LABEL_CLUSTER}=${this.cluster}`] },
      });
      this.stream = stream;
      let pending = '';
      stream.on('data', (chunk: Buffer) => {
        // Nothing Docker sends may throw here: an exception in a stream handler would end the agent.
        const split = splitEventLines(pending, chunk.toString());
        pending = split.pending;
        if (split.dropped > 0) {
          this.logger.warn(`dropped ${split.dropped} event line(s) over ${MAX_EVENT_LINE} bytes`);
        }
        for (const line of split.lines) {
          const event = parseDockerEvent(line);
          if (event) {
            this.onEvent(event);
          } else {
            this.logger.warn(`skipped a malformed event line: ${line.slice(0, 200)}`);
          }
        }
      });
      stream.on('end', () => this.resume('event stream ended'));
      stream.on('error', (err: Error) => this.resume(`event stream failed: ${err.message}`));
    } catch (err) {
      this.resume(`cannot follow Docker events: ${String(err)}`);
    }
  }

  private resume(why: string): void {
    if (this.stopped) {
      return;
    }
    this.logger.warn(`${why}; resuming in 1 s`);
    this.retryTimer = setTimeout(() => void this.follow(), 1000);
  }

  private onEvent(event: DockerEvent): void {
    if (typeof event.time === 'number') {
      this.lastEventSeconds = Math.max(this.lastEventSeconds, event.time);
    }
    const attributes = event.Actor?.Attributes ?? {};
    const jobId = attributes[LABEL_JOB];
    const exitCode = Number(attributes.exitCode ?? -1);
    if (event.Action !== 'die' || typeof jobId !== 'string' || typeof event.Actor?.ID !== 'string') {
      return;
    }
    // An exit code Docker did not give as a number: the reconciliation pass reads the real one from the container.
    if (Number.isInteger(exitCode)) {
      void this.reportExit(jobId, event.Actor.ID, exitCode);
    }
  }

  private async reportExit(jobId: string, containerId: string, exitCode: number): Promise<void> {
    try {
      // A restart's die: the container runs again (or is about to), and its job with it.
      if (this.isRestarting(jobId) || (await this.docker.isRunning(containerId))) {
        this.logger.log({
          msg: `job ${jobId}: its container restarted; not an end`,
          ...aboutJob(jobId, { node: this.nodeId }),
        });
        return;
      }
      const oomKilled = await this.docker.wasOomKilled(containerId);
      const outcome: JobOutcome = { type: 'container-exited', jobId, nodeId: this.nodeId, exitCode, oomKilled };
      await this.publisher.sendOutcome(outcome);
      this.logger.log({
        msg: `job ${jobId}: container ended with code ${exitCode}${oomKilled ? ' (OOM-killed)' : ''}`,
        ...aboutJob(jobId, { node: this.nodeId }),
      });
    } catch (err) {
      // The reconciliation pass reports it later from the container's state; nothing is lost for good.
      this.logger.warn({
        msg: `job ${jobId}: could not report its exit: ${String(err)}`,
        ...aboutJob(jobId, { node: this.nodeId }),
      });
    }
  }
}
