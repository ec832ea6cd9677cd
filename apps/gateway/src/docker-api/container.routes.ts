import { GatewayEnv } from '@berth/config';
import {
  canSee,
  hasScope,
  ContainerReply,
  ContainerRequest,
  decodeContainerReply,
  JobRecord,
  JobStatus,
  LOGS_MAX_BYTES,
  LOGS_MAX_TAIL,
  Principal,
} from '@berth/contracts';
import { BrokerUnavailable, RequestReply } from '@berth/messaging';
import { JobRepository, NameRegistry, NodeBooks } from '@berth/state';
import { Injectable } from '@nestjs/common';
import { requestValidation } from '../common/schema-validation';
import { CreateJobDto } from '../jobs/dto/create-job.dto';
import { JobsService } from '../jobs/jobs.service';
import {
  CONTAINER_FILTERS,
  containerSummary,
  dockerIdOf,
  dockerNameOf,
  dockerStateOf,
  inspectWithoutContainer,
  matchesFilters,
  neverRan,
} from './container-view';
import { DockerRequestRefused, jobRequestFromDockerCreate } from './create-request';
import { DockerCall, DockerRoute, DockerUpgrade } from './docker-api.server';
import { DockerApiError, queryFilters, queryFlag, readJsonBody, sendEmpty, sendJson } from './docker-http';
import { boundedWrite, StreamBudget } from '../common/stream-budget';
import { ContainerLogs, LogsOptions } from '../jobs/container-logs';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How often a waiting answer (create, wait, stop) looks at the job again. */
const POLL_MS = 250;
/** Jobs a container reference is looked up among (the namespace's, newest first). */
const LOOKUP_LIMIT = 10_000;
/** What `docker create` waits for at most beyond the placement timeout: the host's pull and start. */
const CREATE_GRACE_MS = 300_000;

/** What `docker kill -s` may send: a name (KILL, SIGTERM, RTMIN+1) or a number; the wire checks the same. */
const SIGNAL = /^(SIG)?[A-Z0-9+-]{1,12}$|^\d{1,2}$/;
/** `docker stop -t` at most this long: a stop holds one of its host's command slots while it waits. */
const MAX_STOP_SECONDS = 60;

const SETTLED: readonly JobStatus[] = ['running', 'exited', 'failed', 'unschedulable', 'removing', 'removed'];
const NOT_RUNNING: readonly JobStatus[] = ['exited', 'failed', 'unschedulable', 'removing', 'removed'];

const validation = requestValidation();

/**
 * The Engine API's containers: each is a Berth job of the token's namespace, the same one `/v1/jobs` shows.
 * Create goes through the one job schema and the same submission as `POST /v1/jobs`; what needs the container
 * itself (stop, kill, inspect, logs) is asked of its host's agent over RabbitMQ, as the gateway never talks to
 * Docker.
 */
@Injectable()
export class ContainerRoutes {
  constructor(
    private readonly jobs: JobsService,
    private readonly records: JobRepository,
    private readonly names: NameRegistry,
    private readonly nodes: NodeBooks,
    private readonly requests: RequestReply,
    private readonly logs: ContainerLogs,
    private readonly budget: StreamBudget,
    private readonly env: GatewayEnv,
  ) {}

  routes(): DockerRoute[] {
    const container = (action: string) => new RegExp(`^/containers/(.+)/${action}$`);
    return [
      { method: 'POST', pattern: /^\/containers\/create$/, scope: 'submit', handle: (c) => this.create(c) },
      { method: 'GET', pattern: /^\/containers\/json$/, scope: 'read', handle: (c) => this.list(c) },
      { method: 'GET', pattern: container('json'), scope: 'read', handle: (c) => this.inspect(c) },
      { method: 'GET', pattern: container('logs'), scope: 'read', handle: (c) => this.containerLogs(c) },
      { method: 'POST', pattern: container('start'), scope: 'submit', handle: (c) => this.start(c) },
      { method: 'POST', pattern: container('stop'), scope: 'submit', handle: (c) => this.stop(c) },
      { method: 'POST', pattern: container('kill'), scope: 'submit', handle: (c) => this.kill(c) },
      { method: 'POST', pattern: container('wait'), scope: 'read', handle: (c) => this.wait(c) },
      { method: 'POST', pattern: container('resize'), scope: 'read', handle: (c) => this.resize(c) },
      {
        method: 'POST',
        pattern: container('attach'),
        scope: 'read',
        upgrade: (c) => this.attach(c),
        handle: () =>
          Promise.reject(new DockerApiError(400, 'attach needs Connection: Upgrade, as the docker CLI sends')),
      },
      { method: 'POST', pattern: container('restart'), scope: 'submit', handle: (c) => this.restart(c) },
      { method: 'DELETE', pattern: /^\/containers\/(.+)$/, scope: 'submit', handle: (c) => this.remove(c) },
    ];
  }

