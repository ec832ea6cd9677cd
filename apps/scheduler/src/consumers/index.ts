import { JobOutcome, PlaceJob, Topology } from '@berth/contracts';
import { fromItsAgent } from './agent-identity';
import { HandlerOf } from '@berth/messaging';
import { PlacementService } from '../services/placement.service';
import { ContainerExitedHandler } from './container-exited.handler';
import { ContainerFailedHandler } from './container-failed.handler';
import { ContainerRemovedHandler } from './container-removed.handler';
import { ContainerRunningHandler } from './container-running.handler';
import { ImagePullingHandler } from './image-pulling.handler';
import { OutcomeDependencies } from './outcome';
import { PlaceJobHandler } from './place-job.handler';

/** The scheduler's handlers of the jobs queue: one per kind of message it carries. */
export function jobHandlers(placement: PlacementService): HandlerOf<PlaceJob>[] {
  return [new PlaceJobHandler(placement)];
}

/**
 * The scheduler's handlers of the outcomes queue: one per kind of report an agent sends, each acting only on
 * reports from the agent of the host they name.
 */
export function outcomeHandlers(deps: OutcomeDependencies, topology: Topology): HandlerOf<JobOutcome>[] {
  return [
    new ContainerRunningHandler(deps),
    new ImagePullingHandler(deps),
    new ContainerExitedHandler(deps),
    new ContainerFailedHandler(deps),
    new ContainerRemovedHandler(deps),
  ].map((handler) => fromItsAgent(handler, topology));
}

export { nodeRequestHandlers } from './node-request.handler';
