import { AgentCommand, CreateContainer, RemoveContainer } from '@berth/contracts';
import { Delivery, MessageHandler } from '@berth/messaging';
import { AgentService } from '../services/agent.service';

/**
 * Creates or removes a job's container. A command still running after `settleAfterMs` (a long pull) has its
 * delivery acknowledged and carries on (see AgentService.handleOrHandOver).
 */
abstract class HostCommandHandler<K extends 'create-container' | 'remove-container'> implements MessageHandler<
  AgentCommand,
  K
> {
  abstract readonly kind: K;

  constructor(
    private readonly agent: AgentService,
    private readonly settleAfterMs: number,
  ) {}

  handle(command: Extract<AgentCommand, { type: K }>, delivery: Delivery): Promise<void> {
    return this.agent.handleOrHandOver(command, this.settleAfterMs, delivery.attempts);
  }
}

/** Create and start the job's container: idempotent, since the job id names the container. */
export class CreateContainerHandler extends HostCommandHandler<CreateContainer['type']> {
  readonly kind = 'create-container';
}

/** Stop and remove the job's container; one already gone counts as removed. */
export class RemoveContainerHandler extends HostCommandHandler<RemoveContainer['type']> {
  readonly kind = 'remove-container';
}
