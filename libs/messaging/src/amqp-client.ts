import { randomUUID } from 'node:crypto';
import { DELIVERY_LIMIT, handlerRetryDelayFor, MalformedMessage, RETRY_DELAYS_MS, Topology } from '@berth/contracts';
import {
  Channel,
  ChannelModel,
  ConfirmChannel,
  connect,
  ConsumeMessage,
  Options,
  RecoveringChannelModel,
} from 'amqplib';
import { DEAD_AT_HEADER, KIND_HEADER, QUEUE_HEADER, REASON_HEADER } from './dead-letters';

/** What a handler tells the client to do with the delivery it was given. */
export type HandlerResult = 'ack' | 'retry';

export type MessageHandler = (message: ConsumeMessage) => Promise<HandlerResult>;

export interface ConsumerOptions {
  /** Deliveries in flight at once on this consumer. */
  prefetch: number;
}

export interface Logger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The broker is unreachable; the caller should answer "try again later", never pretend success. */
export class BrokerUnavailable extends Error {
  override readonly name = 'BrokerUnavailable';
}

interface Consumer {
  queue: string;
  handler: MessageHandler;
  options: ConsumerOptions;
}

/** Quorum queues keep messages through a broker restart and dead-letter a message redelivered too often. */
export function queueArguments(topology: Topology): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': topology.deadLetterExchange,
    },
  };
}

/** Counts a message's failed handler runs across its trips through the delay queues. */
export const ATTEMPTS_HEADER = 'x-berth-attempts';

/** The dead-letter queue keeps what it holds: no delivery limit, no dead-letter exchange of its own. */
function deadLetterQueueArguments(): Options.AssertQueue {
  return { durable: true, arguments: { 'x-queue-type': 'quorum' } };
}
/** A publish the broker has not confirmed by then is reported as a failure (the broker may be blocked). */
const CONFIRM_TIMEOUT_MS = 10_000;

function pick(properties: Record<string, unknown>, names: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    if (typeof properties[name] === 'string') {
      picked[name] = properties[name];
    }
  }
  return picked;
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : JSON.stringify(err);
}

/**
 * RabbitMQ over amqplib with Berth's rules: every publish waits for the broker's confirm, every consumer acks
 * by hand after its handler's effect is recorded, and topology and consumers come back after every reconnect.
 * A message that cannot be decoded goes to the dead-letter queue with the reason, once; it never loops.
 */
export class AmqpClient {
  private model: ChannelModel | null = null;
  private publisher: ConfirmChannel | null = null;
  private readonly consumers: Consumer[] = [];
  private readonly assertedQueues = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly consuming: Array<{ channel: Channel; tag: string }> = [];
  private replies: Promise<Channel> | null = null;
  private readonly pendingReplies = new Map<string, (reply: Buffer) => void>();
  /** Set when close() begins: consumers take nothing new. */
  private draining = false;
  /** Set when close() has drained: nothing is published any more. */
  private closed = false;

  private constructor(
    private readonly connection: RecoveringChannelModel,
    readonly topology: Topology,
    private readonly logger: Logger,
  ) {}

