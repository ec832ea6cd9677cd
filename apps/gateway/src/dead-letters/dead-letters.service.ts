import { GatewayMetrics } from '@berth/metrics';
import { DeadLetterRecord, DeadLetterSummary, queueRoleOf } from '@berth/contracts';
import {
  DEAD_LETTER_ID,
  Declarations,
  Delivery,
  originalBody,
  Publisher,
  RETRY_OF_HEADER,
  toDeadLetterRecord,
} from '@berth/messaging';
import { DeadLetterStore } from '@berth/state';
import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { problem } from '../common/problem';
import { ListDeadLettersQuery } from './dto/list-dead-letters.query';

/** A retry holds its dead letter this long at most (the publish gives up after 10 s). */
const RETRY_LOCK_MS = 30_000;

export interface RetryResult {
  id: string;
  action: 'republished';
  /** Where the body went: the queue it was dead-lettered from. */
  queue: string;
  bodyBytes: number;
  /** The record is gone; should the message fail again, it comes back as a new dead letter. */
  deleted: true;
}

/**
 * Keeps what lands in the dead-letter queue: each delivery is stored in Redis (once, however often it is
 * delivered) and only then acked, and logged. Operators list them, retry them (the body goes back to the queue
 * it came from) or drop them.
 */
@Injectable()
export class DeadLettersService {
  private readonly logger = new Logger('DeadLetters');

  constructor(
    private readonly store: DeadLetterStore,
    private readonly publisher: Publisher,
    private readonly declarations: Declarations,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** Keeps one delivery of the dead-letter queue. Throws while Redis is away: it is then tried again later. */
  async receive(delivery: Delivery): Promise<void> {
    const record = toDeadLetterRecord(delivery.content, delivery.properties, new Date());
    if (await this.store.add(record)) {
      const queue = record.queue === null ? 'unknown' : queueRoleOf(this.declarations.topology, record.queue);
      this.metrics.deadLetters.inc({ queue });
      this.logger.warn(
        `dead letter ${record.id} from ${record.queue ?? 'an unknown queue'} (${record.bodyBytes} bytes): ${record.reason}`,
      );
    }
  }

  async list(query: ListDeadLettersQuery): Promise<{ items: DeadLetterSummary[]; count: number; total: number }> {
    const items = await this.store.list({ limit: query.limit ?? 100, queue: query.queue });
    return { items, count: items.length, total: await this.store.count() };
  }

  async get(id: string): Promise<DeadLetterRecord> {
    const record = DEAD_LETTER_ID.test(id) ? await this.store.get(id) : null;
    if (!record) {
      throw unknown(id);
    }
    return record;
  }

  /**
   * Publishes the original body to the queue it was dead-lettered from and, once RabbitMQ has confirmed it,
   * deletes the record. 409 when that queue is unknown, not this cluster's, or gone, or the body was cut.
   */
  async retry(id: string): Promise<RetryResult> {
    const record = await this.get(id);
    const queue = record.queue;
    if (queue === null) {
      throw conflict(
        `dead letter ${id} does not say which queue it came from; drop it instead`,
        'origin queue unknown',
      );
    }
    if (!this.isClusterQueue(queue)) {
      throw conflict(
        `dead letter ${id} came from ${queue}, which is not one of this cluster's queues`,
        'foreign queue',
      );
    }
    if (record.bodyTruncated) {
      throw conflict(
        `dead letter ${id} is ${record.bodyBytes} bytes; only its beginning was kept, so it cannot be sent again`,
        'body not kept in full',
      );
    }
    if (!(await this.store.claimRetry(id, RETRY_LOCK_MS))) {
      throw conflict(`dead letter ${id} is being retried right now`, 'retry in progress');
    }
    try {
      // A message sent to a queue that does not exist is confirmed and dropped: check first.
      if ((await this.declarations.stats(queue)) === null) {
        throw conflict(`queue ${queue}, where dead letter ${id} came from, no longer exists`, 'origin queue gone');
      }
      await this.publisher.publish(queue, originalBody(record), { [RETRY_OF_HEADER]: id });
      await this.store.delete(id);
    } finally {
      await this.store.releaseRetry(id).catch(() => undefined);
    }
    this.logger.log(`dead letter ${id} retried: sent back to ${queue}`);
    return { id, action: 'republished', queue, bodyBytes: record.bodyBytes, deleted: true };
  }

  async drop(id: string): Promise<void> {
    if (!DEAD_LETTER_ID.test(id) || !(await this.store.delete(id))) {
      throw unknown(id);
    }
    this.logger.log(`dead letter ${id} dropped`);
  }

  private isClusterQueue(queue: string): boolean {
    const t = this.declarations.topology;
    return queue === t.jobs || queue === t.outcomes || queue.startsWith(t.nodeQueue(''));
  }
}

function unknown(id: string): NotFoundException {
  return new NotFoundException(
    problem(404, `dead letter ${id} does not exist`, [{ field: 'id', message: 'unknown dead letter' }]),
  );
}

function conflict(detail: string, message: string): ConflictException {
  return new ConflictException(problem(409, detail, [{ field: 'id', message }]));
}
