import { AgentCommand } from '@berth/contracts';
import { HandlerOf, RequestReply } from '@berth/messaging';
import { AgentService } from '../services/agent.service';
import { ContainerRequestHandler } from './container-request.handler';
import { FetchLogsHandler } from './fetch-logs.handler';
import { PullImageHandler } from './pull-image.handler';
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
    new ContainerRequestHandler('stop-container', agent, requests),
    new ContainerRequestHandler('kill-container', agent, requests),
    new ContainerRequestHandler('restart-container', agent, requests),
    new ContainerRequestHandler('inspect-container', agent, requests),
    new PullImageHandler(agent, requests),
  ];
}