  // ---- create and list

  private async create({ req, res, principal, query }: DockerCall): Promise<void> {
    const body = await readJsonBody(req);
    let mapped: ReturnType<typeof jobRequestFromDockerCreate>;
    try {
      mapped = jobRequestFromDockerCreate(body ?? {}, { name: query.get('name') ?? undefined });
    } catch (err) {
      if (err instanceof DockerRequestRefused) {
        throw new DockerApiError(400, err.message);
      }
      throw err;
    }
    const request = {
      placementTimeoutSeconds: this.env.BERTH_DOCKER_PLACEMENT_TIMEOUT_SECONDS,
      ...mapped.request,
    };
    // The same checks as POST /v1/jobs, with the same words: a field the schema refuses is named.
    const dto = (await validation.transform(request, { type: 'body', metatype: CreateJobDto })) as CreateJobDto;
    const submitted = await this.jobs.submit(principal, dto);
    let abandoned = false;
    // The response's close, not the request's: since Node 16 a request closes once its body has been read.
    res.once('close', () => (abandoned = !res.writableFinished));
    const deadline = Date.now() + request.placementTimeoutSeconds * 1000 + CREATE_GRACE_MS;
    let job = submitted;
    while (!SETTLED.includes(job.status) || (job.status === 'running' && !job.containerId)) {
      if (abandoned) {
        return; // the job goes on; the client can find it with docker ps
      }
      if (Date.now() > deadline) {
        throw new DockerApiError(
          504,
          `the container was not created within ${Math.round((deadline - Date.parse(submitted.createdAt)) / 1000)} s ` +
            `(job ${job.id} is ${job.status}); docker ps shows it when it is`,
        );
      }
      await sleep(POLL_MS);
      job = (await this.records.get(job.id)) ?? job;
    }
    if (job.status === 'unschedulable' || neverRan(job)) {
      // Nothing was created, as Docker would say: the job is taken away (and its name freed) before answering.
      await this.jobs.remove(principal, job.id).catch(() => undefined);
      const why = job.reason ?? 'no host could take it';
      throw new DockerApiError(
        job.status === 'unschedulable' ? 409 : 500,
        `Berth could not create the container: ${why}`,
      );
    }
    const address = (await this.nodes.list()).find((n) => n.id === job.node)?.address ?? '';
    const warnings = [...mapped.warnings, `berth: placed on host ${job.node}${address ? ` (${address})` : ''}`];
    if (mapped.autoRemove) {
      warnings.push('berth: --rm removes the container when it exits while the client waits for it (docker run)');
    }
    sendJson(res, 201, { Id: dockerIdOf(job), Warnings: warnings });
  }

  private async list({ res, principal, query }: DockerCall): Promise<void> {
    const filters = queryFilters(query);
    for (const name of filters.keys()) {
      if (!(CONTAINER_FILTERS as readonly string[]).includes(name)) {
        throw new DockerApiError(400, `invalid filter '${name}' (Berth filters on ${CONTAINER_FILTERS.join(', ')})`);
      }
    }
    const limit = Number(query.get('limit') ?? -1);
    const all = queryFlag(query, 'all') || limit > 0;
    const jobs = (await this.namespaceJobs(principal)).filter(
      (job) => (all || dockerStateOf(job) === 'running') && matchesFilters(job, filters),
    );
    const shown = limit > 0 ? jobs.slice(0, limit) : jobs;
    sendJson(
      res,
      200,
      shown.map((job) => containerSummary(job)),
    );
  }

  // ---- one container

