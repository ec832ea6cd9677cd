import { JobOutcome, Topology } from '@berth/contracts';
import { Delivery, HandlerOf } from '@berth/messaging';
import { Logger } from '@nestjs/common';

/**
 * Whether a delivery comes from the agent of `nodeId`: the broker refuses a publish whose `user_id` is not the
 * user that published it, and each host's agent has a user of its own, so this is NodeRestriction's check.
 */
export function isFromAgentOf(delivery: Delivery, nodeId: string, topology: Topology): boolean {
  return delivery.properties.userId === topology.agentUser(nodeId);
}

/** A report about another host than its sender's: logged and dropped (acked), the job unchanged. */
export function describeImposter(delivery: Delivery, nodeId: string, what: string): string {
  const user = String(delivery.properties.userId ?? 'no user_id');
  return `ignored ${what} for host ${nodeId} from RabbitMQ user ${user}: only that host's agent may send it`;
}

/** An outcome handler that acts only on reports its host's own agent sent. */
export function fromItsAgent(handler: HandlerOf<JobOutcome>, topology: Topology): HandlerOf<JobOutcome> {
  const logger = new Logger('AgentIdentity');
  const guarded: HandlerOf<JobOutcome> = {
    kind: handler.kind,
    handle: (outcome: JobOutcome, delivery: Delivery) => {
      if (!isFromAgentOf(delivery, outcome.nodeId, topology)) {
        logger.warn(describeImposter(delivery, outcome.nodeId, `${outcome.type} of job ${outcome.jobId}`));
        return Promise.resolve();
      }
      return handler.handle(outcome as never, delivery);
    },
  };
  return guarded;
}
