import { AgentCommand, HostReply, encode, JobOutcome, NodeReply, PlaceJob, reportKey } from '@berth/contracts';
import { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { BrokerConnection, BrokerUnavailable, ConnectionPart } from './connection';
import { Declarations } from './declarations';

/** A publish the broker has not confirmed by then is reported as a failure (the broker may be blocked). */
const CONFIRM_TIMEOUT_MS = 10_000;

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : JSON.stringify(err);
}

/**
 * Publishes over a confirm channel: every publish resolves only when the broker has confirmed it, and every
 * message is persistent and carries a message id (a fresh one unless given), so identical messages stay distinct
 * once dead-lettered. Typed helpers name where each kind of message goes.
 */
export class Publisher implements ConnectionPart {
  private channel: ConfirmChannel | null = null;
  private closed = false;

  constructor(
    private readonly broker: BrokerConnection,
    private readonly declarations: Declarations,
  ) {}

  async attach(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    this.broker.supervise(model, channel, 'publisher', () => {
      const inUse = this.channel === channel;
      this.channel = inUse ? null : this.channel;
      return inUse;
    });
    this.channel = channel;
  }

  detach(): void {
    this.channel = null;
  }

  get ready(): boolean {
    return this.channel !== null && !this.closed;
  }

  /** Nothing is published from here on (the client is closing). */
  stop(): void {
    this.closed = true;
  }

  /** A job for the schedulers. */
  sendJob(message: PlaceJob): Promise<void> {
    return this.publish(this.declarations.topology.jobs, encode(message));
  }

  /** A job that found no room, back to the schedulers after the delay of one of the waiting tiers. */
  sendJobAfter(delayMs: number, message: PlaceJob): Promise<void> {
    return this.publish(this.declarations.topology.jobsRetry(delayMs), encode(message));
  }

  /** A command for one host's agent (its queue is declared first). */
  async sendToHost(nodeId: string, command: AgentCommand, headers: Record<string, string> = {}): Promise<void> {
    await this.publish(await this.declarations.nodeQueue(nodeId), encode(command), headers);
  }

  /**
   * What happened to a job on a host: to the reports exchange under the host's node id, stamped with the user the
   * connection logged in as (the broker refuses a `user_id` that is not), which the control plane checks.
   */
  sendOutcome(outcome: JobOutcome): Promise<void> {
    const topology = this.declarations.topology;
    return this.publishRaw(encode(outcome), {
      exchange: topology.reports,
      routingKey: reportKey(outcome.nodeId, 'outcome'),
      options: { persistent: true, messageId: randomUUID(), userId: this.broker.user },
    });
  }

  /** The answer to a request (see RequestReply). */
  sendReply(replyTo: string, correlationId: string, reply: HostReply | NodeReply): Promise<void> {
    return this.publishRaw(encode(reply), { routingKey: replyTo, options: { correlationId } });
  }

  publish(
    queue: string,
    body: Buffer,
    headers: Record<string, string> = {},
    messageId: string = randomUUID(),
  ): Promise<void> {
    return this.publishRaw(body, { routingKey: queue, options: { persistent: true, headers, messageId } });
  }

  /** Publishes to an exchange (the default one, which routes by queue name, unless said) and waits for the confirm. */
  async publishRaw(
    body: Buffer,
    to: { exchange?: string; routingKey: string; options: Options.Publish },
  ): Promise<void> {
    const channel = this.channel;
    if (!channel || this.closed) {
      throw new BrokerUnavailable('rabbitmq is not connected');
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new BrokerUnavailable(`rabbitmq did not confirm within ${CONFIRM_TIMEOUT_MS} ms`)),
        CONFIRM_TIMEOUT_MS,
      );
      const options = { contentType: 'application/json', ...to.options };
      channel.publish(to.exchange ?? '', to.routingKey, body, options, (err: unknown) => {
        clearTimeout(timer);
        if (err) {
          reject(new BrokerUnavailable(`rabbitmq did not confirm: ${describeError(err)}`));
        } else {
          resolve();
        }
      });
    });
  }
}