  private async inspect({ res, principal, params }: DockerCall): Promise<void> {
    const job = await this.resolve(principal, params[0]);
    const node = job.node ? (await this.nodes.list()).find((n) => n.id === job.node) : undefined;
    let inspect: Record<string, unknown> = inspectWithoutContainer(job);
    if (job.node && job.containerId && dockerStateOf(job) !== 'dead') {
      const reply = await this.askHost(job, { type: 'inspect-container', jobId: job.id });
      if (reply.type === 'container-inspect') {
        inspect = JSON.parse(reply.inspect) as Record<string, unknown>;
      }
    }
    sendJson(res, 200, {
      ...inspect,
      Name: `/${dockerNameOf(job)}`,
      // Classic Swarm's addition: `docker inspect -f '{{.Node.Name}}'` says where the container runs.
      Node: node ? { ID: node.id, Name: node.id, Addr: node.address, Labels: node.labels } : null,
      BerthJob: { Id: job.id, Namespace: job.namespace, Status: job.status, Reason: job.reason },
    });
  }

  private async start({ res, principal, params }: DockerCall): Promise<void> {
    // A `docker run --rm` may find its container already gone: it ran, and its wait removed it.
    let job = await this.resolve(principal, params[0], { removed: true });
    // Berth starts a container as soon as its host creates it: start waits for that (bounded, and only while the
    // client is there), and never starts one again.
    let gone = false;
    res.once('close', () => (gone = !res.writableFinished));
    const deadline = Date.now() + job.spec.placementTimeoutSeconds * 1000 + CREATE_GRACE_MS;
    while (!SETTLED.includes(job.status)) {
      if (gone) {
        return;
      }
      if (Date.now() > deadline) {
        throw new DockerApiError(504, `container ${params[0]} was not created in time (its job is ${job.status})`);
      }
      await sleep(POLL_MS);
      const current = await this.records.get(job.id);
      if (!current) {
        throw new DockerApiError(404, `No such container: ${params[0]}`);
      }
      job = current;
    }
    if (job.status === 'running') {
      return sendEmpty(res, 204);
    }
    if (job.exitCode !== null || job.status === 'exited' || (job.status === 'failed' && !neverRan(job))) {
      return sendEmpty(res, 304); // it ran: a container is never started twice
    }
    throw new DockerApiError(409, `container ${params[0]} cannot be started: its job is ${job.status}`);
  }

  private async stop({ res, principal, params, query }: DockerCall): Promise<void> {
    const job = await this.resolve(principal, params[0]);
    if (job.status !== 'running' || !job.node) {
      return sendEmpty(res, 304);
    }
    const timeoutSeconds = Math.min(Math.max(Number(query.get('t') ?? 10) || 0, 0), MAX_STOP_SECONDS);
    const reply = await this.askHost(job, { type: 'stop-container', jobId: job.id, timeoutSeconds }, timeoutSeconds);
    this.refusedToError(reply, params[0]);
    // Docker answers once the container stopped; Berth once its job says so too, so `docker ps` agrees at once.
    await this.until(job.id, NOT_RUNNING, 15_000);
    sendEmpty(res, reply.type === 'container-done' && !reply.changed ? 304 : 204);
  }

  /** `docker restart` of a running container: the same container, on the same host, its job still running. */
  private async restart({ res, principal, params, query }: DockerCall): Promise<void> {
    const job = await this.resolve(principal, params[0]);
    if (job.status !== 'running' || !job.node) {
      throw new DockerApiError(
        409,
        `container ${params[0]} cannot be restarted: its job is ${job.status} (a job that ended runs no more; run a new one)`,
      );
    }
    const timeoutSeconds = Math.min(Math.max(Number(query.get('t') ?? 10) || 0, 0), MAX_STOP_SECONDS);
    const request = { type: 'restart-container' as const, jobId: job.id, timeoutSeconds };
    this.refusedToError(await this.askHost(job, request, timeoutSeconds), params[0]);
    sendEmpty(res, 204);
  }

