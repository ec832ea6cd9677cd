/** Thrown when a message on the wire is not what its contract says; such a message is dead-lettered, never retried. */
export class MalformedMessage extends Error {
  override readonly name = 'MalformedMessage';
}

type Json = Record<string, unknown>;

export function parseJson(raw: Buffer | string): Json {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString());
  } catch (err) {
    throw new MalformedMessage(`not JSON: ${(err as Error).message}`);
  }
  return asObject(value, 'message');
}

export function asObject(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedMessage(`${field} must be an object`);
  }
  return value as Json;
}

export function asString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new MalformedMessage(`${field} must be a non-empty string`);
  }
  return value;
}

export function asOptionalString(value: unknown, field: string): string | undefined {
  return value === undefined || value === null ? undefined : asString(value, field);
}

export function asPositiveInt(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new MalformedMessage(`${field} must be a positive integer`);
  }
  return value;
}

export function asNonNegativeInt(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new MalformedMessage(`${field} must be a non-negative integer`);
  }
  return value;
}

export function asStringArray(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new MalformedMessage(`${field} must be an array of strings`);
  }
  return value as string[];
}

export function asStringMap(value: unknown, field: string): Record<string, string> {
  const obj = asObject(value, field);
  for (const [key, item] of Object.entries(obj)) {
    if (typeof item !== 'string') {
      throw new MalformedMessage(`${field}.${key} must be a string`);
    }
  }
  return obj as Record<string, string>;
}

export function asOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new MalformedMessage(`${field} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}
