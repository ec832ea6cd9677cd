import { MalformedMessage, parseJson } from './decode';
import { DEFAULT_NAMESPACE, NAMESPACE_NAME } from './access';
import { decodeObject, defaulted, literal, required, Schema, Stored, text } from './schema';

/** The `type` field every wire message starts with. */
export const kind = <K extends string>(type: K, doc: string) => required(literal(type), doc);

/** A job's namespace on the wire; defaulted, so a message queued before namespaces existed still decodes. */
export const namespaceField = (doc: string) =>
  defaulted(
    text({ maxLength: 63, pattern: NAMESPACE_NAME, message: 'must be a namespace name' }),
    DEFAULT_NAMESPACE,
    doc,
  );

/** The kinds of message one queue carries: a schema each, keyed by the message's `type`. */
export type Variants = Readonly<Record<string, Schema>>;
export type MessageOf<V extends Variants> = { [K in keyof V]: Stored<V[K]> }[keyof V];

/** Reads a message of one of the variants, refusing an unknown `type` or anything its schema does not describe. */
export function decoderOf<V extends Variants>(variants: V): (raw: Buffer) => MessageOf<V> {
  const kinds = Object.keys(variants);
  return (raw) => {
    const message = parseJson(raw);
    const type = message.type;
    if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(variants, type)) {
      throw new MalformedMessage(`type must be one of ${kinds.join(', ')}`);
    }
    return decodeObject(variants[type], message, '') as MessageOf<V>;
  };
}

/**
 * What a queue carries: every kind of message on it, and how to read one. A consumer is given one handler per
 * kind and refuses to start when one is missing.
 */
export interface QueueContract<M extends { type: string }> {
  readonly name: string;
  readonly kinds: readonly M['type'][];
  decode(content: Buffer): M;
}

export function contract<M extends { type: string }>(
  name: string,
  variants: Variants,
  decode: (content: Buffer) => M,
): QueueContract<M> {
  return { name, kinds: Object.keys(variants), decode };
}
