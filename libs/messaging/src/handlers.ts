import { QueueContract } from '@berth/contracts';
import type { ConsumeMessage } from 'amqplib';

/** One delivery, as a handler sees it beside the decoded message. */
export interface Delivery {
  readonly content: Buffer;
  readonly properties: ConsumeMessage['properties'];
  /** Failed handler runs of this message so far (its trips through the delay queues). */
  readonly attempts: number;
}

/**
 * Handles one kind of message. Resolving acks the delivery; throwing sends it to a delay queue to be tried again
 * (dead-lettered after the delivery limit), or dead-letters it at once when it is a MalformedMessage.
 */
export interface MessageHandler<M extends { type: string }, K extends M['type'] = M['type']> {
  readonly kind: K;
  handle(message: Extract<M, { type: K }>, delivery: Delivery): Promise<void>;
}

/** Any handler of some kind of M: what a consumer is given, one per kind. */
export type HandlerOf<M extends { type: string }> = { [K in M['type']]: MessageHandler<M, K> }[M['type']];

/** A service was wired without a handler for a kind of message its queue carries, or with two: it must not boot. */
export class HandlerWiringError extends Error {
  override readonly name = 'HandlerWiringError';
}

/** The handler of each kind a queue carries; throws HandlerWiringError when one is missing or doubled. */
export function handlerRegistry<M extends { type: string }>(
  contract: QueueContract<M>,
  handlers: readonly HandlerOf<M>[],
): ReadonlyMap<M['type'], HandlerOf<M>> {
  const byKind = new Map<M['type'], HandlerOf<M>>();
  for (const handler of handlers) {
    if (!contract.kinds.includes(handler.kind)) {
      throw new HandlerWiringError(`the ${contract.name} queue carries no '${handler.kind}' messages`);
    }
    if (byKind.has(handler.kind)) {
      throw new HandlerWiringError(`two handlers for '${handler.kind}' on the ${contract.name} queue`);
    }
    byKind.set(handler.kind, handler);
  }
  const missing = contract.kinds.filter((kind) => !byKind.has(kind));
  if (missing.length > 0) {
    throw new HandlerWiringError(
      `no handler for ${missing.map((k) => `'${k}'`).join(', ')} on the ${contract.name} queue`,
    );
  }
  return byKind;
}
