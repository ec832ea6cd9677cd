import { DeadLetterDelivery } from '@berth/contracts';
import { Delivery, MessageHandler } from '@berth/messaging';
import { DeadLettersService } from '../dead-letters/dead-letters.service';

/** Whatever lands in the dead-letter queue is kept (once) for operators, then acked. */
export class DeadLetterHandler implements MessageHandler<DeadLetterDelivery, 'dead-letter'> {
  readonly kind = 'dead-letter';

  constructor(private readonly deadLetters: DeadLettersService) {}

  handle(_message: DeadLetterDelivery, delivery: Delivery): Promise<void> {
    return this.deadLetters.receive(delivery);
  }
}
