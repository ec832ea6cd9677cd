import { AgentCommand, FetchLogs } from '@berth/contracts';
import { Delivery, MessageHandler, RequestReply } from '@berth/messaging';
import { AgentService } from '../services/agent.service';

/** A request for the container's recent output: answered to whoever asked (the gateway). */
export class FetchLogsHandler implements MessageHandler<AgentCommand, 'fetch-logs'> {
  readonly kind = 'fetch-logs';

  constructor(
    private readonly agent: AgentService,
    private readonly requests: RequestReply,
  ) {}

  async handle(command: FetchLogs, delivery: Delivery): Promise<void> {
    // In order, one after the other: the asker puts the chunks together by their sequence.
    for (const reply of await this.agent.logs(command)) {
      await this.requests.reply(delivery, reply);
    }
  }
}
