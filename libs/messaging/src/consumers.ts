import { DELIVERY_LIMIT, handlerRetryDelayFor, MalformedMessage, QueueContract } from '@berth/contracts';
import { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { BrokerConnection, ConnectionPart } from './connection';
import { DEAD_AT_HEADER, KIND_HEADER, QUEUE_HEADER, REASON_HEADER } from './dead-letters';
import { Declarations } from './declarations';
import { Delivery, HandlerOf, handlerRegistry } from './handlers';
import { Publisher } from './publisher';

/** Counts a message's failed handler runs across its trips through the delay queues. */
export const ATTEMPTS_HEADER = 'x-berth-attempts';

export interface ConsumerOptions {
  /** Deliveries in flight at once on this consumer. */
  prefetch: number;
}

/** How a delivery is settled: acked, back to its queue, or rejected to the queue's dead-letter exchange. */
type Settlement = 'ack' | 'requeue' | 'reject';

interface Consumer {
  queue: string;
  run(message: ConsumeMessage): Promise<void>;
  options: ConsumerOptions;
}

function pick(properties: Record<string, unknown>, names: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    if (typeof properties[name] === 'string') {
      picked[name] = properties[name];
    }
  }
  return picked;
}

/**
 * Consumers and their retry and dead-letter policy. Each consumer acks by hand, after its handler's effect is
 * recorded; consumers come back after every reconnect. A message that cannot be decoded goes to the dead-letter
 * queue with the reason, once; a handler that fails sends its message to a delay queue and acks it, so no
 * delivery is held open while it waits, and after DELIVERY_LIMIT failures it is dead-lettered with the last error.
 */
