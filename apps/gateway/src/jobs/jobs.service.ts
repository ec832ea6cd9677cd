import { GatewayMetrics } from '@berth/metrics';
import { GatewayEnv, parseList } from '@berth/config';
import { registryProblem } from '@berth/container';
import {
  canSee,
  InvalidJobField,
  JobEvent,
  JobRecord,
  JobRequest,
  JobSpec,
  jobSpecFrom,
  PlaceJob,
  Principal,
  traceNow,
} from '@berth/contracts';
import { BrokerUnavailable, Publisher, RequestReply } from '@berth/messaging';
import { EventLog, GroupRepository, JobCursor, JobRepository, WaitingJobs } from '@berth/state';
import {
  BadGatewayException,
  BadRequestException,
  ConflictException,
  ForbiddenException,
  GatewayTimeoutException,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { boundedWrite, StreamBudget } from '../common/stream-budget';
import { ContainerLogs } from './container-logs';
import { problem } from '../common/problem';
import { ListJobsQuery } from './dto/list-jobs.query';
import { LogsAnswer, relayLogs } from './logs-relay';

/** A first request younger than this may still be waiting for its confirm (the publish times out after 10 s). */
export const REPLAY_IN_FLIGHT_MS = 15_000;

/** What identifies a request for Idempotency-Key purposes: the job as it would be stored (and its group's shape). */
export function fingerprintOf(spec: JobSpec, group?: { replicas: number; allOrNothing: boolean }): string {
  const request = group === undefined ? spec : { spec, ...group };
  return createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 32);
}

/** A page's end, as the client sees it: opaque, URL-safe. */
function encodeCursor(cursor: JobCursor): string {
  return Buffer.from(`${cursor.createdMs}:${cursor.id}`).toString('base64url');
}

function decodeCursor(text: string): JobCursor {
  const [createdMs, id] = Buffer.from(text, 'base64url').toString('utf8').split(':');
  if (!/^\d{1,16}$/.test(createdMs ?? '') || !JOB_ID.test(id ?? '')) {
    const message = 'cursor must be the next value of an earlier page';
    throw new BadRequestException(problem(400, message, [{ field: 'cursor', message }]));
  }
  return { createdMs: Number(createdMs), id };
}

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The job as Berth stores it (see jobSpecFrom), or a 400 naming the field that cannot become one. */
export function toJobSpec(request: JobRequest): JobSpec {
  try {
    return jobSpecFrom(request);
  } catch (err) {
    if (err instanceof InvalidJobField) {
      throw new BadRequestException(problem(400, err.message, [{ field: err.field, message: err.message }]));
    }
    throw err;
  }
}

@Injectable()
export class JobsService {
  private readonly allowedRegistries: readonly string[];

  constructor(
    private readonly jobs: JobRepository,
    private readonly publisher: Publisher,
    private readonly requests: RequestReply,
    env: GatewayEnv,
    private readonly metrics: GatewayMetrics,
    private readonly groups: GroupRepository,
    private readonly containerLogs: ContainerLogs,
    private readonly streams: StreamBudget,
    private readonly eventLog: EventLog,
    private readonly waiting: WaitingJobs,
  ) {
    this.allowedRegistries = parseList(env.BERTH_ALLOWED_REGISTRIES);
  }

  /**
   * Records the job, then hands it to the scheduler. Resolves only once RabbitMQ has confirmed the message:
   * a 202 means the job will not be lost. When the broker does not confirm, the record is taken back and the
   * caller gets a 503, so a client that retries does not leave a ghost job behind.
   *
   * With an Idempotency-Key, a client that lost the answer (a timeout, a gateway restart) retries with the same key
   * and gets the job its first request created, never a second one.
   */
  async submit(principal: Principal, request: JobRequest, idempotencyKey?: string): Promise<JobRecord> {
    const id = randomUUID();
    const namespace = principal.namespace;
    const spec = this.specFor(request);
    const now = new Date();
    const idempotency =
      idempotencyKey === undefined ? undefined : { key: idempotencyKey, fingerprint: fingerprintOf(spec) };
    const created = await this.jobs.create(id, namespace, spec, now, idempotency);
    if (!created.created && 'replayOf' in created) {
      return this.replay(namespace, created.replayOf, created.fingerprint, idempotency!);
    }
    if (!created.created) {
      throw new ConflictException(
        problem(409, `name '${spec.name}' is in use by job ${created.holder}; remove that job or pick another name`, [
          { field: 'name', message: 'already in use' },
        ]),
      );
    }
    try {
      await this.publishPlaceJob(id, namespace, spec, now.toISOString());
    } catch (err) {
      const takenBack = await this.jobs.takeBack(id, namespace, spec.name).catch(() => false);
      if (!takenBack && idempotency && (await this.jobs.isAccepted(id).catch(() => false))) {
        return created.job; // a replay of this request got the job's message confirmed meanwhile
      }
      if (idempotency) {
        await this.jobs.forgetIdempotencyKey(namespace, idempotency.key).catch(() => undefined);
      }
      throw err;
    }
    if (idempotency) {
      // The job is stored and its message confirmed: it is accepted even if this mark fails (Redis going away);
      // without the mark, a replay of the request sends the message again, which is harmless.
      await this.jobs.markAccepted(id).catch(() => undefined);
    }
    this.metrics.submitted.inc();
    return created.job;
  }