  private async kill({ res, principal, params, query }: DockerCall): Promise<void> {
    const job = await this.resolve(principal, params[0]);
    if (job.status !== 'running' || !job.node) {
      throw new DockerApiError(409, `Cannot kill container: ${params[0]}: container is not running`);
    }
    const signal = (query.get('signal') ?? 'SIGKILL').toUpperCase();
    if (!SIGNAL.test(signal)) {
      throw new DockerApiError(400, `signal: ${signal.slice(0, 32)} is not a signal name or number`);
    }
    this.refusedToError(await this.askHost(job, { type: 'kill-container', jobId: job.id, signal }), params[0]);
    sendEmpty(res, 204);
  }

  private async remove({ res, principal, params, query }: DockerCall): Promise<void> {
    const job = await this.resolve(principal, params[0]);
    if (dockerStateOf(job) === 'running' && !queryFlag(query, 'force')) {
      throw new DockerApiError(
        409,
        `You cannot remove a running container ${params[0]}. Stop the container before attempting removal or force remove`,
      );
    }
    // As DELETE /v1/jobs: the host stops and removes the container, then its capacity comes back.
    await this.jobs.remove(principal, job.id);
    await this.until(job.id, ['removed'], 30_000);
    sendEmpty(res, 204);
  }

  private resize({ res }: DockerCall): Promise<void> {
    sendEmpty(res, 200); // no terminal to resize: Berth's containers have no TTY
    return Promise.resolve();
  }

