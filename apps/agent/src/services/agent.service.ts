import { aboutJob } from '@berth/logging';
import { containerConfigFor, ContainerPolicy, ContainerRefused, registryProblem } from '@berth/container';
import {
  containerNameFor,
  CreateContainer,
  DELIVERY_LIMIT,
  dependenciesOf,
  ContainerReply,
  ContainerRequest,
  FetchLogs,
  HostCommand,
  JobOutcome,
  LOGS_CHUNK_BYTES,
  LogsReply,
  PullProgress,
} from '@berth/contracts';
import { Publisher } from '@berth/messaging';
import { Logger } from '@nestjs/common';
import { ControlPlaneClient } from './control-plane.client';
import { ContainerAlreadyEnded, DockerRefused, DockerRepository, PullEvent } from './docker.repository';
import { base64Chunks, TailBuffer, textChunks } from './log-tail';
import { restoreRequestFrom } from './restore';

/** A command that failed after its delivery was acknowledged is tried again here after this long. */
const RETRY_AFTER_HAND_OVER_MS = 5000;

export interface AgentIdentity {
  nodeId: string;
  cluster: string;
  /** How this host makes every container. */
  policy: ContainerPolicy;
}

/**
 * Carries out the commands sent to this host and reports each outcome. Commands may arrive twice or out of
 * order; each one is safe to repeat. Docker's refusals end the job as failed with Docker's own message;
 * anything else (Docker or the control plane unreachable) is thrown, so the delivery is retried later. What it
 * knows of the job it asks the control plane (`books`), which answers only about jobs placed on this host.
 */
export class AgentService {
  private readonly logger = new Logger('Agent');
  /** Jobs whose command this agent is carrying out right now: reconciliation leaves them alone. */
  private readonly inFlight = new Map<string, number>();
  /** Jobs whose container is being restarted (docker restart): its die is not its end. */
  private readonly restarting = new Set<string>();

  constructor(
    private readonly identity: AgentIdentity,
    private readonly docker: DockerRepository,
    private readonly books: ControlPlaneClient,
    private readonly publisher: Publisher,
    /** Told how long each create took to run its container, from the command's arrival (for metrics). */
    private readonly observer: { running(seconds: number): void } = { running: () => undefined },
  ) {}

  /**
   * The container's recent output, for GET /v1/jobs/{id}/logs and the Engine API's logs: the replies to send, in
   * order. Text, or (framed) Docker's own frames in base64.
   */
  async logs(command: FetchLogs): Promise<LogsReply[]> {
    let tail: TailBuffer;
    try {
      tail = await this.docker.logTail(command.jobId, command);
    } catch (err) {
      return [{ type: 'logs-unavailable', error: (err as Error).message.slice(0, 4096) }];
    }
    const { chunks, skippedBytes } = command.framed
      ? { chunks: base64Chunks(tail.frames(), (LOGS_CHUNK_BYTES / 4) * 3), skippedBytes: 0 }
      : textChunks(tail.contents(), LOGS_CHUNK_BYTES);
    return chunks.map((data, seq) => ({
      type: 'logs-chunk',
      seq,
      data,
      droppedBytes: tail.droppedBytes + skippedBytes,
      last: seq === chunks.length - 1,
    }));
  }

  /**
   * `docker restart`: the container stops and starts again while its job stays running. Its `die` on the way is
   * not an end (see isRestarting), and reconciliation leaves the job alone meanwhile.
   */
  private async restart(jobId: string, timeoutSeconds: number): Promise<void> {
    this.restarting.add(jobId);
    this.inFlight.set(jobId, (this.inFlight.get(jobId) ?? 0) + 1);
    try {
      await this.docker.restart(jobId, timeoutSeconds);
    } finally {
      this.restarting.delete(jobId);
      const left = (this.inFlight.get(jobId) ?? 1) - 1;
      if (left > 0) {
        this.inFlight.set(jobId, left);
      } else {
        this.inFlight.delete(jobId);
      }
    }
  }

  /** Whether a `die` of this job's container is part of a restart under way, not the end of the container. */
  isRestarting(jobId: string): boolean {
    return this.restarting.has(jobId);
  }

  /** stop, kill and inspect, for the Engine API: Docker's own answer, refusals included. */
  async containerRequest(request: ContainerRequest): Promise<ContainerReply> {
    try {
      switch (request.type) {
        case 'stop-container':
          return { type: 'container-done', changed: await this.docker.stop(request.jobId, request.timeoutSeconds) };
        case 'kill-container':
          await this.docker.kill(request.jobId, request.signal);
          return { type: 'container-done', changed: true };
        case 'restart-container':
          await this.restart(request.jobId, request.timeoutSeconds);
          return { type: 'container-done', changed: true };
        case 'inspect-container':
          return { type: 'container-inspect', inspect: JSON.stringify(await this.docker.inspect(request.jobId)) };
      }
    } catch (err) {
      const status = err instanceof DockerRefused && err.statusCode < 600 ? Math.max(err.statusCode, 400) : 502;
      return { type: 'container-refused', status, error: (err as Error).message.slice(0, 4096) };
    }
  }