  /** The job as it will be stored, or a 400 naming the field that cannot become one. */
  specFor(request: JobRequest): JobSpec {
    const spec = toJobSpec(request);
    // The hosts refuse it too (containerConfigFor); saying so here spares the job a trip and names the field.
    const refused = registryProblem(spec.image, this.allowedRegistries);
    if (refused !== null) {
      throw new BadRequestException(problem(400, `image ${refused}`, [{ field: 'image', message: refused }]));
    }
    return spec;
  }

  /**
   * A request whose Idempotency-Key was used before: the job it created, once its message is confirmed. A first
   * request that died between recording the job and the broker's confirm (a gateway killed) left a record with no
   * known message: after a moment its replay sends the message again (placement is idempotent) and answers 202.
   */
  private async replay(
    namespace: string,
    jobId: string,
    fingerprint: string,
    idempotency: { key: string; fingerprint: string },
  ): Promise<JobRecord> {
    if (fingerprint !== idempotency.fingerprint) {
      throw new ConflictException(
        problem(409, `Idempotency-Key '${idempotency.key}' was used for a different job (${jobId})`, [
          { field: 'Idempotency-Key', message: 'already used for a different request' },
        ]),
      );
    }
    const job = await this.jobs.get(jobId);
    if (!job) {
      // Its record is gone (Redis lost it, or the job was taken back): the request may create it afresh.
      await this.jobs.forgetIdempotencyKey(namespace, idempotency.key);
      throw new ServiceUnavailableException(
        problem(503, `the earlier request with this Idempotency-Key left no job; retry to submit it again`),
      );
    }
    if (await this.jobs.isAccepted(jobId)) {
      return job;
    }
    if (Date.now() - Date.parse(job.createdAt) < REPLAY_IN_FLIGHT_MS) {
      throw new ConflictException(
        problem(409, `a request with Idempotency-Key '${idempotency.key}' is still in progress; retry in a moment`, [
          { field: 'Idempotency-Key', message: 'request in progress' },
        ]),
      );
    }
    await this.publishPlaceJob(jobId, namespace, job.spec, job.createdAt);
    if (!(await this.jobs.markAccepted(jobId))) {
      // The first request took the job back meanwhile (its confirm never came): the message just sent is void.
      throw new ServiceUnavailableException(problem(503, 'the job was not accepted; retry to submit it again'));
    }
    return (await this.jobs.get(jobId)) ?? job;
  }

  /** Hands a job to the schedulers, resolving once the broker confirmed it; 503 when the broker does not. */
  async publishPlaceJob(
    jobId: string,
    namespace: string,
    spec: JobSpec,
    submittedAt: string,
    gang?: PlaceJob['gang'],
  ): Promise<void> {
    try {
      await this.publisher.sendJob({
        type: 'place-job',
        jobId,
        namespace,
        spec,
        submittedAt,
        attempt: 0,
        ...(gang ? { gang } : {}),
        trace: { acceptedUs: traceNow() },
      });
    } catch (err) {
      if (err instanceof BrokerUnavailable) {
        throw new ServiceUnavailableException(problem(503, `the job was not accepted: ${err.message}; retry later`));
      }
      throw err;
    }
  }

  /** The job, if the principal may see it: a job of another namespace is a 404, so its existence does not leak. */
  async get(principal: Principal, id: string): Promise<JobRecord> {
    const job = JOB_ID.test(id) ? await this.jobs.get(id) : null;
    if (!job || !canSee(principal, job.namespace)) {
      throw new NotFoundException(problem(404, `job ${id} does not exist`, [{ field: 'id', message: 'unknown job' }]));
    }
    return job;
  }

  /** The job's events from the event log (see EventLog.ofJob), if the principal may see the job. */
  async events(principal: Principal, id: string): Promise<{ events: JobEvent[]; complete: boolean }> {
    const job = await this.get(principal, id);
    return this.eventLog.ofJob(id, Date.parse(job.createdAt));
  }

  /**
   * The container's recent output, fetched from its host's agent over RabbitMQ (the gateway never talks to
   * Docker) and streamed on as it comes. 409 when the job has no container, 504 when the host does not answer,
   * 502 when it answers with something that is not logs.
   */
  async logs(
    principal: Principal,
    id: string,
    limits: { tail: number; limitBytes: number },
  ): Promise<{ droppedBytes: number; body: Readable }> {
    const job = await this.withContainer(principal, id);
    let answer: LogsAnswer;
    try {
      answer = await relayLogs(this.requests, job.node, {
        type: 'fetch-logs',
        jobId: id,
        ...limits,
        stdout: true,
        stderr: true,
        since: '',
        timestamps: false,
        framed: false,
      });
    } catch (err) {
      if (err instanceof BrokerUnavailable) {
        throw new GatewayTimeoutException(problem(504, `host ${job.node} did not answer: ${err.message}`));
      }
      throw new BadGatewayException(problem(502, `host ${job.node} answered with no logs: ${(err as Error).message}`));
    }
    if (answer.type === 'logs-unavailable') {
      throw new ConflictException(problem(409, `host ${job.node} could not read the logs: ${answer.error}`));
    }
    return answer;
  }