  /**
   * `docker wait`, and `docker run`'s wait before start: the headers go out at once (the CLI waits for them before
   * it starts the container), the body when the container has exited. With condition=removed (`--rm`) the job is
   * removed once it has exited.
   */
  private async wait({ res, principal, params, query }: DockerCall): Promise<void> {
    let job = await this.resolve(principal, params[0]);
    const condition = query.get('condition') ?? 'not-running';
    await this.budget.hold(async () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      let gone = false;
      res.once('close', () => (gone = !res.writableFinished));
      while (!gone && !NOT_RUNNING.includes(job.status)) {
        await sleep(POLL_MS);
        job = (await this.records.get(job.id)) ?? { ...job, status: 'removed' };
      }
      if (gone) {
        return;
      }
      // Removing (--rm) needs what removing always needs; a read-only token just waits for someone else to.
      if (condition === 'removed' && job.status !== 'removed' && hasScope(principal, 'submit')) {
        await this.jobs.remove(principal, job.id).catch(() => undefined);
        await this.until(job.id, ['removed'], 30_000);
      }
      // Error is for a wait that failed (the container never ran), not for a container that exited non-zero.
      const error = neverRan(job) || job.status === 'unschedulable' ? { Message: job.reason ?? job.status } : null;
      res.end(JSON.stringify({ StatusCode: job.exitCode ?? (error ? 125 : 0), Error: error }));
    });
  }

  // ---- output

  private async containerLogs({ res, principal, params, query }: DockerCall): Promise<void> {
    const job = await this.resolve(principal, params[0]);
    if (!job.node || !job.containerId) {
      throw new DockerApiError(409, `container ${params[0]} has no output yet: its job is ${job.status}`);
    }
    const tail = query.get('tail');
    const options: LogsOptions = {
      stdout: queryFlag(query, 'stdout'),
      stderr: queryFlag(query, 'stderr'),
      tail:
        tail === null || tail === 'all' || !/^\d+$/.test(tail)
          ? LOGS_MAX_TAIL
          : Math.min(Math.max(Number(tail), 1), LOGS_MAX_TAIL),
      since: /^\d{1,12}(\.\d{1,9})?$/.test(query.get('since') ?? '') ? (query.get('since') as string) : '',
      timestamps: queryFlag(query, 'timestamps'),
      limitBytes: LOGS_MAX_BYTES,
    };
    if (tail === '0') {
      options.tail = 1;
      options.since = String(Date.now() / 1000);
    }
    const follow = queryFlag(query, 'follow');
    const run = async () => {
      let gone = false;
      res.once('close', () => (gone = !res.writableFinished));
      await this.logs.stream(job, options, follow, {
        start: () => {
          res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
          res.flushHeaders();
        },
        write: (bytes) => boundedWrite(res, bytes),
        gone: () => gone,
      });
      res.end();
    };
    await (follow ? this.budget.hold(run) : run());
  }

  /**
   * `docker run`'s attach, read-only: its output from the start (what the container wrote before the attach
   * included), until it exits. Berth's containers take no stdin and have no TTY.
   */
  private async attach({ socket, principal, params }: DockerUpgrade): Promise<void> {
    const job = await this.resolve(principal, params[0]);
    await this.budget.hold(async () => {
      socket.write(
        'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
      );
      let gone = false;
      socket.once('close', () => (gone = true));
      const out = { start: () => undefined, write: (bytes: Buffer) => boundedWrite(socket, bytes), gone: () => gone };
      const options: LogsOptions = {
        stdout: true,
        stderr: true,
        tail: LOGS_MAX_TAIL,
        since: '',
        timestamps: false,
        limitBytes: LOGS_MAX_BYTES,
      };
      await this.logs.stream(job, options, true, out);
      socket.end();
    });
  }

  // ---- helpers

  /**
   * A container by what the CLI may call it: its id or a unique prefix of it, its job's id, its name, or
   * `<host>/<name>` as `docker ps` shows it. Only the token's namespace is searched; anything else is a 404.
   */
  private async resolve(principal: Principal, reference: string, include = { removed: false }): Promise<JobRecord> {
    const ref = reference.replace(/^\/+/, '');
    const visible = (job: JobRecord | null): job is JobRecord =>
      job !== null && (include.removed || job.status !== 'removed') && canSee(principal, job.namespace);
    const byName = async (name: string) => {
      const holder = await this.names.holderOf(principal.namespace, name);
      return holder ? this.records.get(holder) : null;
    };
    const named = await byName(ref);
    if (visible(named)) {
      return named;
    }
    const slash = ref.indexOf('/');
    if (slash > 0) {
      const onHost = await byName(ref.slice(slash + 1));
      if (visible(onHost) && onHost.node === ref.slice(0, slash)) {
        return onHost;
      }
    }
    if (/^[0-9a-f-]{3,64}$/.test(ref)) {
      const matches = (await this.namespaceJobs(principal, include)).filter(
        (job) => dockerIdOf(job).startsWith(ref) || job.id === ref || dockerNameOf(job) === ref,
      );
      if (matches.length === 1) {
        return matches[0];
      }
      if (matches.length > 1) {
        throw new DockerApiError(400, `multiple containers found with the prefix ${ref}: give more of the id`);
      }
    }
    throw new DockerApiError(404, `No such container: ${reference}`);
  }

  /** The namespace's jobs that are or may become containers (or were, with `removed`), newest first. */
  private async namespaceJobs(principal: Principal, include = { removed: false }): Promise<JobRecord[]> {
    const jobs: JobRecord[] = [];
    let cursor: Parameters<JobRepository['list']>[0]['cursor'];
    while (jobs.length < LOOKUP_LIMIT) {
      const page = await this.records.list({ namespace: principal.namespace, limit: 500, cursor });
      jobs.push(...page.items.filter((job) => include.removed || job.status !== 'removed'));
      if (!page.next) {
        break;
      }
      cursor = page.next;
    }
    return jobs;
  }

  private async askHost(job: JobRecord, request: ContainerRequest, extraSeconds = 0): Promise<ContainerReply> {
    let reply: ContainerReply | null = null;
    try {
      await this.requests.streamFromHost(
        job.node as string,
        request,
        (raw) => {
          reply = decodeContainerReply(raw);
          return true;
        },
        10_000 + extraSeconds * 1000,
      );
    } catch (err) {
      if (err instanceof BrokerUnavailable) {
        throw new DockerApiError(504, `host ${job.node} did not answer: ${err.message}`);
      }
      throw new DockerApiError(502, `host ${job.node} answered with something else: ${(err as Error).message}`);
    }
    return reply as unknown as ContainerReply;
  }

  private refusedToError(reply: ContainerReply, reference: string): void {
    if (reply.type === 'container-refused') {
      throw new DockerApiError(reply.status, `${reference}: ${reply.error}`);
    }
  }

  /** Waits (bounded) until the job reaches one of the statuses; it may take longer, which is not an error. */
  private async until(jobId: string, statuses: readonly JobStatus[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const job = await this.records.get(jobId);
      if (!job || statuses.includes(job.status)) {
        return;
      }
      await sleep(POLL_MS);
    }
  }
}
