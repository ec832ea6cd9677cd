import { AgentCommand, encode, LogsReply } from '@berth/contracts';
import { Channel, ChannelModel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { BrokerConnection, BrokerUnavailable, ConnectionPart } from './connection';
import { Declarations } from './declarations';
import { Delivery } from './handlers';
import { Publisher } from './publisher';

/**
 * Requests that wait for an answer, over RabbitMQ's direct reply-to (no reply queue to declare): one reply channel
 * per connection, opened on the first request.
 */
export class RequestReply implements ConnectionPart {
  private replies: Promise<Channel> | null = null;
  private readonly pending = new Map<string, (reply: Buffer) => void>();

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
   * Sends a request to a host's agent and waits for its reply; BrokerUnavailable when none comes in time (the host
   * may be down).
   */
  async askHost(nodeId: string, request: AgentCommand, timeoutMs = 10_000): Promise<Buffer> {
    const queue = await this.declarations.nodeQueue(nodeId);
    const channel = await this.replyChannel();
    const body = encode(request);
    const correlationId = randomUUID();
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new BrokerUnavailable(`no reply from ${queue} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      channel.sendToQueue(queue, body, {
        replyTo: 'amq.rabbitmq.reply-to',
        correlationId,
        contentType: 'application/json',
        expiration: String(timeoutMs),
      });
    });
  }

  /** Answers a request a consumer received. */
  async reply(request: Delivery, reply: LogsReply): Promise<void> {
    const { replyTo, correlationId } = request.properties as { replyTo?: string; correlationId?: string };
    if (replyTo) {
      await this.publisher.sendReply(replyTo, correlationId ?? '', reply);
    }
  }

  /** Concurrent first requests share the channel's creation. */
  private replyChannel(): Promise<Channel> {
    this.replies ??= this.openReplyChannel().catch((err: unknown) => {
      this.replies = null;
      throw err;
    });
    return this.replies;
  }

  private async openReplyChannel(): Promise<Channel> {
    const model = this.broker.model;
    if (!model) {
      throw new BrokerUnavailable('rabbitmq is not connected');
    }
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => {
      this.replies = null;
    });
    await channel.consume(
      'amq.rabbitmq.reply-to',
      (message) => {
        const id = message?.properties.correlationId as string | undefined;
        const resolve = id ? this.pending.get(id) : undefined;
        if (id && resolve && message) {
          this.pending.delete(id);
          resolve(message.content);
        }
      },
      { noAck: true },
    );
    return channel;
  }
}
