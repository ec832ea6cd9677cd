import { PlaceJob } from '@berth/contracts';
import { MessageHandler } from '@berth/messaging';
import { PlacementService } from '../services/placement.service';

/** A job to place: many at once (the prefetch), in this process and in other replicas. */
export class PlaceJobHandler implements MessageHandler<PlaceJob, 'place-job'> {
  readonly kind = 'place-job';

  constructor(private readonly placement: PlacementService) {}

  handle(message: PlaceJob): Promise<void> {
    return this.placement.handle(message);
  }
}
