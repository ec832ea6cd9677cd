import { Channel, ChannelModel, connect, RecoveringChannelModel } from 'amqplib';

export interface Logger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The broker is unreachable; the caller should answer "try again later", never pretend success. */
export class BrokerUnavailable extends Error {
  override readonly name = 'BrokerUnavailable';
}

/** A part of the client that lives on the connection: it is set up on every (re)connect and dropped on a loss. */
export interface ConnectionPart {
  attach(model: ChannelModel): Promise<void>;
  detach(): void;
}

/**
 * The connection to RabbitMQ and its recovery: amqplib reconnects with backoff for as long as the process lives,
 * and on each connect the parts are attached again, in the order they were added (topology first, consumers
 * last). A channel that closes while its connection lives hands the problem to the same recovery.
 */
export class BrokerConnection {
  private current: ChannelModel | null = null;
  private readonly parts: ConnectionPart[] = [];
  private closing = false;

  private constructor(
    private readonly connection: RecoveringChannelModel,
    readonly logger: Logger,
    /** The RabbitMQ user this connection authenticates as: what an agent stamps on its reports (`user_id`). */
    readonly user: string,
  ) {}

  /** Connects; with `waitForConnection` false it returns at once (an HTTP service comes up and says it is not ready). */
  static async open(
    url: string,
    logger: Logger,
    parts: (connection: BrokerConnection) => ConnectionPart[],
    options: { waitForConnection?: boolean } = {},
  ): Promise<BrokerConnection> {
    let resolveReady: (connection: BrokerConnection) => void = () => undefined;
    const ready = new Promise<BrokerConnection>((resolve) => (resolveReady = resolve));
    const connection = await connect(url, {
      recovery: {
        initialDelay: 200,
        maxDelay: 5000,
        waitForConnect: false,
        setup: async (model: ChannelModel) => (await ready).attach(model),
      },
    });
    const broker = new BrokerConnection(connection, logger, userOf(url));
    broker.parts.push(...parts(broker));
    resolveReady(broker);
    connection.on('disconnect', (err: Error) => broker.onDisconnect(err));
    connection.on('reconnect-scheduled', ({ attempt, delay }: { attempt: number; delay: number }) =>
      logger.warn(`rabbitmq: reconnecting in ${delay} ms (attempt ${attempt})`),
    );
    connection.on('error', (err: Error) => logger.warn(`rabbitmq: ${err.message}`));
    if (options.waitForConnection ?? true) {
      await connection.waitForConnect();
    }
    return broker;
  }

  /** The live connection, once every part is attached; null while away. */
  get model(): ChannelModel | null {
    return this.current;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /**
   * A channel closed while its connection lives (a channel error, a consumer the broker cancelled): closing the
   * connection hands the problem to amqplib's recovery, which reconnects and attaches every part again.
   */
  restart(model: ChannelModel, why: string): void {
    if (this.closing || this.current !== model) {
      return;
    }
    this.logger.warn(`rabbitmq: ${why}; reconnecting`);
    this.lose();
    model.close().catch(() => undefined);
  }

  /**
   * Logs a part's channel errors, and restarts the connection when the channel closes while the part still uses
   * it (`release` answers whether it did, and lets go of it).
   */
  supervise(model: ChannelModel, channel: Channel, part: string, release: () => boolean): void {
    channel.on('error', (err: Error) => this.logger.warn(`rabbitmq ${part} channel: ${err.message}`));
    channel.on('close', () => {
      if (release()) {
        this.restart(model, `${part} channel closed`);
      }
    });
  }

  /** Stops recovering and closes; `drain` runs first (consumers finish what is in flight). */
  async close(drain: () => Promise<void>): Promise<void> {
    this.closing = true;
    await drain();
    await this.connection.close().catch(() => undefined);
    this.lose();
  }

  private async attach(model: ChannelModel): Promise<void> {
    // amqplib's recovery listens for errors only once setup is done; an error before that must not crash us.
    model.on('error', (err: Error) => this.logger.warn(`rabbitmq: ${err.message}`));
    for (const part of this.parts) {
      await part.attach(model);
    }
    this.current = model;
    this.logger.log('rabbitmq: connected, topology asserted');
  }

  private onDisconnect(err: Error): void {
    this.lose();
    if (!this.closing) {
      this.logger.warn(`rabbitmq: connection lost (${err.message})`);
    }
  }

  private lose(): void {
    this.current = null;
    for (const part of this.parts) {
      part.detach();
    }
  }
}

/** The user a URL logs in as (amqplib, like RabbitMQ's clients, logs in as guest when the URL names none). */
export function userOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username) || 'guest';
  } catch {
    return 'guest';
  }
}