  /** `docker pull` for the Engine API, within the host's registry policy (the same words as for a job's image). */
  async pullImage(image: string, onEvent: (event: PullEvent) => void): Promise<void> {
    const refused = registryProblem(image, this.identity.policy.allowedRegistries);
    if (refused !== null) {
      throw new ContainerRefused(`image ${refused}`);
    }
    await this.docker.pull(image, onEvent);
    // Placement's `image==` affinities see it at once, not at the next periodic refresh.
    await this.books
      .setImages(await this.docker.imageNames())
      .catch((err: unknown) => this.logger.warn(`image list refresh after a pull failed: ${String(err)}`));
  }

  async handle(command: HostCommand): Promise<void> {
    this.inFlight.set(command.jobId, (this.inFlight.get(command.jobId) ?? 0) + 1);
    try {
      switch (command.type) {
        case 'create-container':
          return await this.create(command);
        case 'remove-container':
          return await this.remove(command.jobId);
      }
    } finally {
      const left = (this.inFlight.get(command.jobId) ?? 1) - 1;
      if (left > 0) {
        this.inFlight.set(command.jobId, left);
      } else {
        this.inFlight.delete(command.jobId);
      }
    }
  }

  /**
   * Carries out a command; when it is still running after `settleAfterMs` (a long pull), resolves anyway so its
   * delivery can be acknowledged, and the command carries on here. Should it then fail, the agent tries it again
   * itself; should the agent die, its reconciliation finds the job placed here without a container and runs it
   * again. A failure within the time rejects, so the delivery is retried as usual.
   */
  async handleOrHandOver(command: HostCommand, settleAfterMs: number, attempts = 0): Promise<void> {
    const work = this.handle(command);
    let timer: NodeJS.Timeout | undefined;
    const handedOver = new Promise<'handed-over'>((resolve) => {
      timer = setTimeout(() => resolve('handed-over'), settleAfterMs);
    });
    try {
      if ((await Promise.race([work, handedOver])) !== 'handed-over') {
        return;
      }
    } finally {
      clearTimeout(timer);
    }
    this.logger.log({
      msg: `job ${command.jobId}: ${command.type} still running after ${settleAfterMs} ms; acknowledged`,
      ...this.about(command.jobId),
    });
    work.catch((err: unknown) => this.afterHandOverFailure(command, attempts + 1, err));
  }

  /**
   * Runs a command away from any delivery (after a hand-over, a rebuilt record, reconciliation): a failure is tried
   * again here, and after DELIVERY_LIMIT attempts a create fails its job for good.
   */
  runInBackground(command: HostCommand, attempts = 0): void {
    this.handle(command).catch((err: unknown) => this.afterHandOverFailure(command, attempts + 1, err));
  }

  private afterHandOverFailure(command: HostCommand, attempts: number, err: unknown): void {
    const error = err instanceof Error ? err.message : String(err);
    this.logger.warn({
      msg: `job ${command.jobId}: ${command.type} failed after it was acknowledged (${attempts}): ${error}`,
      ...this.about(command.jobId),
    });
    const next = async (): Promise<void> => {
      if (attempts >= DELIVERY_LIMIT && command.type === 'create-container') {
        await this.docker.remove(command.jobId, 0);
        await this.report({
          type: 'container-failed',
          jobId: command.jobId,
          nodeId: this.identity.nodeId,
          reason: `gave up after ${attempts} attempts: ${error}`,
        });
        return;
      }
      this.runInBackground(command, attempts);
    };
    setTimeout(() => {
      next().catch((retryErr: unknown) =>
        this.logger.warn({
          msg: `job ${command.jobId}: could not try again (reconciliation will): ${String(retryErr)}`,
          ...this.about(command.jobId),
        }),
      );
    }, RETRY_AFTER_HAND_OVER_MS).unref();
  }

  /** The fields of a log line about a job on this host. */
  private about(jobId: string): ReturnType<typeof aboutJob> {
    return aboutJob(jobId, { node: this.identity.nodeId });
  }

  isInFlight(jobId: string): boolean {
    return this.inFlight.has(jobId);
  }

