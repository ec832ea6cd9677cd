import { Problem } from './types.js';

/** An answer that was not a success: its status and the server's problem details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
  }
}

/** A request the server never answered (the gateway down, the network gone). */
export class Unreachable extends Error {}

const TOKEN_KEY = 'berth.token';

/** The token the user pasted, for this tab only (session storage), and the API on the console's own origin. */
export class Api {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  set token(value: string | null) {
    if (value === null) {
      sessionStorage.removeItem(TOKEN_KEY);
    } else {
      sessionStorage.setItem(TOKEN_KEY, value);
    }
  }

  /** Sends a request with the token; the answer's JSON, or an ApiError with the server's problem. */
  async json<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await this.request(method, path, body, headers);
    if (response.status === 204) {
      return undefined as T;
    }
    return (await response.json()) as T;
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        signal,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') {
        throw err;
      }
      throw new Unreachable(`the gateway did not answer (${(err as Error).message})`);
    }
    if (!response.ok) {
      const text = await response.text();
      let problem: Problem;
      try {
        problem = JSON.parse(text) as Problem;
      } catch {
        problem = { title: response.statusText, status: response.status, detail: text || response.statusText };
      }
      throw new ApiError(response.status, problem);
    }
    return response;
  }
}
