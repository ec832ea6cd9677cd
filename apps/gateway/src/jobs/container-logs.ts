import { frame, FrameReader } from '@berth/container';
import { decodeLogsReply, FetchLogs, JobRecord, LOGS_MAX_TAIL } from '@berth/contracts';
import { BrokerUnavailable, RequestReply } from '@berth/messaging';
import { JobRepository } from '@berth/state';
import { ConflictException, GatewayTimeoutException, Injectable } from '@nestjs/common';
import { problem } from '../common/problem';

export type LogsOptions = Pick<FetchLogs, 'stdout' | 'stderr' | 'tail' | 'since' | 'timestamps' | 'limitBytes'>;

/** How often `logs -f` and attach ask the host for what was written since. */
const FOLLOW_EVERY_MS = 500;

/** Docker's fixed-width RFC 3339 timestamp at the start of an entry, and the space after it. */
const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) /;

/** An entry's timestamp as Docker's `since` takes it: unix seconds with nanoseconds. */
export function sinceOf(timestamp: string): string {
  const seconds = Math.floor(Date.parse(`${timestamp.slice(0, 19)}Z`) / 1000);
  return `${seconds}.${timestamp.slice(20, 29)}`;
}

/** Docker's multiplexed frames (the Engine API's logs and attach), or the entries' text as they are (/v1). */
export type LogsFraming = 'docker' | 'text';

/**
 * A container's output, read from its host's agent, which sends it in bounded chunks. Following is asking again,
 * every half second, for what was written since the last entry seen (by Docker's timestamp, so nothing is shown
 * twice), until the container stops: no stream stays open on the host. A host that cannot read the logs is a 409,
 * one that does not answer a 504 (problem details; the Engine API says them as Docker does).
 */
@Injectable()
export class ContainerLogs {
  constructor(
    private readonly requests: RequestReply,
    private readonly jobs: JobRepository,
  ) {}

  async stream(
    job: JobRecord,
    options: LogsOptions,
    follow: boolean,
    out: { start(): void; write(bytes: Buffer): void; gone(): boolean },
    framing: LogsFraming = 'docker',
  ): Promise<void> {
    let last = '';
    let ask: LogsOptions = options;
    // The first read is done before anything is sent: a host that cannot answer is still a clear error then.
    const held: Buffer[] = [];
    let started = false;
    const write = (bytes: Buffer) => (started ? out.write(bytes) : held.push(bytes));
    const gone = () => out.gone();
    for (;;) {
      // Whether the container still ran before this read: once it did not, this read has its last words.
      const current = follow ? await this.jobs.get(job.id) : null;
      const stillRunning = current?.status === 'running';
      last = await this.read(job, ask, last, options.timestamps, framing, write);
      if (!started) {
        started = true;
        out.start();
        held.splice(0).forEach((bytes) => out.write(bytes));
      }
      if (!follow || !stillRunning || gone()) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_EVERY_MS));
      if (gone()) {
        return;
      }
      ask = { ...options, tail: LOGS_MAX_TAIL, since: last === '' ? options.since : sinceOf(last) };
    }
  }

  /** One read of the host: writes each entry after `after`, and returns the last entry's timestamp. */
  private async read(
    job: JobRecord,
    options: LogsOptions,
    after: string,
    showTimestamps: boolean,
    framing: LogsFraming,
    write: (bytes: Buffer) => void,
  ): Promise<string> {
    // Asked with timestamps always, to know where the next read starts; shown only when the client asked.
    const reader = new FrameReader();
    let last = after;
    const request = { type: 'fetch-logs' as const, jobId: job.id, ...options, timestamps: true, framed: true };
    try {
      await this.requests.streamFromHost(job.node as string, request, (raw) => {
        const reply = decodeLogsReply(raw);
        if (reply.type === 'logs-unavailable') {
          throw new ConflictException(problem(409, `host ${job.node} could not read the logs: ${reply.error}`));
        }
        for (const entry of reader.write(Buffer.from(reply.data, 'base64'))) {
          const match = TIMESTAMP.exec(entry.bytes.subarray(0, 31).toString('latin1'));
          const stamp = match?.[1] ?? '';
          if (stamp !== '' && stamp <= after) {
            continue; // shown by the read before (Docker's since includes its own instant)
          }
          last = stamp > last ? stamp : last;
          const bytes = showTimestamps || !match ? entry.bytes : entry.bytes.subarray(match[0].length);
          write(framing === 'docker' ? frame(entry.stream, bytes) : bytes);
        }
        return reply.last;
      });
    } catch (err) {
      if (err instanceof BrokerUnavailable) {
        throw new GatewayTimeoutException(problem(504, `host ${job.node} did not answer: ${err.message}`));
      }
      throw err;
    }
    return last;
  }
}