export class Consumers implements ConnectionPart {
  private model: ChannelModel | null = null;
  private readonly consumers: Consumer[] = [];
  private readonly consuming: Array<{ channel: Channel; tag: string }> = [];
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly broker: BrokerConnection,
    private readonly declarations: Declarations,
    private readonly publisher: Publisher,
  ) {}

  /**
   * Consumes a queue: each message is decoded by the queue's contract and handed to the handler of its kind.
   * Refuses (HandlerWiringError, before anything is consumed) when a kind the queue carries has no handler.
   */
  async consume<M extends { type: string }>(
    queue: string,
    contract: QueueContract<M>,
    handlers: readonly HandlerOf<M>[],
    options: ConsumerOptions,
  ): Promise<void> {
    const registry = handlerRegistry(contract, handlers);
    const consumer: Consumer = {
      queue,
      options,
      run: async (message) => {
        const decoded = contract.decode(message.content);
        const delivery: Delivery = {
          content: message.content,
          properties: message.properties,
          attempts: Number(message.properties.headers?.[ATTEMPTS_HEADER] ?? 0) || 0,
        };
        // The registry holds a handler for every kind the contract decodes.
        const handler = registry.get(decoded.type) as HandlerOf<M>;
        await handler.handle(decoded as never, delivery);
      },
    };
    this.consumers.push(consumer);
    if (this.model) {
      await this.start(this.model, consumer);
    }
  }

  async attach(model: ChannelModel): Promise<void> {
    this.consuming.length = 0;
    // A consumer registered from here on starts itself (the model is set): only those registered before start here.
    this.model = model;
    for (const consumer of [...this.consumers]) {
      await this.start(model, consumer);
    }
  }

  detach(): void {
    this.model = null;
  }

  /** Stops consuming and lets the handlers in flight finish (they may still publish, e.g. an agent's report). */
  async drain(): Promise<void> {
    await Promise.allSettled(this.consuming.map(({ channel, tag }) => channel.cancel(tag)));
    await Promise.allSettled([...this.inFlight]);
  }

  private async start(model: ChannelModel, consumer: Consumer): Promise<void> {
    const channel = await model.createChannel();
    // A consumer channel is never replaced on its own: once it closes, the whole connection recovers.
    this.broker.supervise(model, channel, `consumer ${consumer.queue}`, () => true);
    await this.declarations.ensureConsumable(channel, consumer.queue);
    await channel.prefetch(consumer.options.prefetch);
    const { consumerTag } = await channel.consume(
      consumer.queue,
      (message) => {
        if (!message) {
          this.broker.restart(model, `the broker cancelled the consumer of ${consumer.queue}`);
          return;
        }
        const work = this.handle(consumer, message)
          .then((settled) => {
            if (settled === 'ack') {
              channel.ack(message);
            } else {
              channel.nack(message, false, settled === 'requeue');
            }
          })
          .catch((err: unknown) => this.broker.logger.warn(`rabbitmq: could not settle a delivery: ${String(err)}`));
        this.inFlight.add(work);
        void work.finally(() => this.inFlight.delete(work));
      },
      { noAck: false },
    );
    this.consuming.push({ channel, tag: consumerTag });
  }

  /**
   * Runs the handler and says how to settle the delivery. Malformed input is dead-lettered with its reason. Any
   * other failure sends a copy to a delay queue, acked once the copy is confirmed; after DELIVERY_LIMIT failures the
   * message is dead-lettered with the last error. Nothing is dead-lettered from the dead-letter queue itself, so
   * nothing loops. When even that cannot be published (the broker is going away), the delivery goes back to the
   * queue after a pause. An agent, which may publish nowhere but the reports exchange, leaves both to the broker:
   * see `settleInPlace`.
   */
  private async handle(consumer: Consumer, message: ConsumeMessage): Promise<Settlement> {
    try {
      await consumer.run(message);
      return 'ack';
    } catch (err) {
      if (this.declarations.agentOf !== undefined) {
        return this.settleInPlace(consumer, message, err);
      }
      const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
      const mayDeadLetter = consumer.queue !== this.declarations.topology.deadLetters;
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
        this.broker.logger.error(
          `rabbitmq: handler for ${consumer.queue} failed (${failures}/${DELIVERY_LIMIT}), retrying in ${delay} ms: ${(err as Error).stack ?? error}`,
        );
        await this.publisher.publishRaw(message.content, {
          routingKey: await this.declarations.handlerRetryQueue(consumer.queue, delay),
          options: {
            persistent: true,
            contentType: message.properties.contentType as string | undefined,
            headers: { ...headers, [ATTEMPTS_HEADER]: Math.min(failures, DELIVERY_LIMIT) },
            // A request (fetch-logs) keeps where its answer goes.
            ...pick(message.properties as unknown as Record<string, unknown>, [
              'messageId',
              'replyTo',
              'correlationId',
            ]),
          },
        });
        return 'ack';
      } catch (settleErr) {
        this.broker.logger.warn(`rabbitmq: could not set a failed message aside (${String(settleErr)}); requeueing it`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return 'requeue';
      }
    }
  }

  /**
   * An agent's failed delivery: malformed input is rejected, and the queue's dead-letter exchange keeps it; any
   * other failure waits out the retry delay holding its delivery, then goes back to the queue, whose delivery limit
   * (`x-delivery-limit`, counted by the broker) dead-letters it after DELIVERY_LIMIT deliveries.
   */
  private async settleInPlace(consumer: Consumer, message: ConsumeMessage, err: unknown): Promise<Settlement> {
    const error = err instanceof Error ? err.message : String(err);
    if (err instanceof MalformedMessage) {
      this.broker.logger.warn(
        `rabbitmq: rejecting a malformed message from ${consumer.queue} (dead-lettered): ${error}`,
      );
      return 'reject';
    }
    const deliveries = Number(message.properties.headers?.['x-delivery-count'] ?? 0) + 1;
    const delay = handlerRetryDelayFor(deliveries);
    this.broker.logger.error(
      `rabbitmq: handler for ${consumer.queue} failed (delivery ${deliveries}/${DELIVERY_LIMIT}), retrying in ${delay} ms: ${(err as Error).stack ?? error}`,
    );
    await new Promise((resolve) => setTimeout(resolve, delay));
    return 'requeue';
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
    this.broker.logger.warn(`rabbitmq: dead-lettering a message from ${queue}: ${reason}`);
    const messageId = message.properties.messageId as string | undefined;
    await this.publisher.publishRaw(message.content, {
      routingKey: this.declarations.topology.deadLetters,
      options: {
        persistent: true,
        headers: {
          [REASON_HEADER]: reason,
          [QUEUE_HEADER]: queue,
          [KIND_HEADER]: kind,
          [DEAD_AT_HEADER]: new Date().toISOString(),
        },
        ...(messageId !== undefined ? { messageId } : {}),
      },
    });
  }
}