  /**
   * Connects and keeps reconnecting with backoff for as long as the process lives. With `waitForConnection`
   * false it returns at once, so an HTTP service can come up and report itself not ready while the broker is away.
   */
  static async connect(
    url: string,
    topology: Topology,
    logger: Logger,
    options: { waitForConnection?: boolean } = {},
  ): Promise<AmqpClient> {
    let resolveClient: (client: AmqpClient) => void = () => undefined;
    const clientReady = new Promise<AmqpClient>((resolve) => (resolveClient = resolve));
    const connection = await connect(url, {
      recovery: {
        initialDelay: 200,
        maxDelay: 5000,
        waitForConnect: false,
        setup: async (model: ChannelModel) => (await clientReady).onConnect(model),
      },
    });
    const client = new AmqpClient(connection, topology, logger);
    resolveClient(client);
    connection.on('disconnect', (err: Error) => client.onDisconnect(err));
    connection.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) =>
      logger.warn(`rabbitmq: reconnecting in ${delay} ms (attempt ${attempt})`),
    );
    connection.on('error', (err: Error) => logger.warn(`rabbitmq: ${err.message}`));
    if (options.waitForConnection ?? true) {
      await connection.waitForConnect();
    }
    return client;
  }

  get connected(): boolean {
    return this.model !== null && this.publisher !== null;
  }

  /**
   * Sends one message to a queue and resolves only when the broker has confirmed it. Every message gets a
   * message id (a fresh one unless given), so identical messages stay distinct once dead-lettered.
   */
  async publish(
    queue: string,
    body: Buffer,
    headers: Record<string, string> = {},
    messageId: string = randomUUID(),
  ): Promise<void> {
    await this.publishRaw(queue, body, { persistent: true, headers, messageId });
  }

  private async publishRaw(queue: string, body: Buffer, options: Options.Publish): Promise<void> {
    const channel = this.publisher;
    if (!channel || this.closed) {
      throw new BrokerUnavailable('rabbitmq is not connected');
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new BrokerUnavailable(`rabbitmq did not confirm within ${CONFIRM_TIMEOUT_MS} ms`)),
        CONFIRM_TIMEOUT_MS,
      );
      channel.sendToQueue(queue, body, { contentType: 'application/json', ...options }, (err: unknown) => {
        clearTimeout(timer);
        if (err) {
          reject(new BrokerUnavailable(`rabbitmq did not confirm: ${describeError(err)}`));
        } else {
          resolve();
        }
      });
    });
  }

  /**
   * Sends a request to a queue and waits for its reply, over RabbitMQ's direct reply-to (no reply queue to
   * declare). Rejects with BrokerUnavailable when no reply comes in time (the host may be down).
   */
  async request(queue: string, body: Buffer, timeoutMs = 10_000): Promise<Buffer> {
    const channel = await this.replyChannel();
    const correlationId = randomUUID();
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingReplies.delete(correlationId);
        reject(new BrokerUnavailable(`no reply from ${queue} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingReplies.set(correlationId, (reply) => {
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

  /** Answers a request received by a consumer (see request()). */
  async reply(request: ConsumeMessage, body: Buffer): Promise<void> {
    const { replyTo, correlationId } = request.properties as { replyTo?: string; correlationId?: string };
    if (replyTo) {
      await this.publishRaw(replyTo, body, { correlationId: correlationId ?? '' });
    }
  }

  /** One reply channel per connection; concurrent first requests share its creation. */
  private replyChannel(): Promise<Channel> {
    this.replies ??= this.openReplyChannel().catch((err: unknown) => {
      this.replies = null;
      throw err;
    });
    return this.replies;
  }

  private async openReplyChannel(): Promise<Channel> {
    const model = this.model;
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
        const resolve = id ? this.pendingReplies.get(id) : undefined;
        if (id && resolve && message) {
          this.pendingReplies.delete(id);
          resolve(message.content);
        }
      },
      { noAck: true },
    );
    return channel;
  }

  /** Declares a host's queue once per connection, so a message sent to it is never unroutable. */
  async assertNodeQueue(nodeId: string): Promise<string> {
    const queue = this.topology.nodeQueue(nodeId);
    if (!this.assertedQueues.has(queue)) {
      const channel = this.publisher;
      if (!channel) {
        throw new BrokerUnavailable('rabbitmq is not connected');
      }
      await channel.assertQueue(queue, queueArguments(this.topology));
      this.assertedQueues.add(queue);
    }
    return queue;
  }

  /** Message and consumer counts of a queue, or null when it does not exist. */
  async queueStats(queue: string): Promise<{ messages: number; consumers: number } | null> {
    const model = this.model;
    if (!model) {
      throw new BrokerUnavailable('rabbitmq is not connected');
    }
    // A failed check closes its channel, so it gets one of its own.
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      const reply = await channel.checkQueue(queue);
      return { messages: reply.messageCount, consumers: reply.consumerCount };
    } catch {
      return null;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Registers a consumer; it starts now if connected and again after every reconnect. */
  async consume(queue: string, handler: MessageHandler, options: ConsumerOptions): Promise<void> {
    const consumer = { queue, handler, options };
    this.consumers.push(consumer);
    if (this.model) {
      await this.startConsumer(this.model, consumer);
    }
  }

  /**
   * Stops consuming, lets the handlers in flight finish (they may still publish, e.g. an agent's report) and
   * ack, then closes.
   */
  async close(): Promise<void> {
    this.draining = true;
    await Promise.allSettled(this.consuming.map(({ channel, tag }) => channel.cancel(tag)));
    await Promise.allSettled([...this.inFlight]);
    this.closed = true;
    await this.connection.close().catch(() => undefined);
    this.model = null;
    this.publisher = null;
  }

  private async onConnect(model: ChannelModel): Promise<void> {
    // amqplib's recovery listens for errors only once setup is done; an error before that must not crash us.
    model.on('error', (err: Error) => this.logger.warn(`rabbitmq: ${err.message}`));
    this.assertedQueues.clear();
    this.consuming.length = 0;
    this.replies = null;
    const publisher = await model.createConfirmChannel();
    publisher.on('error', (err: Error) => this.logger.warn(`rabbitmq publisher channel: ${err.message}`));
    publisher.on('close', () => {
      if (this.publisher === publisher) {
        this.publisher = null;
        this.restart(model, 'publisher channel closed');
      }
    });
    await this.assertTopology(publisher);
    this.model = model;
    this.publisher = publisher;
    // A consumer registered from here on starts itself (the model is set): only those registered before start here.
    for (const consumer of [...this.consumers]) {
      await this.startConsumer(model, consumer);
    }
    this.logger.log('rabbitmq: connected, topology asserted');
  }

  private onDisconnect(err: Error): void {
    this.model = null;
    this.publisher = null;
    if (!this.draining) {
      this.logger.warn(`rabbitmq: connection lost (${err.message})`);
    }
  }

  /**
   * A channel closed while its connection lives (a channel error, a consumer the broker cancelled): closing the
   * connection hands the problem to amqplib's recovery, which reconnects and runs onConnect again.
   */
  private restart(model: ChannelModel, why: string): void {
    if (this.draining || this.model !== model) {
      return;
    }
    this.logger.warn(`rabbitmq: ${why}; reconnecting`);
    this.model = null;
    this.publisher = null;
    model.close().catch(() => undefined);
  }

  private async assertTopology(channel: ConfirmChannel): Promise<void> {
    const t = this.topology;
    await channel.assertExchange(t.deadLetterExchange, 'fanout', { durable: true });
    await channel.assertQueue(t.deadLetters, deadLetterQueueArguments());
    await channel.bindQueue(t.deadLetters, t.deadLetterExchange, '');
    await channel.assertQueue(t.jobs, queueArguments(t));
    await channel.assertQueue(t.outcomes, queueArguments(t));
    for (const delay of RETRY_DELAYS_MS) {
      // Nobody consumes a waiting tier: a message sits out its delay, then is dead-lettered back to `jobs`.
      await channel.assertQueue(t.jobsRetry(delay), {
        durable: true,
        arguments: { 'x-message-ttl': delay, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': t.jobs },
      });
    }
  }

  private async startConsumer(model: ChannelModel, consumer: Consumer): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (err: Error) => this.logger.warn(`rabbitmq consumer ${consumer.queue}: ${err.message}`));
    channel.on('close', () => this.restart(model, `consumer channel of ${consumer.queue} closed`));
    await channel.assertQueue(
      consumer.queue,
      consumer.queue === this.topology.deadLetters ? deadLetterQueueArguments() : queueArguments(this.topology),
    );
    await channel.prefetch(consumer.options.prefetch);
    const { consumerTag } = await channel.consume(
      consumer.queue,
      (message) => {
        if (!message) {
          this.restart(model, `the broker cancelled the consumer of ${consumer.queue}`);
          return;
        }
        const work = this.handle(consumer, message)
          .then((result) => {
            if (result === 'ack') {
              channel.ack(message);
            } else {
              channel.nack(message, false, true);
            }
          })
          .catch((err: unknown) => this.logger.warn(`rabbitmq: could not settle a delivery: ${String(err)}`));
        this.inFlight.add(work);
        void work.finally(() => this.inFlight.delete(work));
      },
      { noAck: false },
    );
    this.consuming.push({ channel, tag: consumerTag });
  }

  /**
   * Runs the handler. Malformed input is dead-lettered with its reason. Any other failure sends a copy of the
   * message to a delay queue and acks the original once the copy is confirmed, so nothing is held open while it
   * waits; after DELIVERY_LIMIT failures it is dead-lettered with the last error. Nothing is dead-lettered from the
   * dead-letter queue itself, so nothing loops. When even that cannot be published (the broker is going away), the
   * delivery goes back to the queue after a pause.
   */
  private async handle(consumer: Consumer, message: ConsumeMessage): Promise<HandlerResult> {
    try {
      return await consumer.handler(message);
    } catch (err) {
      const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
      const mayDeadLetter = consumer.queue !== this.topology.deadLetters;
      try {
        if (err instanceof MalformedMessage && mayDeadLetter) {
          await this.deadLetter(consumer.queue, message, err.message, 'malformed');
          return 'ack';
        }
        const failures = Number(headers[ATTEMPTS_HEADER] ?? 0) + 1;
        const error = err instanceof Error ? err.message : String(err);
        if (failures >= DELIVERY_LIMIT && mayDeadLetter) {
          await this.deadLetter(
            consumer.queue,
            message,
            `failed ${failures} times (delivery limit of ${consumer.queue}); last error: ${error}`,
            'delivery-limit',
          );
          return 'ack';
        }
        const delay = handlerRetryDelayFor(failures);
        this.logger.error(
          `rabbitmq: handler for ${consumer.queue} failed (${failures}/${DELIVERY_LIMIT}), retrying in ${delay} ms: ${(err as Error).stack ?? error}`,
        );
        const retryQueue = await this.assertHandlerRetryQueue(consumer.queue, delay);
        await this.publishRaw(retryQueue, message.content, {
          persistent: true,
          contentType: message.properties.contentType as string | undefined,
          headers: { ...headers, [ATTEMPTS_HEADER]: Math.min(failures, DELIVERY_LIMIT) },
          // A request (fetch-logs) keeps where its answer goes.
          ...pick(message.properties as unknown as Record<string, unknown>, ['messageId', 'replyTo', 'correlationId']),
        });
        return 'ack';
      } catch (settleErr) {
        this.logger.warn(`rabbitmq: could not set a failed message aside (${String(settleErr)}); requeueing it`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return 'retry';
      }
    }
  }

  /**
   * Hands a message to the dead-letter queue with why and whence. It keeps its message id (or has none), so
   * when it is dead-lettered twice (a crash before the ack) both copies are one record.
   */
  private async deadLetter(
    queue: string,
    message: ConsumeMessage,
    reason: string,
    kind: 'malformed' | 'delivery-limit',
  ): Promise<void> {
    this.logger.warn(`rabbitmq: dead-lettering a message from ${queue}: ${reason}`);
    const messageId = message.properties.messageId as string | undefined;
    await this.publishRaw(this.topology.deadLetters, message.content, {
      persistent: true,
      headers: {
        [REASON_HEADER]: reason,
        [QUEUE_HEADER]: queue,
        [KIND_HEADER]: kind,
        [DEAD_AT_HEADER]: new Date().toISOString(),
      },
      ...(messageId !== undefined ? { messageId } : {}),
    });
  }

  /** The delay queue of one consumer queue and one delay; it hands messages back to that queue when they expire. */
  private async assertHandlerRetryQueue(queue: string, delayMs: number): Promise<string> {
    const name = this.topology.handlerRetry(queue, delayMs);
    if (!this.assertedQueues.has(name)) {
      const channel = this.publisher;
      if (!channel) {
        throw new BrokerUnavailable('rabbitmq is not connected');
      }
      await channel.assertQueue(name, {
        durable: true,
        arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
      });
      this.assertedQueues.add(name);
    }
    return name;
  }
}
