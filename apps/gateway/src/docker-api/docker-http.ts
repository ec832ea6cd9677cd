import { HttpException } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The Engine API version Berth speaks: the docker CLI uses min(this, its own); CLIs from 29.0 need 1.44 or more. */
export const DOCKER_API_VERSION = '1.45';
export const DOCKER_MIN_API_VERSION = '1.24';

/**
 * An answer in Docker's error shape, `{"message": ...}`: the docker CLI prints it as "Error response from
 * daemon: <message>". (An empty body would print a misleading API-version hint instead.)
 */
export class DockerApiError extends Error {
  override readonly name = 'DockerApiError';
  constructor(
    readonly status: number,
    message: string,
    /** Sent with the answer (Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The same failure, said as Docker says it: Berth's services throw problem details (RFC 9457). */
export function dockerErrorFrom(err: unknown): DockerApiError {
  if (err instanceof DockerApiError) {
    return err;
  }
  if (err instanceof HttpException) {
    const body = err.getResponse() as { detail?: string; errors?: Array<{ field: string }> } | string;
    const detail = typeof body === 'string' ? body : (body.detail ?? err.message);
    return new DockerApiError(err.getStatus(), detail);
  }
  return new DockerApiError(500, `internal error: ${(err as Error).message ?? String(err)}`);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
}

/** The most a Docker API request body may hold: a create body is a few KiB. */
const MAX_BODY_BYTES = 1024 * 1024;

/** A request's JSON body (undefined when empty), read with a cap: a larger body is a 413, bad JSON a 400. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = chunk as Buffer;
    size += bytes.length;
    if (size > MAX_BODY_BYTES) {
      throw new DockerApiError(413, `the request body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    parts.push(bytes);
  }
  const text = Buffer.concat(parts).toString('utf8').trim();
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new DockerApiError(400, `the request body is not JSON: ${(err as Error).message}`);
  }
}

/** Docker's booleans in a query: `1`, `true` (any case); anything else, or absent, is false. */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value !== null && /^(1|true)$/i.test(value);
}

/** The `filters` query, as the CLI sends it: `{"label": {"a=b": true}}`, or the older `{"label": ["a=b"]}`. */
export function queryFilters(query: URLSearchParams): Map<string, string[]> {
  const raw = query.get('filters');
  const filters = new Map<string, string[]>();
  if (raw === null || raw.trim() === '') {
    return filters;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new DockerApiError(400, 'filters must be JSON, as the docker CLI sends it');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DockerApiError(400, 'filters must be a JSON object of filter names');
  }
  for (const [name, values] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(values) && values.every((v) => typeof v === 'string')) {
      filters.set(name, values);
    } else if (typeof values === 'object' && values !== null) {
      filters.set(
        name,
        Object.entries(values as Record<string, unknown>)
          .filter(([, on]) => on === true)
          .map(([value]) => value),
      );
    } else {
      throw new DockerApiError(400, `filters.${name} must be a list or a map of values`);
    }
  }
  return filters;
}
