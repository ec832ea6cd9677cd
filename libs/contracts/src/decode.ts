/** Thrown when a message on the wire is not what its contract says; such a message is dead-lettered, never retried. */
export class MalformedMessage extends Error {
  override readonly name = 'MalformedMessage';
}

/** A message body as a JSON object, or MalformedMessage. */
export function parseJson(raw: Buffer | string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString());
  } catch (err) {
    throw new MalformedMessage(`not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedMessage('message must be an object');
  }
  return value as Record<string, unknown>;
}
