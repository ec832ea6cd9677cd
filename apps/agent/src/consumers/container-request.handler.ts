import { AgentCommand, ContainerRequest } from '@berth/contracts';
import { Delivery, MessageHandler, RequestReply } from '@berth/messaging';
import { AgentService } from '../services/agent.service';

/**
 * stop, kill or inspect a container, for the Engine API: done at once and answered to whoever asked (the gateway).
 * Docker's refusals are answers too (a 404, a 409), never retries.
 */
export class ContainerRequestHandler<K extends ContainerRequest['type']> implements MessageHandler<AgentCommand, K> {
  constructor(
    readonly kind: K,
    private readonly agent: AgentService,
    private readonly requests: RequestReply,
  ) {}

  async handle(request: Extract<AgentCommand, { type: K }>, delivery: Delivery): Promise<void> {
    await this.requests.reply(delivery, await this.agent.containerRequest(request));
  }
}