  /**
   * The container's recent output, then what it writes until it stops (`logs -f`): asked of its host again every
   * half second (see ContainerLogs), one of the gateway's bounded long answers. Errors of the first read are the
   * answer's; later ones end the stream.
   */
  async followLogs(principal: Principal, id: string, limits: { tail: number; limitBytes: number }): Promise<Readable> {
    const job = await this.withContainer(principal, id);
    if (job.status === 'pulling') {
      throw new ConflictException(
        problem(409, `job ${id} is still pulling its image: follow its logs once it runs`, [
          { field: 'id', message: 'no container yet' },
        ]),
      );
    }
    const release = this.streams.take();
    const body = new PassThrough();
    let begun = false;
    let started = (): void => undefined;
    const start = new Promise<void>((resolve) => (started = resolve));
    const options = { ...limits, stdout: true, stderr: true, since: '', timestamps: false };
    const out = {
      start: () => {
        begun = true;
        started();
      },
      write: (bytes: Buffer) => boundedWrite(body, bytes),
      gone: () => body.destroyed,
    };
    const finished = this.containerLogs.stream(job, options, true, out, 'text').finally(release);
    // Before the first read came back, its error is the answer's (thrown below); after, it ends the stream.
    finished.then(
      () => body.end(),
      (err: Error) => (begun ? body.destroy(err) : undefined),
    );
    await Promise.race([start, finished]);
    return body;
  }

  /** The job, if it has a container whose output can be read; 409 otherwise. */
  private async withContainer(principal: Principal, id: string): Promise<JobRecord & { node: string }> {
    const job = await this.get(principal, id);
    if (!job.node || !['running', 'exited', 'failed', 'pulling', 'removing'].includes(job.status)) {
      throw new ConflictException(
        problem(409, `job ${id} has no container to read (status ${job.status})`, [
          { field: 'id', message: 'no container' },
        ]),
      );
    }
    return { ...job, node: job.node };
  }

  /** One page of the principal's namespace; an admin may name another, or `*` for all. */
  async list(principal: Principal, query: ListJobsQuery): Promise<{ items: JobRecord[]; next: string | null }> {
    const asked = query.namespace ?? principal.namespace;
    if (asked !== principal.namespace && !principal.scopes.includes('admin')) {
      throw new ForbiddenException(
        problem(403, `only an admin token may list another namespace (this token's is ${principal.namespace})`, [
          { field: 'namespace', message: 'needs the admin scope' },
        ]),
      );
    }
    const page = await this.jobs.list({
      status: query.status,
      namespace: asked === '*' ? undefined : asked,
      limit: query.limit ?? 100,
      cursor: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    });
    return { items: page.items, next: page.next === null ? null : encodeCursor(page.next) };
  }

  /**
   * Asks for the job's container to be stopped and removed; its capacity comes back when the host confirms.
   * Repeating the call is harmless. Returns the job as it stands after the request.
   */
  async remove(principal: Principal, id: string, options: { withGroup?: boolean } = {}): Promise<JobRecord> {
    const job = await this.get(principal, id);
    if (job.status === 'removed') {
      return job;
    }
    if (job.group && job.status === 'queued' && !options.withGroup && (await this.waitsWithGang(job.group))) {
      // Its group is placed as one: the first job carries the group's tries, and the rest must go with it.
      throw new ConflictException(
        problem(
          409,
          `job ${id} waits to be placed with its group ${job.group} (all or nothing): remove the group ` +
            `(DELETE /v1/groups/${job.group})`,
          [{ field: 'id', message: 'part of a waiting all-or-nothing group' }],
        ),
      );
    }
    if (job.status === 'unschedulable') {
      // Nothing runs and nothing is reserved.
      await this.jobs.transition(id, 'removed');
      return this.get(principal, id);
    }
    // Decide from what the transition replaced, not from the read above: the job may have moved meanwhile.
    const result = await this.jobs.transition(id, 'removing');
    const current = await this.get(principal, id);
    if (current.status === 'removing' && current.node) {
      // Placed somewhere: that host's agent stops and removes the container, then the capacity comes back.
      await this.publisher.sendToHost(current.node, { type: 'remove-container', jobId: id });
    } else if (result.outcome === 'refused' && result.current === 'unschedulable') {
      await this.jobs.transition(id, 'removed');
      return this.get(principal, id);
    }
    // A queued job with no host yet: the scheduler finishes the removal at its next try, made now if it waits.
    await this.waiting.hurry([id]);
    return current;
  }

  /** Whether the job's all-or-nothing group still waits to be placed: its first job, which carries it, is queued. */
  private async waitsWithGang(groupId: string): Promise<boolean> {
    const group = await this.groups.get(groupId);
    return group?.allOrNothing === true && (await this.jobs.get(group.members[0]))?.status === 'queued';
  }
}
