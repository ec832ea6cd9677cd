import {
  allowedSources,
  JobHistoryEntry,
  JobRecord,
  JobSpec,
  JobStatus,
  NodeDetail,
  NodeRecord,
  NodeWorkload,
  PullProgress,
  Resources,
} from '@berth/contracts';
import Redis, { Result } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { keysFor, Keys } from './keys';
import {
  ADMIT_JOB,
  CREATE_JOB,
  HEARTBEAT,
  MARK_ACCEPTED,
  RECOMPUTE_BOOKS,
  REGISTER_NODE,
  RESTORE_JOB,
  RELEASE_CAPACITY,
  RESCHEDULE_JOB,
  RESERVE_CAPACITY,
  TAKE_BACK_JOB,
  TRANSITION_JOB,
} from './lua';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    berthReserve(
      nodeKey: string,
      reservationKey: string,
      jobKey: string,
      workloadsKey: string,
      portsKey: string,
      nodeId: string,
      cpuMillis: number,
      memoryMiB: number,
      nowMs: number,
      timeoutMs: number,
      nowIso: string,
      slots: number,
      ports: string,
      workload: string,
      schedule: string,
      jobId: string,
    ): Result<[string, string], Context>;
    berthCreateJob(
      jobKey: string,
      indexKey: string,
      nameKey: string,
      idempotencyKey: string,
      id: string,
      spec: string,
      name: string,
      nowIso: string,
      nowMs: number,
      history: string,
      fingerprint: string,
      keyLifetimeSeconds: number,
    ): Result<[string, string], Context>;
    berthRecomputeBooks(
      nodeKey: string,
      workloadsKey: string,
      portsKey: string,
      reservationPrefix: string,
      nodeId: string,
    ): Result<[number, number, number], Context>;
    berthRelease(
      reservationKey: string,
      nodeKeyPrefix: string,
      jobId: string,
      expectNode: string,
    ): Result<number, Context>;
    berthTransition(
      jobKey: string,
      status: string,
      nowIso: string,
      allowedFrom: string,
      fields: string,
      namePrefix: string,
      expectNode: string,
    ): Result<[string, string], Context>;
    berthReschedule(
      jobKey: string,
      reservationKey: string,
      nodeId: string,
      nowIso: string,
      reason: string,
      nodeKeyPrefix: string,
      rescheduledKey: string,
      nowMs: number,
    ): Result<number, Context>;
    berthRegisterNode(
      nodeKey: string,
      indexKey: string,
      epochKey: string,
      recoveryKey: string,
      id: string,
      address: string,
      cpuMillis: number,
      memoryMiB: number,
      labels: string,
      nowIso: string,
      nowMs: number,
      images: string,
      evidence: string,
      recoveryWindowMs: number,
      newEpoch: string,
    ): Result<[number, number], Context>;
    berthHeartbeat(nodeKey: string, nowIso: string, nowMs: number): Result<number, Context>;
    berthTakeBackJob(
      jobKey: string,
      indexKey: string,
      tombstoneKey: string,
      reservationKey: string,
      jobId: string,
      nameKey: string,
      nodeKeyPrefix: string,
    ): Result<number, Context>;
    berthMarkAccepted(jobKey: string): Result<number, Context>;
    berthRestoreJob(
      jobKey: string,
      indexKey: string,
      tombstoneKey: string,
      reservationKey: string,
      nodeKey: string,
      ...args: Array<string | number>
    ): Result<string, Context>;
    berthAdmitJob(
      epochKey: string,
      recoveryKey: string,
      jobKey: string,
      knownEpoch: string,
      recoveryWindowMs: number,
    ): Result<[string, string, string], Context>;
  }
}

/** How long a client's Idempotency-Key keeps answering with the job it created. */
export const IDEMPOTENCY_KEY_LIFETIME_SECONDS = 86_400;

/** Why a host refused a reservation: it left, it is down, or one dimension is exhausted. */
export type RefusalReason = 'gone' | 'down' | 'cordoned' | 'cpu' | 'memory' | 'slots' | `port:${number}`;

export type ReserveResult =
  | { ok: true; nodeId: string; alreadyHeld: boolean }
  | { ok: false; why: RefusalReason }
  | { ok: false; why: 'job'; status: JobStatus | 'missing' };

/** Everything a placement takes on a host. */
export interface Claim {
  resources: Resources;
  ports?: readonly number[];
  /** The host's container cap (`containerslots`), if any. */
  slots?: number | null;
  workload: NodeWorkload;
}

