import { GatewayEnv } from '@berth/config';
import { hasScope, Principal, Scope } from '@berth/contracts';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { getStorageToken, ThrottlerStorage } from '@nestjs/throttler';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AccessService, Unauthenticated } from '../auth/access.service';
import { ContainerRoutes } from './container.routes';
import { DOCKER_API_VERSION, DockerApiError, dockerErrorFrom, sendJson } from './docker-http';
import { ImageRoutes } from './image.routes';
import { SystemRoutes } from './system.routes';

export interface DockerCall {
  req: IncomingMessage;
  res: ServerResponse;
  principal: Principal;
  /** The route's captures: a container's id or name, ... */
  params: string[];
  query: URLSearchParams;
}

/** A connection taken over by an upgrade (attach): the handler writes Docker's raw stream on it. */
export interface DockerUpgrade {
  req: IncomingMessage;
  socket: Duplex;
  principal: Principal;
  params: string[];
  query: URLSearchParams;
}

export interface DockerRoute {
  method: string;
  /** Matched against the path without its `/v1.NN` prefix. */
  pattern: RegExp;
  scope: Scope;
  handle?(call: DockerCall): Promise<void>;
  /** For routes the CLI calls with `Connection: Upgrade` (attach): Node hands those to the upgrade event. */
  upgrade?(call: DockerUpgrade): Promise<void>;
}

const VERSION_PREFIX = /^\/v(\d+\.\d+)(?=\/)/;

/** API versions compare part by part: 1.5 is older than 1.45. */
function newerThan(version: string, than: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  const [thanMajor, thanMinor] = than.split('.').map(Number);
  return major !== thanMajor ? major > thanMajor : minor > thanMinor;
}

/**
 * The Docker Engine API for the whole cluster, on its own port (BERTH_DOCKER_PORT), so `docker -H` and every tool
 * built for Docker work against Berth, as they did against classic Swarm. Every route answers under `/v1.NN/` and
 * bare. Auth is Berth's bearer token, which the docker CLI sends from `HttpHeaders` in its config.json. A route
 * Berth does not serve answers 501 naming it, never a hang.
 */
@Injectable()
export class DockerApiServer implements OnApplicationShutdown {
  private readonly logger = new Logger('DockerApi');
  private server: Server | null = null;
  private readonly routes: DockerRoute[];

  constructor(
    private readonly access: AccessService,
    private readonly env: GatewayEnv,
    /** The throttler's storage, shared with /v1: a token's requests count the same whichever API they use. */
    @Inject(getStorageToken()) private readonly throttle: ThrottlerStorage,
    system: SystemRoutes,
    containers: ContainerRoutes,
    images: ImageRoutes,
  ) {
    this.routes = [...system.routes(), ...containers.routes(), ...images.routes()];
  }

