import { JobOutcome, LABEL_CLUSTER, LABEL_JOB } from '@berth/contracts';
import { Publisher } from '@berth/messaging';
import { Logger } from '@nestjs/common';
import { DockerRepository } from './docker.repository';

interface DockerEvent {
  Type?: string;
  Action?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
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
      let buffer = '';
      stream.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line) {
            this.onEvent(JSON.parse(line) as DockerEvent);
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
    if (event.time) {
      this.lastEventSeconds = Math.max(this.lastEventSeconds, event.time);
    }
    const attributes = event.Actor?.Attributes ?? {};
    const jobId = attributes[LABEL_JOB];
    if (event.Action !== 'die' || !jobId || !event.Actor?.ID) {
      return;
    }
    void this.reportExit(jobId, event.Actor.ID, Number(attributes.exitCode ?? -1));
  }

  private async reportExit(jobId: string, containerId: string, exitCode: number): Promise<void> {
    try {
      const oomKilled = await this.docker.wasOomKilled(containerId);
      const outcome: JobOutcome = { type: 'container-exited', jobId, nodeId: this.nodeId, exitCode, oomKilled };
      await this.publisher.sendOutcome(outcome);
      this.logger.log(`job ${jobId}: container ended with code ${exitCode}${oomKilled ? ' (OOM-killed)' : ''}`);
    } catch (err) {
      // The reconciliation pass reports it later from the container's state; nothing is lost for good.
      this.logger.warn(`job ${jobId}: could not report its exit: ${String(err)}`);
    }
  }
}