export type TransitionResult =
  | { outcome: 'ok'; previous: JobStatus }
  | { outcome: 'same'; previous: JobStatus }
  | { outcome: 'refused'; current: JobStatus }
  /** The job is no longer on the host the caller expected (it was rescheduled): the report is stale. */
  | { outcome: 'stale'; node: string }
  | { outcome: 'missing' };

export interface TransitionFields {
  node?: string;
  containerId?: string;
  reason?: string;
  exitCode?: string;
  /** PullProgress as JSON. */
  progress?: string;
}

export interface NodeRegistration {
  id: string;
  address: string;
  capacity: Resources;
  labels: Record<string, string>;
  images?: string[];
  /** The agent has seen this cluster before (containers on its host, or an earlier registration). */
  evidenceOfEarlierState?: boolean;
}

/** A job record rebuilt after Redis lost it: from the container a host runs, or from a message in a queue. */
export interface RestoredJob {
  id: string;
  spec: JobSpec;
  status: JobStatus;
  node: string | null;
  containerId: string | null;
  createdAt: Date;
  history: JobHistoryEntry[];
  reason: string;
  exitCode: number | null;
  /** For a job whose container lives: what it holds on its host, taken again. */
  holds?: { ports: readonly number[]; workload: NodeWorkload };
}

export type Admission =
  /** Placement pauses while the cluster rebuilds its state; `remainingMs` null until a host has registered. */
  | { admitted: false; remainingMs: number | null; epoch: string }
  | { admitted: true; status: JobStatus | 'missing'; epoch: string };

/**
 * Berth's state in Redis: job records, node books, reservations. A thin repository: typed methods over
 * Redis calls and the Lua scripts, no scheduling logic.
 */
export class RedisState {
  readonly keys: Keys;

  constructor(
    readonly redis: Redis,
    prefix: string,
    private readonly nodeTimeoutMs: number,
  ) {
    this.keys = keysFor(prefix);
    redis.defineCommand('berthReserve', { numberOfKeys: 5, lua: RESERVE_CAPACITY });
    redis.defineCommand('berthCreateJob', { numberOfKeys: 4, lua: CREATE_JOB });
    redis.defineCommand('berthRecomputeBooks', { numberOfKeys: 3, lua: RECOMPUTE_BOOKS });
    redis.defineCommand('berthReschedule', { numberOfKeys: 2, lua: RESCHEDULE_JOB });
    redis.defineCommand('berthRelease', { numberOfKeys: 1, lua: RELEASE_CAPACITY });
    redis.defineCommand('berthTransition', { numberOfKeys: 1, lua: TRANSITION_JOB });
    redis.defineCommand('berthRegisterNode', { numberOfKeys: 4, lua: REGISTER_NODE });
    redis.defineCommand('berthHeartbeat', { numberOfKeys: 1, lua: HEARTBEAT });
    redis.defineCommand('berthTakeBackJob', { numberOfKeys: 4, lua: TAKE_BACK_JOB });
    redis.defineCommand('berthMarkAccepted', { numberOfKeys: 1, lua: MARK_ACCEPTED });
    redis.defineCommand('berthRestoreJob', { numberOfKeys: 5, lua: RESTORE_JOB });
    redis.defineCommand('berthAdmitJob', { numberOfKeys: 3, lua: ADMIT_JOB });
  }

  /** How long placement pauses after Redis lost the cluster's state: every live agent heartbeats within it. */
  get recoveryWindowMs(): number {
    return this.nodeTimeoutMs;
  }

