import { NODE_REQUEST_KINDS, NodeRequest, Topology } from '@berth/contracts';
import { Delivery, HandlerOf, MessageHandler, RequestReply } from '@berth/messaging';
import { Logger } from '@nestjs/common';
import { HostBooksService } from '../services/host-books.service';
import { describeImposter, isFromAgentOf } from './agent-identity';

/**
 * An agent's request about its host, answered over its reply-to. A request from anyone but that host's agent is
 * refused and logged. A failure to answer (Redis away) is answered too, as refused: the agent tries again, and
 * nothing waits in a delay queue for an asker that has given up.
 */
class NodeRequestHandler<K extends NodeRequest['type']> implements MessageHandler<NodeRequest, K> {
  private readonly logger = new Logger('NodeRequests');

  constructor(
    readonly kind: K,
    private readonly books: HostBooksService,
    private readonly requests: RequestReply,
    private readonly topology: Topology,
  ) {}

  async handle(request: Extract<NodeRequest, { type: K }>, delivery: Delivery): Promise<void> {
    if (!isFromAgentOf(delivery, request.nodeId, this.topology)) {
      const why = describeImposter(delivery, request.nodeId, request.type);
      this.logger.warn(why);
      return this.requests.reply(delivery, { type: 'refused', error: why, retryable: false });
    }
    const reply = await this.books.answer(request).catch((err: unknown) => {
      const error = `the control plane could not answer ${request.type}: ${err instanceof Error ? err.message : String(err)}`;
      this.logger.warn(`${request.nodeId}: ${error}`);
      return { type: 'refused' as const, error, retryable: true };
    });
    await this.requests.reply(delivery, reply);
  }
}

/** The scheduler's handlers of the node-requests queue: one per kind of request an agent sends. */
export function nodeRequestHandlers(
  books: HostBooksService,
  requests: RequestReply,
  topology: Topology,
): HandlerOf<NodeRequest>[] {
  return NODE_REQUEST_KINDS.map(
    (kind) => new NodeRequestHandler(kind, books, requests, topology) as unknown as HandlerOf<NodeRequest>,
  );
}