  async listen(): Promise<void> {
    if (this.env.BERTH_DOCKER_PORT === 0) {
      this.logger.log('BERTH_DOCKER_PORT is 0: no Docker Engine API');
      return;
    }
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => void this.onUpgrade(req, socket));
    // Idle keep-alive connections must not hold shutdown; streaming answers (logs -f, wait) end with their client.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.env.BERTH_DOCKER_PORT, this.env.BERTH_DOCKER_BIND, () => resolve());
    });
    this.server = server;
    this.logger.log(
      `Docker Engine API on tcp://${this.env.BERTH_DOCKER_BIND}:${this.env.BERTH_DOCKER_PORT} (API ${DOCKER_API_VERSION})`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('Api-Version', DOCKER_API_VERSION);
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', `Berth (Docker Engine API ${DOCKER_API_VERSION})`);
    try {
      const { path, query } = this.parse(req);
      const method = req.method ?? 'GET';
      if (path === '/_ping' && (method === 'GET' || method === 'HEAD')) {
        // Unauthenticated, as it says nothing but the version: the CLI pings before every command.
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
        res.end(method === 'HEAD' ? undefined : 'OK');
        return;
      }
      const { route, params } = this.match(method, path);
      const principal = await this.authorize(req, route.scope);
      if (!route.handle) {
        throw new DockerApiError(400, `${method} ${path} needs an upgraded connection (Connection: Upgrade)`);
      }
      await route.handle({ req, res, principal, params, query });
    } catch (err) {
      this.fail(res, err);
    }
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex): Promise<void> {
    socket.on('error', () => undefined);
    try {
      const { path, query } = this.parse(req);
      const { route, params } = this.match(req.method ?? 'GET', path);
      const principal = await this.authorize(req, route.scope);
      if (!route.upgrade) {
        throw new DockerApiError(400, `${req.method} ${path} cannot be upgraded`);
      }
      await route.upgrade({ req, socket, principal, params, query });
    } catch (err) {
      const error = dockerErrorFrom(err);
      if (!socket.destroyed && socket.writable) {
        const body = JSON.stringify({ message: error.message });
        socket.end(
          `HTTP/1.1 ${error.status} ${error.status < 500 ? 'Refused' : 'Error'}\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
    }
  }

  private parse(req: IncomingMessage): { path: string; query: URLSearchParams } {
    const url = new URL(req.url ?? '/', 'http://docker');
    const version = VERSION_PREFIX.exec(url.pathname);
    if (version && newerThan(version[1], DOCKER_API_VERSION)) {
      throw new DockerApiError(
        400,
        `client version ${version[1]} is too new. Maximum supported API version is ${DOCKER_API_VERSION}`,
      );
    }
    const path = url.pathname.replace(VERSION_PREFIX, '');
    return { path: path.length > 1 ? path.replace(/\/+$/, '') : path, query: url.searchParams };
  }

  private match(method: string, path: string): { route: DockerRoute; params: string[] } {
    const verb = method === 'HEAD' ? 'GET' : method;
    for (const route of this.routes) {
      const found = route.method === verb ? route.pattern.exec(path) : null;
      if (found) {
        try {
          return { route, params: found.slice(1).map((p) => decodeURIComponent(p)) };
        } catch {
          throw new DockerApiError(400, `${path} is not a well-formed path (a bad % escape)`);
        }
      }
    }
    throw new DockerApiError(
      501,
      `Berth does not implement ${method} ${path} of the Docker Engine API (see the README's "Docker API" section)`,
    );
  }

  private async authorize(req: IncomingMessage, scope: Scope): Promise<Principal> {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new DockerApiError(
        401,
        'Berth needs a bearer token: put {"HttpHeaders": {"Authorization": "Bearer <token>"}} in ' +
          '$DOCKER_CONFIG/config.json (npm start writes .berth/docker/config.json)',
      );
    }
    let principal: Principal;
    try {
      principal = await this.access.authenticate(match[1]);
    } catch (err) {
      if (err instanceof Unauthenticated) {
        throw new DockerApiError(401, err.message);
      }
      throw err;
    }
    if (!hasScope(principal, scope)) {
      throw new DockerApiError(403, `this token lacks the '${scope}' scope (it has ${principal.scopes.join(', ')})`);
    }
    await this.limitRate(principal);
    return principal;
  }

  /** BERTH_RATE_LIMIT requests per token per window, as on /v1: beyond it, 429 with Retry-After. */
  private async limitRate(principal: Principal): Promise<void> {
    const limit = this.env.BERTH_RATE_LIMIT;
    const windowMs = this.env.BERTH_RATE_WINDOW_SECONDS * 1000;
    // Blocked for the rest of the window once over the limit, as the /v1 guard does (a block of 0 would reset).
    const record = await this.throttle.increment(
      `docker-api:token:${principal.tokenId}`,
      windowMs,
      limit,
      windowMs,
      'docker',
    );
    if (record.isBlocked) {
      const retryAfter = Math.max(1, record.timeToBlockExpire);
      throw new DockerApiError(
        429,
        `rate limit of ${limit} requests per ${this.env.BERTH_RATE_WINDOW_SECONDS} s reached for this token; ` +
          `retry in ${retryAfter} s`,
        { 'Retry-After': String(retryAfter) },
      );
    }
  }

  private fail(res: ServerResponse, err: unknown): void {
    const error = dockerErrorFrom(err);
    if (error.status >= 500 && error.status !== 501 && error.status !== 503) {
      this.logger.error(`docker api: ${(err as Error).stack ?? String(err)}`);
    }
    if (res.headersSent) {
      // A stream already under way (logs -f, wait): all that can be done is to end it.
      res.destroy();
      return;
    }
    sendJson(res, error.status, { message: error.message }, error.headers);
  }
}