  /**
   * Keeps reconnecting for as long as the process lives. With `failFast`, commands fail at once while Redis is
   * away (the gateway answers 503) instead of waiting in ioredis's offline queue (the workers wait and carry on).
   */
  static connect(url: string, prefix: string, nodeTimeoutMs: number, name: string, failFast = false): RedisState {
    const redis = new Redis(url, {
      connectionName: name,
      retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
      maxRetriesPerRequest: failFast ? 1 : 20,
      enableOfflineQueue: !failFast,
    });
    return new RedisState(redis, prefix, nodeTimeoutMs);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  // ---- jobs

  /**
   * Records a new job as queued. A job with a name claims it cluster-wide first; when the name is taken, nothing is
   * written and the id of the job holding it is returned instead. With an idempotency key (and the request's
   * fingerprint), a key used before returns the job it created and that request's fingerprint instead.
   */
  async createJob(
    id: string,
    spec: JobSpec,
    now: Date,
    idempotency?: { key: string; fingerprint: string },
  ): Promise<
    | { created: true; job: JobRecord }
    | { created: false; holder: string }
    | { created: false; replayOf: string; fingerprint: string }
  > {
    const at = now.toISOString();
    const history: JobHistoryEntry[] = [{ status: 'queued', at }];
    const name = spec.name ?? '';
    const [outcome, detail] = await this.redis.berthCreateJob(
      this.keys.job(id),
      this.keys.jobIndex,
      name === '' ? this.keys.job(id) : this.keys.namePrefix + name,
      idempotency ? this.keys.idempotency(idempotency.key) : this.keys.job(id),
      id,
      JSON.stringify(spec),
      name,
      at,
      now.getTime(),
      JSON.stringify(history),
      idempotency?.fingerprint ?? '',
      IDEMPOTENCY_KEY_LIFETIME_SECONDS,
    );
    if (outcome === 'replay') {
      const [replayOf, fingerprint] = detail.split('|');
      return { created: false, replayOf, fingerprint };
    }
    if (outcome !== 'ok') {
      return { created: false, holder: detail };
    }
    return {
      created: true,
      job: {
        id,
        status: 'queued',
        spec,
        node: null,
        containerId: null,
        reason: null,
        exitCode: null,
        progress: null,
        createdAt: at,
        updatedAt: at,
        history,
      },
    };
  }

  /**
   * Marks a job's message as confirmed by the broker, so a replay of its request may answer 202. False when the
   * record is gone (taken back by a request that timed out, or lost with Redis).
   */
  async markAccepted(id: string): Promise<boolean> {
    return (await this.redis.berthMarkAccepted(this.keys.job(id))) === 1;
  }

  async isAccepted(id: string): Promise<boolean> {
    return (await this.redis.hget(this.keys.job(id), 'accepted')) === '1';
  }

  /** Forgets an idempotency key (its job was taken back, or lost), so the request can create a job again. */
  async forgetIdempotencyKey(key: string): Promise<void> {
    await this.redis.del(this.keys.idempotency(key));
  }

  /**
   * Undo a job the broker never confirmed: the user got an error, so no trace may stay, not even its name or a
   * reservation. A tombstone (kept a day) stops the message, should the broker have taken it after all, from
   * rebuilding the job. False (nothing done) when a replay of the request got the job accepted meanwhile.
   */
  async deleteJob(id: string, name?: string): Promise<boolean> {
    return (
      (await this.redis.berthTakeBackJob(
        this.keys.job(id),
        this.keys.jobIndex,
        this.keys.tombstone(id),
        this.keys.reservation(id),
        id,
        name === undefined ? '' : this.keys.namePrefix + name,
        this.keys.nodePrefix,
      )) === 1
    );
  }

  async getJob(id: string): Promise<JobRecord | null> {
    const hash = await this.redis.hgetall(this.keys.job(id));
    return hash.id ? toJobRecord(hash) : null;
  }

  /** Newest first, optionally only one status. Scans at most `scanLimit` records. */
  async listJobs(options: { status?: JobStatus; limit: number; scanLimit?: number }): Promise<JobRecord[]> {
    const page = 200;
    const scanLimit = options.scanLimit ?? 10_000;
    const found: JobRecord[] = [];
    for (let start = 0; start < scanLimit && found.length < options.limit; start += page) {
      const ids = await this.redis.zrevrange(this.keys.jobIndex, start, start + page - 1);
      if (ids.length === 0) {
        break;
      }
      const pipeline = this.redis.pipeline();
      ids.forEach((id) => pipeline.hgetall(this.keys.job(id)));
      const results = (await pipeline.exec()) ?? [];
      for (const [err, hash] of results) {
        if (err || !hash || !(hash as Record<string, string>).id) {
          continue;
        }
        const job = toJobRecord(hash as Record<string, string>);
        if (!options.status || job.status === options.status) {
          found.push(job);
          if (found.length >= options.limit) {
            break;
          }
        }
      }
    }
    return found;
  }

  /**
   * Moves a job forward, or refuses. With `expectNode`, only while the job is on that host: a report from a host
   * the job was moved away from changes nothing.
   */
  async transitionJob(
    id: string,
    to: JobStatus,
    fields: TransitionFields = {},
    options: { now?: Date; expectNode?: string } = {},
  ): Promise<TransitionResult> {
    const [outcome, detail] = await this.redis.berthTransition(
      this.keys.job(id),
      to,
      (options.now ?? new Date()).toISOString(),
      allowedSources(to).join(','),
      JSON.stringify(fields),
      this.keys.namePrefix,
      options.expectNode ?? '',
    );
    switch (outcome) {
      case 'ok':
        return { outcome: 'ok', previous: detail as JobStatus };
      case 'same':
        return { outcome: 'same', previous: detail as JobStatus };
      case 'refused':
        return { outcome: 'refused', current: detail as JobStatus };
      case 'stale':
        return { outcome: 'stale', node: detail };
      default:
        return { outcome: 'missing' };
    }
  }

  /** Takes a job off a host that is down or drained so it can be placed again; true when this call did it. */
  async rescheduleJob(jobId: string, nodeId: string, reason: string, now = new Date()): Promise<boolean> {
    return (
      (await this.redis.berthReschedule(
        this.keys.job(jobId),
        this.keys.reservation(jobId),
        nodeId,
        now.toISOString(),
        reason,
        this.keys.nodePrefix,
        this.keys.rescheduled,
        now.getTime(),
      )) === 1
    );
  }

  /**
   * Rebuilds a job's record that Redis lost (see RestoredJob). Never overwrites a record, never revives a job the
   * gateway took back.
   */
  async restoreJob(job: RestoredJob, now = new Date()): Promise<'restored' | 'exists' | 'tombstoned'> {
    const holds = job.holds && job.node ? job.holds : null;
    const result = await this.redis.berthRestoreJob(
      this.keys.job(job.id),
      this.keys.jobIndex,
      this.keys.tombstone(job.id),
      this.keys.reservation(job.id),
      this.keys.node(job.node ?? ''),
      job.id,
      JSON.stringify(job.spec),
      job.spec.name ?? '',
      this.keys.namePrefix,
      job.status,
      job.node ?? '',
      job.containerId ?? '',
      job.createdAt.toISOString(),
      job.createdAt.getTime(),
      now.toISOString(),
      JSON.stringify(job.history),
      job.reason,
      job.exitCode === null ? '' : String(job.exitCode),
      holds ? '1' : '0',
      job.spec.resources.cpuMillis,
      job.spec.resources.memoryMiB,
      (holds?.ports ?? []).join(','),
      JSON.stringify(holds?.workload ?? {}),
    );
    return result as 'restored' | 'exists' | 'tombstoned';
  }

  /**
   * The scheduler's gate before placing a job: paused while the cluster rebuilds its state after a loss of Redis,
   * else the job's status ('missing' when its record is gone). `knownEpoch` is the epoch the caller saw last.
   */
  async admitJob(jobId: string, knownEpoch: string): Promise<Admission> {
    const [outcome, detail, epoch] = await this.redis.berthAdmitJob(
      this.keys.epoch,
      this.keys.recovery,
      this.keys.job(jobId),
      knownEpoch,
      this.recoveryWindowMs,
    );
    if (outcome === 'paused') {
      return { admitted: false, remainingMs: detail === '-1' ? null : Number(detail), epoch };
    }
    return { admitted: true, status: detail as JobStatus | 'missing', epoch };
  }

  /** While the cluster rebuilds its state after a loss of Redis: how long placement stays paused (ms), else null. */
  async recoveryRemainingMs(): Promise<number | null> {
    const ttl = await this.redis.pttl(this.keys.recovery);
    return ttl > 0 ? ttl : null;
  }

  // ---- capacity

  /**
   * Takes what a job needs on one host, atomically, or says which dimension refused. With `schedule`, the job
   * also moves from queued to scheduled in the same step, so a crash cannot leave one without the other.
   */
  async reserveCapacity(
    jobId: string,
    nodeId: string,
    claim: Claim,
    options: { schedule?: boolean; now?: Date } = {},
  ): Promise<ReserveResult> {
    const now = options.now ?? new Date();
    const [outcome, detail] = await this.redis.berthReserve(
      this.keys.node(nodeId),
      this.keys.reservation(jobId),
      this.keys.job(jobId),
      this.keys.nodeWorkloads(nodeId),
      this.keys.nodePorts(nodeId),
      nodeId,
      claim.resources.cpuMillis,
      claim.resources.memoryMiB,
      now.getTime(),
      this.nodeTimeoutMs,
      now.toISOString(),
      claim.slots ?? -1,
      (claim.ports ?? []).join(','),
      JSON.stringify(claim.workload),
      options.schedule ? '1' : '0',
      jobId,
    );
    switch (outcome) {
      case 'ok':
        return { ok: true, nodeId: detail, alreadyHeld: false };
      case 'held':
        return { ok: true, nodeId: detail, alreadyHeld: true };
      case 'job':
        return { ok: false, why: 'job', status: detail as JobStatus | 'missing' };
      default:
        return { ok: false, why: detail as RefusalReason };
    }
  }

  /** True when this call gave capacity back; false when the job held none (already released). */
  async releaseCapacity(jobId: string, expectNode = ''): Promise<boolean> {
    return (await this.redis.berthRelease(this.keys.reservation(jobId), this.keys.nodePrefix, jobId, expectNode)) === 1;
  }

  /** The id of the job holding a name, if any. */
  async jobIdByName(name: string): Promise<string | null> {
    return this.redis.get(this.keys.namePrefix + name);
  }

  /** Ids of the jobs holding a reservation on a host. */
  async jobsPlacedOn(nodeId: string): Promise<string[]> {
    return this.redis.hkeys(this.keys.nodeWorkloads(nodeId));
  }

  /** Sets a host's books to the sum of the reservations it really holds; returns what they are now. */
  async recomputeBooks(nodeId: string): Promise<{ allocated: Resources; containers: number }> {
    const [cpu, memory, containers] = await this.redis.berthRecomputeBooks(
      this.keys.node(nodeId),
      this.keys.nodeWorkloads(nodeId),
      this.keys.nodePorts(nodeId),
      this.keys.reservationPrefix,
      nodeId,
    );
    return { allocated: { cpuMillis: cpu, memoryMiB: memory }, containers };
  }

  // ---- nodes

  /**
   * Registers (or re-registers) a host as `restoring`: mark it ready once its books are rebuilt. Reports whether the
   * host was known, and whether this registration started the recovery pause after a loss of Redis's state.
   */
  async registerNode(
    node: NodeRegistration,
    now = new Date(),
  ): Promise<{ existed: boolean; recoveryStarted: boolean }> {
    const images = JSON.stringify(node.images ?? []);
    const [existed, recovering] = await this.redis.berthRegisterNode(
      this.keys.node(node.id),
      this.keys.nodeIndex,
      this.keys.epoch,
      this.keys.recovery,
      node.id,
      node.address,
      node.capacity.cpuMillis,
      node.capacity.memoryMiB,
      JSON.stringify(node.labels),
      now.toISOString(),
      now.getTime(),
      images,
      node.evidenceOfEarlierState ? '1' : '0',
      this.recoveryWindowMs,
      randomUUID(),
    );
    return { existed: existed === 1, recoveryStarted: recovering === 1 };
  }

  /** The host's books are rebuilt: it takes work again. */
  async markNodeReady(nodeId: string): Promise<boolean> {
    return this.updateNode(nodeId, { status: 'ready' });
  }

  /** The images a host holds, for `image==` affinities. */
  async setNodeImages(nodeId: string, images: string[]): Promise<void> {
    await this.redis.hset(this.keys.node(nodeId), { images: JSON.stringify(images) });
  }

  /** False when the host is unknown: Redis lost the cluster's state, and the agent must register again. */
  async heartbeat(nodeId: string, now = new Date()): Promise<boolean> {
    return (await this.redis.berthHeartbeat(this.keys.node(nodeId), now.toISOString(), now.getTime())) === 1;
  }

  /** Cordon (false) or uncordon (true) a host. False when the host is unknown. */
  async setSchedulable(nodeId: string, schedulable: boolean): Promise<boolean> {
    return this.updateNode(nodeId, { schedulable: String(schedulable) });
  }

  /** Sets fields of a registered host, never creating one; false when the host is unknown. */
  private async updateNode(nodeId: string, fields: Record<string, string>): Promise<boolean> {
    const found = await this.redis.eval(
      `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
       redis.call('HSET', KEYS[1], unpack(ARGV))
       return 1`,
      1,
      this.keys.node(nodeId),
      ...Object.entries(fields).flat(),
    );
    return found === 1;
  }

  /** Rescheduled jobs still waiting to be placed again since before `olderThanMs`; drops those placed since. */
  async staleRescheduled(olderThanMs: number): Promise<string[]> {
    const ids = await this.redis.zrangebyscore(this.keys.rescheduled, 0, olderThanMs);
    const stale: string[] = [];
    for (const id of ids) {
      const job = await this.getJob(id);
      if (job?.status === 'queued') {
        stale.push(id);
      } else {
        await this.redis.zrem(this.keys.rescheduled, id);
      }
    }
    return stale;
  }

  async touchRescheduled(jobId: string, nowMs = Date.now()): Promise<void> {
    await this.redis.zadd(this.keys.rescheduled, nowMs, jobId);
  }

  /** Starts (cordon and mark draining) or records the end of a drain; false when the host is unknown. */
  async setDrain(nodeId: string, drain: 'draining' | 'drained' | 'none'): Promise<boolean> {
    return this.updateNode(nodeId, drain === 'draining' ? { drain, schedulable: 'false' } : { drain });
  }

  async markNodeDown(nodeId: string): Promise<void> {
    await this.redis.hset(this.keys.node(nodeId), { status: 'down' });
  }

  async listNodes(nowMs = Date.now()): Promise<NodeRecord[]> {
    return (await this.readNodes(false, nowMs)).map(({ node }) => node);
  }

  /** Hosts with what runs on them and the images they hold, for placement. */
  async listNodeDetails(nowMs = Date.now()): Promise<NodeDetail[]> {
    return (await this.readNodes(true, nowMs)).map(({ node, hash, workloads }) => ({
      ...node,
      images: JSON.parse(hash.images ?? '[]') as string[],
      workloads: Object.values(workloads ?? {}).map((w) => JSON.parse(w) as NodeWorkload),
    }));
  }

  private async readNodes(
    withWorkloads: boolean,
    nowMs: number,
  ): Promise<Array<{ node: NodeRecord; hash: Record<string, string>; workloads?: Record<string, string> }>> {
    const ids = (await this.redis.smembers(this.keys.nodeIndex)).sort();
    if (ids.length === 0) {
      return [];
    }
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      pipeline.hgetall(this.keys.node(id));
      if (withWorkloads) {
        pipeline.hgetall(this.keys.nodeWorkloads(id));
      }
    }
    const results = (await pipeline.exec()) ?? [];
    const step = withWorkloads ? 2 : 1;
    const nodes: Array<{ node: NodeRecord; hash: Record<string, string>; workloads?: Record<string, string> }> = [];
    for (let i = 0; i < results.length; i += step) {
      const [err, hash] = results[i];
      const h = hash as Record<string, string> | null;
      if (!err && h?.id) {
        nodes.push({
          node: toNodeRecord(h, nowMs, this.nodeTimeoutMs),
          hash: h,
          workloads: withWorkloads ? (results[i + 1][1] as Record<string, string>) : undefined,
        });
      }
    }
    return nodes;
  }
}

