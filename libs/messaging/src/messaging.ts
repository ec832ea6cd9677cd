import { Topology } from '@berth/contracts';
import { BrokerConnection, Logger } from './connection';
import { Consumers } from './consumers';
import { Declarations } from './declarations';
import { Publisher } from './publisher';
import { RequestReply } from './request-reply';

/**
 * RabbitMQ with Berth's rules, in parts: the connection and its recovery, the topology, a confirming publisher,
 * consumers with the retry and dead-letter policy, and request/reply. A service uses the parts it needs.
 */
export class Messaging {
  private constructor(
    readonly broker: BrokerConnection,
    readonly declarations: Declarations,
    readonly publisher: Publisher,
    readonly consumers: Consumers,
    readonly requests: RequestReply,
  ) {}

  /**
   * Connects and keeps reconnecting with backoff for as long as the process lives. With `waitForConnection`
   * false it returns at once, so an HTTP service can come up and report itself not ready while the broker is away.
   */
  static async connect(
    url: string,
    topology: Topology,
    logger: Logger,
    /** `agentOf`: the node id of the agent this connection serves (it declares nothing; see Declarations). */
    options: { waitForConnection?: boolean; agentOf?: string } = {},
  ): Promise<Messaging> {
    let parts: [Declarations, Publisher, Consumers, RequestReply] | null = null;
    const broker = await BrokerConnection.open(
      url,
      logger,
      (connection) => {
        const declarations = new Declarations(connection, topology, options.agentOf);
        const publisher = new Publisher(connection, declarations);
        parts = [
          declarations,
          publisher,
          new Consumers(connection, declarations, publisher),
          new RequestReply(connection, publisher, declarations),
        ];
        // Attached in this order on every connect: the topology before anything uses it, consumers last.
        return [parts[0], parts[1], parts[3], parts[2]];
      },
      options,
    );
    const [declarations, publisher, consumers, requests] = parts!;
    return new Messaging(broker, declarations, publisher, consumers, requests);
  }

  get topology(): Topology {
    return this.declarations.topology;
  }

  get connected(): boolean {
    return this.broker.model !== null && this.publisher.ready;
  }

  /**
   * Stops consuming, lets the handlers in flight finish (they may still publish, e.g. an agent's report) and
   * ack, then closes.
   */
  async close(): Promise<void> {
    await this.broker.close(async () => {
      await this.consumers.drain();
      this.publisher.stop();
    });
  }
}
