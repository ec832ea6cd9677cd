import { DEAD_LETTERS_QUEUE } from '@berth/contracts';
import { Messaging } from '@berth/messaging';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { DeadLettersService } from '../dead-letters/dead-letters.service';
import { DeadLetterHandler } from './dead-letter.handler';

/** Dead letters taken off the queue at once. */
const DEAD_LETTER_PREFETCH = 16;

/** What the gateway consumes: the dead-letter queue, one handler per kind of message on it. */
@Injectable()
export class GatewayConsumers implements OnModuleInit {
  constructor(
    private readonly messaging: Messaging,
    private readonly deadLetters: DeadLettersService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.messaging.consumers.consume(
      this.messaging.topology.deadLetters,
      DEAD_LETTERS_QUEUE,
      [new DeadLetterHandler(this.deadLetters)],
      { prefetch: DEAD_LETTER_PREFETCH },
    );
  }
}