function toJobRecord(h: Record<string, string>): JobRecord {
  return {
    id: h.id,
    status: h.status as JobStatus,
    spec: JSON.parse(h.spec) as JobSpec,
    node: h.node || null,
    containerId: h.containerId || null,
    reason: h.reason || null,
    exitCode: h.exitCode !== undefined && h.exitCode !== '' ? Number(h.exitCode) : null,
    progress: h.status === 'pulling' && h.progress ? (JSON.parse(h.progress) as PullProgress) : null,
    createdAt: h.createdAt,
    updatedAt: h.updatedAt,
    history: JSON.parse(h.history ?? '[]') as JobHistoryEntry[],
  };
}

/** A host is ready only while its heartbeat is fresh, whatever its record says. */
function toNodeRecord(h: Record<string, string>, nowMs: number, timeoutMs: number): NodeRecord {
  const fresh = nowMs - Number(h.heartbeatMs ?? 0) <= timeoutMs;
  return {
    id: h.id,
    address: h.address,
    status: !fresh ? 'down' : h.status === 'ready' || h.status === 'restoring' ? h.status : 'down',
    schedulable: h.schedulable !== 'false',
    drain: h.drain === 'draining' || h.drain === 'drained' ? h.drain : 'none',
    capacity: { cpuMillis: Number(h.cpuMillis), memoryMiB: Number(h.memoryMiB) },
    allocated: { cpuMillis: Number(h.allocCpuMillis ?? 0), memoryMiB: Number(h.allocMemoryMiB ?? 0) },
    labels: JSON.parse(h.labels ?? '{}') as Record<string, string>,
    containers: Number(h.containers ?? 0),
    heartbeatAt: h.heartbeatAt,
    registeredAt: h.registeredAt,
  };
}
