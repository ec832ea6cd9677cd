import {
  AgentCommand,
  HostReply,
  decodeNodeReply,
  encode,
  NodeReply,
  NodeRequest,
  ReportKind,
  reportKey,
} from '@berth/contracts';
import { Channel, ChannelModel, ConsumeMessage, Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { BrokerConnection, BrokerUnavailable, ConnectionPart } from './connection';
import { Declarations } from './declarations';
import { Delivery } from './handlers';
import { Publisher } from './publisher';

/** RabbitMQ's direct reply-to: answers come on the asking channel, with no queue to declare. */
const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

interface Pending {
  /** Takes one reply; true when it was the last one. */
  accept(reply: Buffer): boolean;
  /** The RabbitMQ user the answer must come from (a host's agent), if any. */
  from?: string;
}

/**
 * Requests that wait for an answer, one reply channel per connection, opened on the first request.
 * - An agent asks the control plane through the reports exchange and is answered over direct reply-to.
 * - The control plane asks an agent (fetch-logs) on the host's queue, and may be answered in several replies. An
 *   agent may publish nowhere but the reports exchange, under its node id, so the answers come back there, routed
 *   to the asker's own reply queue; they count only when they come from the agent of the host that was asked.
 */
export class RequestReply implements ConnectionPart {
  private replies: Promise<{ channel: Channel; replyTo: string }> | null = null;
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly broker: BrokerConnection,
    private readonly publisher: Publisher,
    private readonly declarations: Declarations,
  ) {}

  attach(_model: ChannelModel): Promise<void> {
    this.replies = null;
    return Promise.resolve();
  }

  detach(): void {
    this.replies = null;
  }

  /**
   * Sends a request to a host's agent and hands its replies, in the order they come, to `onReply` until it says
   * one was the last (or throws, which ends the stream with that error). Rejects with BrokerUnavailable when the
   * host stays silent for `idleMs`, before its first reply or between two.
   */
  async streamFromHost(
    nodeId: string,
    request: AgentCommand,
    onReply: (reply: Buffer) => boolean,
    idleMs = 10_000,
  ): Promise<void> {
    const queue = await this.declarations.nodeQueue(nodeId);
    const from = this.declarations.topology.agentUser(nodeId);
    return this.converse(
      (channel, options) => channel.sendToQueue(queue, encode(request), options),
      queue,
      idleMs,
      onReply,
      from,
    );
  }

  /**
   * An agent's request about its own host, to the control plane (through the reports exchange, under its node id,
   * stamped with its user); resolves with the answer, BrokerUnavailable when none comes in time.
   */
  async askControlPlane(request: NodeRequest, timeoutMs = 10_000): Promise<NodeReply> {
    const topology = this.declarations.topology;
    let reply: Buffer = Buffer.alloc(0);
    await this.converse(
      (channel, options) =>
        channel.publish(topology.reports, reportKey(request.nodeId, 'request'), encode(request), {
          ...options,
          userId: this.broker.user,
        }),
      `the control plane (${request.type})`,
      timeoutMs,
      (answer) => {
        reply = answer;
        return true;
      },
    );
    return decodeNodeReply(reply);
  }

  /** Answers a request a consumer received: an agent through the reports exchange, the control plane directly. */
  async reply(request: Delivery, reply: HostReply | NodeReply): Promise<void> {
    const { replyTo, correlationId } = request.properties as { replyTo?: string; correlationId?: string };
    if (!replyTo) {
      return;
    }
    const nodeId = this.declarations.agentOf;
    if (nodeId === undefined) {
      await this.publisher.sendReply(replyTo, correlationId ?? '', reply);
      return;
    }
    await this.publisher.publishRaw(encode(reply), {
      exchange: this.declarations.topology.reports,
      routingKey: `${reportKey(nodeId, 'reply')}.${replyTo}`,
      options: { correlationId, userId: this.broker.user },
    });
  }

  /**
   * Sends a request on the reply channel (direct reply-to answers only there) and takes its answers until
   * `accept` has the last one; each answer gives the other side `idleMs` more.
   */
  private async converse(
    send: (channel: Channel, options: Options.Publish) => void,
    whom: string,
    idleMs: number,
    accept: (reply: Buffer) => boolean,
    from?: string,
  ): Promise<void> {
    const { channel, replyTo } = await this.replyChannel();
    const correlationId = randomUUID();
    return new Promise<void>((resolve, reject) => {
      const silence = () =>
        setTimeout(() => {
          this.pending.delete(correlationId);
          reject(new BrokerUnavailable(`no reply from ${whom} within ${idleMs} ms`));
        }, idleMs);
      let timer = silence();
      const end = () => {
        clearTimeout(timer);
        this.pending.delete(correlationId);
      };
      this.pending.set(correlationId, {
        from,
        accept: (reply) => {
          clearTimeout(timer);
          try {
            if (accept(reply)) {
              end();
              resolve();
              return true;
            }
          } catch (err) {
            end();
            reject(err instanceof Error ? err : new Error(String(err)));
            return true;
          }
          timer = silence();
          return false;
        },
      });
      send(channel, { replyTo, correlationId, contentType: 'application/json', expiration: String(idleMs) });
    });
  }

  private onReply(message: ConsumeMessage | null): void {
    const id = message?.properties.correlationId as string | undefined;
    const pending = id ? this.pending.get(id) : undefined;
    if (!id || !pending || !message) {
      return;
    }
    if (pending.from !== undefined && message.properties.userId !== pending.from) {
      const user = String(message.properties.userId ?? 'no user_id');
      this.broker.logger.warn(`rabbitmq: ignored a reply from ${user}: only ${pending.from} may answer it`);
      return;
    }
    pending.accept(message.content);
  }

  /** Concurrent first requests share the channel's creation. */
  private replyChannel(): Promise<{ channel: Channel; replyTo: string }> {
    this.replies ??= this.openReplyChannel().catch((err: unknown) => {
      this.replies = null;
      throw err;
    });
    return this.replies;
  }

  private async openReplyChannel(): Promise<{ channel: Channel; replyTo: string }> {
    const model = this.broker.model;
    if (!model) {
      throw new BrokerUnavailable('rabbitmq is not connected');
    }
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => {
      this.replies = null;
    });
    if (this.declarations.agentOf !== undefined) {
      await channel.consume(DIRECT_REPLY_TO, (message) => this.onReply(message), { noAck: true });
      return { channel, replyTo: DIRECT_REPLY_TO };
    }
    // Agents answer through the reports exchange: a queue of this connection's own is bound there for them.
    const topology = this.declarations.topology;
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, topology.reports, `#.${'reply' satisfies ReportKind}.${queue}`);
    await channel.consume(queue, (message) => this.onReply(message), { noAck: true });
    return { channel, replyTo: queue };
  }
}
