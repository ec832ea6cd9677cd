import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The API's error shape (RFC 9457), as much of it as the CLI prints. */
interface Problem {
  status?: number;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
}

/** The server said no: its problem detail and field errors are what the user reads. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_API = 'http://127.0.0.1:8080';

/** Where the API is and who the CLI is: BERTH_API, BERTH_TOKEN, else the token `npm start` wrote. */
export interface Connection {
  api: string;
  token: string;
}

export function connectionFrom(env: NodeJS.ProcessEnv, checkout: string): Connection {
  const api = (env.BERTH_API ?? DEFAULT_API).replace(/\/+$/, '');
  let token = env.BERTH_TOKEN;
  const file = join(checkout, '.berth', 'admin-token');
  if (token === undefined && existsSync(file)) {
    token = readFileSync(file, 'utf8').trim();
  }
  if (!token) {
    throw new Error(`no token: set BERTH_TOKEN, or run npm start in this checkout (it writes ${file})`);
  }
  return { api, token };
}

function messageOf(status: number, body: string): string {
  try {
    const problem = JSON.parse(body) as Problem;
    const fields = (problem.errors ?? []).map((e) => `\n  ${e.field}: ${e.message}`).join('');
    return `${problem.detail ?? `HTTP ${status}`}${fields}`;
  } catch {
    return `HTTP ${status}: ${body.slice(0, 500)}`;
  }
}

/** The /v1 API over fetch. */
export class ApiClient {
  constructor(readonly connection: Connection) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.connection.api}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.connection.token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ApiError(
        0,
        `cannot reach the Berth API at ${this.connection.api} (${cause}); is it running? (npm start)`,
      );
    }
    if (!response.ok) {
      throw new ApiError(response.status, messageOf(response.status, await response.text()));
    }
    return response;
  }

  async json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const response = await this.request(method, path, body, headers);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }
}