  private async create(command: CreateContainer): Promise<void> {
    const arrived = performance.now();
    let job = await this.books.job(command.jobId);
    if (!job.found) {
      // Redis lost the record: rebuild it from the container if there is one, else have the job placed again from
      // the create (its reservation was lost with it; this host may have no room for it now). The create then ends
      // here: the job is on no host until placement sends it. (An expired job left a tombstone: neither rebuilds it.)
      if ((await this.restoreLostJob(command.jobId)) === 'no-container') {
        await this.requeueLostJob(command);
      }
      job = await this.books.job(command.jobId);
    }
    if (!job.found || job.status === 'removing' || job.status === 'removed') {
      // Removed before it reached this host: make sure nothing runs, and say so (that frees the capacity).
      return this.remove(command.jobId);
    }
    if (!job.onThisHost) {
      // The job lives on another host now (rescheduled): a container here would be a duplicate.
      await this.docker.remove(command.jobId, 0);
      return;
    }
    if (job.status !== 'scheduled' && job.status !== 'pulling' && job.status !== 'running') {
      return; // a replay of a create whose container already ended or failed: never start it again
    }
    try {
      // The policy first: an image from a registry not allowed is never pulled.
      const { name, body } = containerConfigFor(
        {
          id: command.jobId,
          namespace: command.namespace,
          spec: command.spec,
          cluster: this.identity.cluster,
          submittedAt: job.createdAt ?? new Date().toISOString(),
          // Asked only of a job that has some: most creates need no round trip for it.
          dependencies: dependenciesOf(command.spec).length > 0 ? await this.books.dependencies(command.jobId) : {},
        },
        this.identity.policy,
      );
      await this.pullIfMissing(command);
      const containerId = await this.docker.createAndStart(name, body);
      this.observer.running((performance.now() - arrived) / 1000);
      await this.report({ type: 'container-running', jobId: command.jobId, nodeId: this.identity.nodeId, containerId });
    } catch (err) {
      if (err instanceof ContainerAlreadyEnded) {
        await this.report({
          type: 'container-exited',
          jobId: command.jobId,
          nodeId: this.identity.nodeId,
          exitCode: err.exitCode,
          oomKilled: err.oomKilled,
        });
        return;
      }
      if (!(err instanceof DockerRefused || err instanceof ContainerRefused)) {
        throw err;
      }
      this.logger.warn(
        `job ${command.jobId}: ${err instanceof DockerRefused ? 'docker' : 'the container policy'} refused: ${err.message}`,
      );
      // Leave no half-made container behind a failed job.
      await this.docker.remove(command.jobId, 0);
      await this.report({
        type: 'container-failed',
        jobId: command.jobId,
        nodeId: this.identity.nodeId,
        reason: err.message,
      });
    }
  }

  /**
   * Has the control plane rebuild the record of a job whose container this host holds, after Redis lost it. A
   * container made for a job the gateway took back (its broker never confirmed) is removed. A created container is
   * started through the normal, idempotent create.
   */
  async restoreLostJob(jobId: string): Promise<'restored' | 'exists' | 'removed' | 'no-container'> {
    const facts = await this.docker.facts(containerNameFor(jobId));
    if (!facts) {
      return 'no-container';
    }
    const request = restoreRequestFrom(this.identity.nodeId, { ...facts, jobId });
    const outcome = await this.books.restore(request);
    if (outcome === 'tombstoned') {
      await this.docker.remove(jobId, 0);
      this.logger.warn({
        msg: `job ${jobId} was taken back or has expired: removed its container`,
        ...this.about(jobId),
      });
      return 'removed';
    }
    if (outcome === 'restored') {
      this.logger.log({
        msg: `job ${jobId}: record rebuilt from its container (${facts.state})`,
        ...this.about(jobId),
      });
      if (facts.state === 'created') {
        // Made here, not sent by the scheduler: it carries no seal (the record it runs for exists).
        const create = { type: 'create-container' as const, jobId, namespace: request.namespace, spec: request.spec };
        this.runInBackground({ ...create, seal: '' });
      }
    }
    return outcome;
  }

  /** A create for a job whose record and reservation were lost with Redis, before any container: placed again. */
  private async requeueLostJob(command: CreateContainer): Promise<void> {
    const outcome = await this.books.requeue(command);
    this.logger.warn(
      `job ${command.jobId}: its record was lost; ${outcome === 'tombstoned' ? 'it was never accepted' : 'queued to be placed again'}`,
    );
  }

  /** Pulls a missing image, reporting progress at most once a second (and when it completes). */
  private async pullIfMissing(command: CreateContainer): Promise<void> {
    let lastReport = 0;
    let last: PullProgress | null = null;
    const report = (progress: PullProgress): Promise<void> =>
      this.report({ type: 'image-pulling', jobId: command.jobId, nodeId: this.identity.nodeId, progress });
    const pulled = await this.docker.ensureImage(command.spec.image, (progress) => {
      last = progress;
      if (Date.now() - lastReport >= 1000) {
        lastReport = Date.now();
        report(progress).catch((err: unknown) =>
          this.logger.warn({
            msg: `job ${command.jobId}: progress report failed: ${String(err)}`,
            ...this.about(command.jobId),
          }),
        );
      }
    });
    if (pulled) {
      await report(last ?? { layers: 0, layersDone: 0, bytesDone: 0, bytesTotal: 0 });
      this.logger.log(`job ${command.jobId}: pulled ${command.spec.image}`);
    }
  }

  private async remove(jobId: string): Promise<void> {
    await this.docker.remove(jobId);
    await this.report({ type: 'container-removed', jobId, nodeId: this.identity.nodeId });
  }

  report(outcome: JobOutcome): Promise<void> {
    return this.publisher.sendOutcome(outcome);
  }
}
