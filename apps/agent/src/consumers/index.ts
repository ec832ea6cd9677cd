import { AgentCommand } from '@berth/contracts';
import { HandlerOf, RequestReply } from '@berth/messaging';
import { AgentService } from '../services/agent.service';
import { FetchLogsHandler } from './fetch-logs.handler';
import { CreateContainerHandler, RemoveContainerHandler } from './host-command.handler';

/** The agent's handlers of its host's queue: one per kind of command. */
export function hostCommandHandlers(
  agent: AgentService,
  requests: RequestReply,
  settleAfterMs: number,
): HandlerOf<AgentCommand>[] {
  return [
    new CreateContainerHandler(agent, settleAfterMs),
    new RemoveContainerHandler(agent, settleAfterMs),
    new FetchLogsHandler(agent, requests),
  ];
}
