import { DELIVERY_LIMIT, ReportKind, RETRY_DELAYS_MS, Topology } from '@berth/contracts';
import { Channel, ChannelModel, Options } from 'amqplib';
import { BrokerConnection, BrokerUnavailable, ConnectionPart } from './connection';

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

/** The dead-letter queue keeps what it holds: no delivery limit, no dead-letter exchange of its own. */
export function deadLetterQueueArguments(): Options.AssertQueue {
  return { durable: true, arguments: { 'x-queue-type': 'quorum' } };
}

/**
 * A queue nobody consumes: a message sits out its delay there, then goes back to `queue`. It is a quorum queue
 * that dead-letters at least once: the broker hands an expired message back with a confirm of its own and keeps
 * it until then, where a classic queue's hand-back is at most once and a broker crash in it loses the message (a
 * job waiting for room, answered 202). RabbitMQ allows that strategy only with `reject-publish` overflow.
 */
function delayQueueArguments(queue: string, delayMs: number): Options.AssertQueue {
  return {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-message-ttl': delayMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
  };
}

/**
 * Berth's topology on the broker, declared in one place: the exchange and queues every service needs, asserted on
 * every (re)connect, and the queues declared on first use (each host's, each delay queue), once per connection.
 * An agent (`agentOf` set) declares nothing: its user may not, and the control plane declares its host's queue.
 */
export class Declarations implements ConnectionPart {
  private channel: Channel | null = null;
  private readonly asserted = new Set<string>();

  constructor(
    private readonly broker: BrokerConnection,
    readonly topology: Topology,
    /** The node id of the agent this connection serves; undefined for the control plane. */
    readonly agentOf?: string,
  ) {}

  async attach(model: ChannelModel): Promise<void> {
    this.asserted.clear();
    const channel = await model.createChannel();
    this.broker.supervise(model, channel, 'declarations', () => {
      const inUse = this.channel === channel;
      this.channel = inUse ? null : this.channel;
      return inUse;
    });
    if (this.agentOf !== undefined) {
      this.channel = channel;
      return;
    }
    const t = this.topology;
    await channel.assertExchange(t.deadLetterExchange, 'fanout', { durable: true });
    await channel.assertQueue(t.deadLetters, deadLetterQueueArguments());
    await channel.bindQueue(t.deadLetters, t.deadLetterExchange, '');
    await channel.assertQueue(t.jobs, queueArguments(t));
    await channel.assertQueue(t.outcomes, queueArguments(t));
    // Agents publish only here, each under its own node id (topic permissions), never to a queue directly.
    await channel.assertExchange(t.reports, 'topic', { durable: true });
    await channel.bindQueue(t.outcomes, t.reports, `#.${'outcome' satisfies ReportKind}`);
    await channel.assertQueue(t.nodeRequests, queueArguments(t));
    await channel.bindQueue(t.nodeRequests, t.reports, `#.${'request' satisfies ReportKind}`);
    for (const delay of RETRY_DELAYS_MS) {
      // The waiting tiers of jobs that found no room: each hands its messages back to `jobs` after its delay.
      await channel.assertQueue(t.jobsRetry(delay), delayQueueArguments(t.jobs, delay));
    }
    this.channel = channel;
  }

  detach(): void {
    this.channel = null;
  }

  /** The arguments a consumed queue is declared with. */
  argumentsOf(queue: string): Options.AssertQueue {
    return queue === this.topology.deadLetters ? deadLetterQueueArguments() : queueArguments(this.topology);
  }

  /** A host's queue, declared first (by the control plane), so a message sent to it is never unroutable. */
  nodeQueue(nodeId: string): Promise<string> {
    const queue = this.topology.nodeQueue(nodeId);
    return this.agentOf !== undefined ? Promise.resolve(queue) : this.declare(queue, queueArguments(this.topology));
  }

  /**
   * Makes sure a queue about to be consumed exists as Berth declares it: the control plane asserts it; an agent,
   * which may not, checks it is there (a host not provisioned yet fails here, with the broker's word).
   */
  async ensureConsumable(channel: Channel, queue: string): Promise<void> {
    if (this.agentOf !== undefined) {
      await channel.checkQueue(queue);
    } else {
      await channel.assertQueue(queue, this.argumentsOf(queue));
    }
  }

  /** The delay queue of one consumer queue and one delay; it hands messages back to that queue when they expire. */
  handlerRetryQueue(queue: string, delayMs: number): Promise<string> {
    return this.declare(this.topology.handlerRetry(queue, delayMs), delayQueueArguments(queue, delayMs));
  }

  /** Message and consumer counts of a queue, or null when it does not exist. */
  async stats(queue: string): Promise<{ messages: number; consumers: number } | null> {
    const model = this.broker.model;
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

  private async declare(queue: string, options: Options.AssertQueue): Promise<string> {
    if (!this.asserted.has(queue)) {
      const channel = this.channel;
      if (!channel) {
        throw new BrokerUnavailable('rabbitmq is not connected');
      }
      await channel.assertQueue(queue, options);
      this.asserted.add(queue);
    }
    return queue;
  }
}
