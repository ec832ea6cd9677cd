import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import Redis from 'ioredis';
import { connect } from 'amqplib';
import {
  LABEL_CLUSTER,
  LABEL_JOB,
  LABEL_MEMORY,
  NodeRecord,
  HANDLER_RETRY_DELAYS_MS,
  RETRY_DELAYS_MS,
  topologyFor,
} from '@berth/contracts';
import { BrokerAccounts, ManagementApi } from '@berth/messaging';

/** The checkout's root, whether this runs from source (tests) or from dist/ (benchmarks). */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) {
    dir = dirname(dir);
  }
  return dir;
}

const ROOT = repositoryRoot();
export const LOG_DIR = join(ROOT, '.berth', 'logs', 'e2e');
/**
 * The local machine's credentials, as scripts/infra.sh made them: an administrator for the tests' own look
 * underneath (and cleanup), and the gateway's and scheduler's own users. Empty when there is no such file.
 */
function localCredentials(): Record<string, string> {
  const file = join(process.env.BERTH_DATA_DIR ?? '/var/lib/berth', 'credentials', 'local.env');
  try {
    return Object.fromEntries(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  } catch {
    return {};
  }
}

const LOCAL = localCredentials();
/** The shared broker and Redis, as their administrator (tests inspect and clean up with these). */
export const AMQP_URL = process.env.BERTH_AMQP_URL ?? LOCAL.BERTH_ADMIN_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const REDIS_URL = process.env.BERTH_REDIS_URL ?? LOCAL.BERTH_ADMIN_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** RabbitMQ's management API, with which the cluster's gateway makes each agent a user of its own. */
export const RABBITMQ_MANAGEMENT_URL =
  process.env.BERTH_RABBITMQ_MANAGEMENT_URL ??
  LOCAL.BERTH_RABBITMQ_MANAGEMENT_URL ??
  'http://guest:guest@127.0.0.1:15672';

/** What each control-plane service logs in as on the shared broker and Redis: its own user, when there is one. */
function serviceUrls(service: 'GATEWAY' | 'SCHEDULER'): Record<string, string> {
  const amqp = LOCAL[`BERTH_${service}_AMQP_URL`];
  const redis = LOCAL[`BERTH_${service}_REDIS_URL`];
  return {
    ...(amqp && !process.env.BERTH_AMQP_URL ? { BERTH_AMQP_URL: amqp } : {}),
    ...(redis && !process.env.BERTH_REDIS_URL ? { BERTH_REDIS_URL: redis } : {}),
  };
}

export interface TestHost {
  id: string;
  socket: string;
  docker: Docker;
}

/** The dockerd hosts scripts/infra.sh started: /run/berth/h1/docker.sock, ... */
export function testHosts(count = Number(process.env.BERTH_TEST_HOSTS ?? 2)): TestHost[] {
  return Array.from({ length: count }, (_, i) => {
    const socket = `/run/berth/h${i + 1}/docker.sock`;
    return { id: `h${i + 1}`, socket, docker: new Docker({ socketPath: socket }) };
  });
}

export interface ClusterOptions {
  hosts: TestHost[];
  /** Environment for every agent, e.g. capacity overrides. */
  agentEnv?: Record<string, string>;
  /** Environment for one host's agent, by host id, e.g. its labels. */
  hostEnv?: Record<string, Record<string, string>>;
  /** Environment for the schedulers. */
  schedulerEnv?: Record<string, string>;
  /** Environment for every process of the cluster (e.g. the node timeout, which all of them read). */
  commonEnv?: Record<string, string>;
  /** Schedulers to run (1 by default). With none, no host registers: agents register through a scheduler. */
  schedulers?: number;
  /** RabbitMQ and Redis of this cluster; the shared ones (BERTH_AMQP_URL / BERTH_REDIS_URL, else local) by default. */
  amqpUrl?: string;
  redisUrl?: string;
  /** The management API of this cluster's RabbitMQ (RABBITMQ_MANAGEMENT_URL by default). */
  managementUrl?: string;
  /** Serve Prometheus metrics from the schedulers and agents too (see metricsTargets); off by default. */
  metrics?: boolean;
  /** Serve the Docker Engine API (on `dockerPort`); off by default, so clusters never contend for a port. */
  dockerApi?: boolean;
  /** Environment for the gateway. */
  gatewayEnv?: Record<string, string>;
}

let portSeed = 18100 + (process.pid % 500) * 2;

/**
 * A Berth cluster of real processes (the built gateway, scheduler and agents) on the real RabbitMQ, Redis and
 * dockerd hosts, under its own prefix so it shares nothing with any other cluster on the machine.
 */
export class TestCluster {
  readonly prefix = `e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly port = portSeed++;
  readonly api = `http://127.0.0.1:${this.port}`;
  /** Where the gateway serves the Docker Engine API when `dockerApi` is set. */
  readonly dockerPort = this.port + 2000;
  /** With `metrics`: scheduler i serves on metricsBase + i, the agent of host k on metricsBase + 100 + k. */
  private readonly metricsBase = this.port + 3000;
  private readonly processes = new Map<string, ChildProcess>();
  private readonly launches = new Map<string, { app: string; env: Record<string, string> }>();

  readonly amqpUrl: string;
  readonly redisUrl: string;
  readonly managementUrl: string;
  /** Each host's agent environment, as POST /v1/nodes gave it (its own RabbitMQ credential), by node id. */
  private readonly agentEnvs = new Map<string, Record<string, string>>();
  /** The cluster's admin token (its gateway reads it from a file, as npm start's does). */
  readonly adminToken = `berth_${randomBytes(32).toString('base64url')}`;
  private readonly adminTokenFile = join(LOG_DIR, `${this.prefix}-admin-token`);

  constructor(readonly options: ClusterOptions) {
    this.amqpUrl = options.amqpUrl ?? AMQP_URL;
    this.redisUrl = options.redisUrl ?? REDIS_URL;
    this.managementUrl = options.managementUrl ?? RABBITMQ_MANAGEMENT_URL;
  }

  /** Every process's metrics endpoint (`host:port`), by service, as Prometheus' file_sd lists targets. */
  metricsTargets(): Array<{ targets: string[]; labels: { job: string } }> {
    const at = (port: number) => `127.0.0.1:${port}`;
    return [
      { targets: [at(this.port)], labels: { job: 'berth-gateway' } },
      {
        targets: Array.from({ length: this.options.schedulers ?? 1 }, (_, i) => at(this.metricsBase + i + 1)),
        labels: { job: 'berth-scheduler' },
      },
      { targets: this.hosts.map((_, k) => at(this.metricsBase + 100 + k)), labels: { job: 'berth-agent' } },
    ];
  }

  /** A request to the API, with the admin token unless `token` says otherwise (null: no token at all). */
  fetch(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
    const { token = this.adminToken, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token !== null) {
      headers.set('authorization', `Bearer ${token}`);
    }
    return fetch(`${this.api}${path}`, { ...rest, headers });
  }

  /** A token of the given namespace and scopes, made with the admin token. */
  async tokenFor(namespace: string, scopes: string[], name = `${namespace}-${scopes.join('-')}`): Promise<string> {
    const response = await this.fetch('/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, namespace, scopes }),
    });
    if (response.status !== 201) {
      throw new Error(`POST /v1/tokens: ${response.status} ${await response.text()}`);
    }
    return ((await response.json()) as { token: string }).token;
  }

  get hosts(): TestHost[] {
    return this.options.hosts;
  }

  async start(): Promise<void> {
    mkdirSync(LOG_DIR, { recursive: true });
    writeFileSync(this.adminTokenFile, `${this.adminToken}\n`, { mode: 0o600 });
    // On the shared broker and Redis each service logs in as itself; a cluster of its own (the fault suite's)
    // gives every service the URLs it was given.
    const own = this.options.amqpUrl === undefined && this.options.redisUrl === undefined;
    this.spawn('gateway', 'gateway', {
      ...(own ? serviceUrls('GATEWAY') : {}),
      PORT: String(this.port),
      BERTH_ADMIN_TOKEN_FILE: this.adminTokenFile,
      BERTH_RABBITMQ_MANAGEMENT_URL: this.managementUrl,
      BERTH_DOCKER_PORT: this.options.dockerApi ? String(this.dockerPort) : '0',
      ...this.options.gatewayEnv,
    });
    for (let i = 0; i < (this.options.schedulers ?? 1); i++) {
      this.spawn(`scheduler-${i + 1}`, 'scheduler', {
        ...(own ? serviceUrls('SCHEDULER') : {}),
        ...(this.options.metrics ? { BERTH_METRICS_PORT: String(this.metricsBase + i + 1) } : {}),
        ...this.options.schedulerEnv,
      });
    }
    await waitFor('gateway ready', async () => (await fetch(`${this.api}/readyz`).catch(() => null))?.ok === true);
    // Hosts are added as an operator adds them: each agent runs with the environment POST /v1/nodes gave it.
    for (const [k, host] of this.hosts.entries()) {
      this.spawn(`agent-${host.id}`, 'agent', {
        BERTH_DOCKER_HOST: `unix://${host.socket}`,
        ...(this.options.metrics ? { BERTH_METRICS_PORT: String(this.metricsBase + 100 + k) } : {}),
        ...(await this.addNode(host.id)),
        ...this.options.agentEnv,
        ...this.options.hostEnv?.[host.id],
      });
    }
    if ((this.options.schedulers ?? 1) === 0) {
      return; // hosts register through a scheduler: without one, none becomes ready
    }
    // Once a second: these requests count against the admin token's rate limit, which a suite may set low.
    await waitFor(
      'all hosts registered',
      async () => {
        const nodes = await this.getJson<{ items: Array<{ status: string }> }>('/v1/nodes');
        return nodes.items.filter((n) => n.status === 'ready').length === this.hosts.length;
      },
      60_000,
      1000,
    );
  }

  /** Kills one of the cluster's processes (`agent-h1`, `scheduler-1`, `gateway`) and waits until it is gone. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.processes.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** True while a process of the cluster (`gateway`, `scheduler-1`, `agent-h1`) has not exited. */
  isRunning(name: string): boolean {
    return this.pid(name) !== undefined;
  }

  /** The operating-system pid of one of the cluster's processes while it runs. */
  pid(name: string): number | undefined {
    const child = this.processes.get(name);
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  /** The names of the cluster's processes: `gateway`, `scheduler-1`, `agent-h1`, ... */
  get processNames(): string[] {
    return [...this.launches.keys()];
  }

  /**
   * Adds a host through the API (POST /v1/nodes) and returns its agent's environment, credential included. Asked
   * again for the same id, it makes a new credential and the old one stops working.
   */
  async addNode(nodeId: string): Promise<Record<string, string>> {
    const response = await this.fetch('/v1/nodes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: nodeId }),
    });
    if (response.status !== 201) {
      throw new Error(`POST /v1/nodes: ${response.status} ${await response.text()}`);
    }
    const { env } = (await response.json()) as { env: Record<string, string> };
    this.agentEnvs.set(nodeId, env);
    return env;
  }

  /** The agent environment a host was given (its credential), as a cloned machine would carry it. */
  agentEnvOf(nodeId: string): Record<string, string> {
    const env = this.agentEnvs.get(nodeId);
    if (!env) {
      throw new Error(`host ${nodeId} was not added`);
    }
    return env;
  }

  /**
   * Starts one more agent of this cluster, named `name`, with its own environment; by default with the credential
   * of the node id it claims (e.g. a clone of that host).
   */
  startAgent(name: string, env: Record<string, string>): void {
    const credential = env.BERTH_NODE_ID ? this.agentEnvs.get(env.BERTH_NODE_ID) : undefined;
    this.spawn(name, 'agent', { ...credential, ...this.options.agentEnv, ...env });
  }

  /** Waits until one of the cluster's processes ends by itself, and returns its exit code. */
  exited(name: string): Promise<number | null> {
    const child = this.processes.get(name);
    if (!child) {
      throw new Error(`no process named ${name}`);
    }
    if (child.exitCode !== null) {
      return Promise.resolve(child.exitCode);
    }
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts a process again with the environment it had. */
  restart(name: string): void {
    const launch = this.launches.get(name);
    if (!launch) {
      throw new Error(`no process named ${name}`);
    }
    this.spawn(name, launch.app, launch.env);
  }

  private spawn(name: string, app: string, env: Record<string, string>): void {
    this.launches.set(name, { app, env });
    const log = createWriteStream(join(LOG_DIR, `${this.prefix}-${name}.log`), { flags: 'a' });
    const processEnv: Record<string, string | undefined> = {
      ...process.env,
      BERTH_PREFIX: this.prefix,
      BERTH_AMQP_URL: this.amqpUrl,
      BERTH_REDIS_URL: this.redisUrl,
      NO_COLOR: '1',
      ...this.options.commonEnv,
      ...env,
    };
    if (app === 'agent') {
      delete processEnv.BERTH_REDIS_URL; // an agent is given no Redis credential, as on a real host
    }
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', app, 'src', 'main.js')], {
      env: processEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.processes.set(name, child);
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.processes.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) {
              return resolve();
            }
            const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    await this.cleanUp();
  }

  /** Removes everything this cluster made: containers on every host, its Redis keys and its queues. */
  private async cleanUp(): Promise<void> {
    // Hosts in parallel, a few removals in flight on each: a cluster may leave hundreds of containers.
    await Promise.all(
      this.hosts.map(async (host) => {
        const queue = await this.containersOn(host);
        const worker = async (): Promise<void> => {
          for (let c = queue.pop(); c; c = queue.pop()) {
            await host.docker
              .getContainer(c.Id)
              .remove({ force: true })
              .catch(() => undefined);
          }
        };
        await Promise.all(Array.from({ length: 4 }, worker));
      }),
    );
    const redis = new Redis(this.redisUrl);
    const keys = await redis.keys(`${this.prefix}:*`);
    if (keys.length > 0) {
      await redis.del(...keys);
    }
    await redis.quit();
    const connection = await connect(this.amqpUrl);
    // Every queue the topology names, the waiting tiers included (they outlived each test run before).
    const topology = topologyFor(this.prefix);
    const consumed = [topology.jobs, topology.outcomes, ...this.hosts.map((h) => topology.nodeQueue(h.id))];
    const queues = [
      ...consumed,
      topology.deadLetters,
      ...RETRY_DELAYS_MS.map((delay) => topology.jobsRetry(delay)),
      ...consumed.flatMap((queue) => HANDLER_RETRY_DELAYS_MS.map((delay) => topology.handlerRetry(queue, delay))),
    ];
    for (const queue of queues) {
      // A failed deletion closes the channel; each gets its own so one cannot stop the rest.
      const channel = await connection.createChannel();
      await channel.deleteQueue(queue).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
    for (const queue of [topology.nodeRequests]) {
      const channel = await connection.createChannel();
      await channel.deleteQueue(queue).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
    const channel = await connection.createChannel();
    await channel.deleteExchange(topology.deadLetterExchange).catch(() => undefined);
    await channel.deleteExchange(topology.reports).catch(() => undefined);
    await connection.close();
    // The agents' RabbitMQ users, so test runs leave no users behind on the broker.
    const accounts = new BrokerAccounts(new ManagementApi(this.managementUrl), topology);
    for (const nodeId of this.agentEnvs.keys()) {
      await accounts.revokeAgent(nodeId).catch(() => undefined);
    }
  }

  /** This cluster's containers on a host, as Docker itself reports them (`docker ps -a`). */
  async containersOn(host: TestHost): Promise<Docker.ContainerInfo[]> {
    return host.docker.listContainers({ all: true, filters: { label: [`${LABEL_CLUSTER}=${this.prefix}`] } });
  }

  async getJson<T>(path: string, token?: string | null): Promise<T> {
    const response = await this.fetch(path, { token });
    if (!response.ok) {
      throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    }
    return (await response.json()) as T;
  }

  /** Waits until a job leaves queued, scheduled and pulling, and returns it. */
  async settled<T extends { status: string }>(id: string, timeoutMs = 60_000): Promise<T> {
    return this.until<T>(id, ['queued', 'scheduled', 'pulling'], timeoutMs);
  }

  /**
   * Waits until a job's container has ended (or it never got one), and returns it: for a short-lived job, whose
   * exit is reported a moment after it was seen running.
   */
  async ended<T extends { status: string }>(id: string, timeoutMs = 60_000): Promise<T> {
    return this.until<T>(id, ['queued', 'scheduled', 'pulling', 'running'], timeoutMs);
  }

  private async until<T extends { status: string }>(id: string, passing: string[], timeoutMs: number): Promise<T> {
    let job: T | undefined;
    await waitFor(
      `job ${id} to leave ${passing.join('/')}`,
      async () => {
        job = await this.getJson<T>(`/v1/jobs/${id}`);
        return !passing.includes(job.status);
      },
      timeoutMs,
    );
    return job as T;
  }

  /** Submits a job that must be accepted, and returns its id. */
  async accepted(body: unknown): Promise<string> {
    const response = await this.submit(body);
    if (response.status !== 202) {
      throw new Error(`expected 202, got ${response.status}: ${await response.text()}`);
    }
    return ((await response.json()) as { id: string }).id;
  }

  async remove(id: string, token?: string | null): Promise<Response> {
    return this.fetch(`/v1/jobs/${id}`, { method: 'DELETE', token });
  }

  async submit(body: unknown, token?: string | null): Promise<Response> {
    return this.fetch('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      token,
    });
  }
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for: ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Retries `check` until it resolves (an `expect` inside it throws until it holds), and returns what it returned. On
 * timeout it throws the last failure, so the report says what did not hold, not only that time ran out.
 */
export async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`${what}, still not so after ${timeoutMs} ms: ${(error as Error).message}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Checks every host's books (allocated memory, container count) against `docker ps` on that host, and returns
 * how many running containers each job has across the hosts.
 */
export async function booksMatchDocker(cluster: TestCluster): Promise<Map<string, number>> {
  const perJob = new Map<string, number>();
  const nodes = await cluster.getJson<{ items: NodeRecord[] }>('/v1/nodes');
  for (const host of cluster.hosts) {
    const running = (await cluster.containersOn(host)).filter((c) => c.State === 'running');
    for (const c of running) {
      perJob.set(c.Labels[LABEL_JOB], (perJob.get(c.Labels[LABEL_JOB]) ?? 0) + 1);
    }
    const node = nodes.items.find((n) => n.id === host.id);
    const memory = running.reduce((sum, c) => sum + Number(c.Labels[LABEL_MEMORY]), 0);
    if (node?.allocated.memoryMiB !== memory || node.containers !== running.length) {
      throw new Error(
        `books of ${host.id} (${node?.allocated.memoryMiB} MiB, ${node?.containers} containers) differ from docker ps (${memory} MiB, ${running.length} running)`,
      );
    }
  }
  return perJob;
}
