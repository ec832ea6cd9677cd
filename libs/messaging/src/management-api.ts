/** The broker's management API would not do what was asked, or could not be reached. */
export class ManagementApiError extends Error {
  override readonly name = 'ManagementApiError';
}

/** RabbitMQ's management HTTP API (`http://user:secret@host:15672`), with the credential taken out of the URL. */
export class ManagementApi {
  private readonly base: string;
  private readonly authorization: string;

  constructor(managementUrl: string) {
    const url = new URL(managementUrl);
    this.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
    this.base = url.toString().replace(/\/$/, '');
  }

  /** Calls the API; a status outside 2xx and `allowed` is an error. Returns the status. */
  async call(method: string, path: string, body?: unknown, allowed: number[] = []): Promise<number> {
    const response = await this.request(method, path, body);
    if (!response.ok && !allowed.includes(response.status)) {
      throw new ManagementApiError(
        `rabbitmq management ${method} ${path}: ${response.status} ${await response.text()}`,
      );
    }
    return response.status;
  }

  /** A GET's JSON answer, or null for a 404. */
  async get<T>(path: string): Promise<T | null> {
    const response = await this.request('GET', path);
    if (response.status === 404) {
      return null;
    }
    if (!response.ok) {
      throw new ManagementApiError(`rabbitmq management GET ${path}: ${response.status} ${await response.text()}`);
    }
    return (await response.json()) as T;
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: this.authorization, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new ManagementApiError(`rabbitmq management API unreachable at ${this.base}: ${String(err)}`);
    }
  }
}
