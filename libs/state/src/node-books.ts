import { JobStatus, NodeDetail, NodeRecord, NodeWorkload, Resources } from '@berth/contracts';
import { randomUUID } from 'node:crypto';
import { RedisContext, onReservationHost, redisNowMs, untilCurrent } from './redis-client';

/** Why a host refused a reservation: it left, it is down, or one dimension is exhausted. */
export type RefusalReason = 'gone' | 'down' | 'cordoned' | 'cpu' | 'memory' | 'slots' | `port:${number}`;

export type ReserveResult =
  /** `version`: the host's books' version this reservation made (see Keys.nodeChanges); none when already held. */
  | { ok: true; nodeId: string; alreadyHeld: boolean; version?: number }
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

/** One member of an all-or-nothing group, on the host chosen for it. */
export interface GroupClaim extends Claim {
  jobId: string;
  nodeId: string;
}

export type GroupReserveResult =
  | { ok: true }
  /** A member already holds a reservation: the group was placed by an earlier delivery. */
  | { ok: false; why: 'held'; jobId: string }
  | { ok: false; why: 'job'; jobId: string; status: JobStatus | 'missing' }
  | { ok: false; why: 'refused'; nodeId: string; reason: RefusalReason };

export interface NodeRegistration {
  id: string;
  /**
   * Which agent this is, the same across its restarts (its machine's boot and its Docker endpoint): a second agent
   * with the same node id and another instance is refused while the first is alive.
   */
  instance?: string;
  address: string;
  capacity: Resources;
  labels: Record<string, string>;
  images?: string[];
  /** The agent has seen this cluster before (containers on its host, or an earlier registration). */
  evidenceOfEarlierState?: boolean;
}

/**
 * The hosts' books: each host's record (capacity, status, labels, what is allocated), what runs on it (its
 * workloads and ports), and the reservations that account for them. A reservation is taken and given back only by
 * scripts that change the host's books in the same step, so the two never disagree.
 */
export class NodeBooks {
  constructor(
    private readonly context: RedisContext,
    /** A host whose heartbeat is older than this is down. */
    private readonly nodeTimeoutMs: number,
    /** How long placement pauses after Redis lost the cluster's state (see RecoveryRepository). */
    private readonly recoveryWindowMs: number,
  ) {}

  private get keys() {
    return this.context.keys;
  }

  /**
   * Takes what a job needs on one host, atomically, or says which dimension refused. With `schedule`, the job
   * also moves from queued to scheduled in the same step, so a crash cannot leave one without the other.
   */
  async reserve(
    jobId: string,
    nodeId: string,
    claim: Claim,
    options: { schedule?: boolean; now?: Date } = {},
  ): Promise<ReserveResult> {
    const now = options.now ?? new Date();
    const [outcome, detail, version] = await this.context.scripts.run(
      'reserveCapacity',
      {
        ...this.keys.host(nodeId),
        reservation: this.keys.reservation(jobId),
        job: this.keys.job(jobId),
        events: this.keys.events,
      },
      {
        nodeId,
        cpuMillis: claim.resources.cpuMillis,
        memoryMiB: claim.resources.memoryMiB,
        timeoutMs: this.nodeTimeoutMs,
        nowIso: now.toISOString(),
        slots: claim.slots ?? -1,
        ports: (claim.ports ?? []).join(','),
        workload: JSON.stringify(claim.workload),
        schedule: options.schedule ? '1' : '0',
        jobId,
      },
    );
    switch (outcome) {
      case 'ok':
        return { ok: true, nodeId: detail, alreadyHeld: false, version: Number(version) };
      case 'held':
        return { ok: true, nodeId: detail, alreadyHeld: true };
      case 'job':
        return { ok: false, why: 'job', status: detail as JobStatus | 'missing' };
      default:
        return { ok: false, why: detail as RefusalReason };
    }
  }

  /**
   * Reserves an all-or-nothing group: every member on its host and every member scheduled, in one step, or nothing
   * (see lua/reserve-group.lua). Members may share a host.
   */
  async reserveGroup(claims: ReadonlyArray<GroupClaim>, now = new Date()): Promise<GroupReserveResult> {
    const [outcome, first, second] = await this.context.scripts.run(
      'reserveGroup',
      { events: this.keys.events, changes: this.keys.nodeChanges },
      {
        members: JSON.stringify(
          claims.map((c) => ({
            jobId: c.jobId,
            nodeId: c.nodeId,
            cpuMillis: c.resources.cpuMillis,
            memoryMiB: c.resources.memoryMiB,
            slots: c.slots ?? -1,
            ports: (c.ports ?? []).join(','),
            workload: JSON.stringify(c.workload),
          })),
        ),
        timeoutMs: this.nodeTimeoutMs,
        nowIso: now.toISOString(),
      },
      claims.flatMap((c) => {
        const host = this.keys.host(c.nodeId);
        return [this.keys.job(c.jobId), this.keys.reservation(c.jobId), host.node, host.workloads, host.ports];
      }),
    );
    switch (outcome) {
      case 'ok':
        return { ok: true };
      case 'held':
        return { ok: false, why: 'held', jobId: first };
      case 'job':
        return { ok: false, why: 'job', jobId: first, status: second as JobStatus | 'missing' };
      default:
        return { ok: false, why: 'refused', nodeId: first, reason: second as RefusalReason };
    }
  }

  /**
   * Gives a job's reservation back, exactly once. With `expectNode`, only a reservation on that host. True when
   * this call gave capacity back; false when the job held none (already released).
   */
  async release(jobId: string, expectNode = ''): Promise<boolean> {
    const result = await onReservationHost(this.context, jobId, (host, nodeId) =>
      nodeId === ''
        ? Promise.resolve(0)
        : this.context.scripts.run(
            'releaseCapacity',
            { ...host, reservation: this.keys.reservation(jobId) },
            { jobId, nodeId, expectNode },
          ),
    );
    return result === 1;
  }

  /** Ids of the jobs holding a reservation on a host. */
  async jobsPlacedOn(nodeId: string): Promise<string[]> {
    return this.context.redis.hkeys(this.keys.host(nodeId).workloads);
  }

  /** Sets a host's books to the sum of the reservations it really holds; returns what they are now. */
  async recompute(nodeId: string): Promise<{ allocated: Resources; containers: number }> {
    const host = this.keys.host(nodeId);
    const [cpu, memory, containers] = await untilCurrent(
      `the workloads of host ${nodeId}`,
      async () => {
        // The script may touch only keys it is given: the reservations of the workloads as read here.
        const jobIds = await this.jobsPlacedOn(nodeId);
        return this.context.scripts.run(
          'recomputeBooks',
          host,
          { nodeId, jobIds: JSON.stringify(jobIds) },
          jobIds.map((id) => this.keys.reservation(id)),
        );
      },
      ([result]) => result === -1,
    );
    return { allocated: { cpuMillis: cpu, memoryMiB: memory }, containers };
  }

  /**
   * Registers (or re-registers) a host as `restoring`: mark it ready once its books are rebuilt. Reports whether the
   * host was known, and whether this registration started the recovery pause after a loss of Redis's state.
   */
  async register(node: NodeRegistration, now = new Date()): Promise<{ existed: boolean; recoveryStarted: boolean }> {
    const [existed, recovering] = await this.context.scripts.run(
      'registerNode',
      {
        node: this.keys.host(node.id).node,
        index: this.keys.nodeIndex,
        events: this.keys.events,
        epoch: this.keys.epoch,
        recovery: this.keys.recovery,
        changes: this.keys.nodeChanges,
      },
      {
        id: node.id,
        address: node.address,
        cpuMillis: node.capacity.cpuMillis,
        memoryMiB: node.capacity.memoryMiB,
        labels: JSON.stringify(node.labels),
        nowIso: now.toISOString(),
        instance: node.instance ?? '',
        images: JSON.stringify(node.images ?? []),
        evidence: node.evidenceOfEarlierState ? '1' : '0',
        recoveryWindowMs: this.recoveryWindowMs,
        newEpoch: randomUUID(),
      },
    );
    return { existed: existed === 1, recoveryStarted: recovering === 1 };
  }

  /**
   * Claims a node id for an agent instance before the agent takes any of the host's work. False when a live agent
   * of another instance holds it: the conflict (`conflict`, what tried) is then recorded on the host.
   */
  async claim(nodeId: string, instance: string, conflict: string): Promise<boolean> {
    const claimed = await this.context.scripts.run(
      'claimNode',
      { node: this.keys.host(nodeId).node },
      { instance, timeoutMs: this.nodeTimeoutMs, conflict },
    );
    return claimed === 1;
  }

  /** The host's books are rebuilt: it takes work again. */
  markReady(nodeId: string): Promise<boolean> {
    return this.update(nodeId, { status: 'ready' });
  }

  /** The images a host holds, for `image==` affinities. */
  async setImages(nodeId: string, images: string[]): Promise<void> {
    await this.update(nodeId, { images: JSON.stringify(images) });
  }

  /**
   * `unknown`: Redis lost the cluster's state, and the agent must register again. `superseded`: another agent
   * instance holds the node id now (this one was silent past the timeout): this one must stop.
   */
  async heartbeat(nodeId: string, instance = ''): Promise<'alive' | 'unknown' | 'superseded'> {
    const result = await this.context.scripts.run(
      'heartbeat',
      { node: this.keys.host(nodeId).node, events: this.keys.events, changes: this.keys.nodeChanges },
      { instance },
    );
    return result === 1 ? 'alive' : result === -1 ? 'superseded' : 'unknown';
  }

  /** Redis's clock (ms): the one heartbeats are stamped with, so the one they are judged by. */
  serverMs(): Promise<number> {
    return redisNowMs(this.context.redis);
  }

  /** Cordon (false) or uncordon (true) a host. False when the host is unknown. */
  setSchedulable(nodeId: string, schedulable: boolean): Promise<boolean> {
    return this.update(nodeId, { schedulable: String(schedulable) });
  }

  /** Starts (cordon and mark draining) or records the end of a drain; false when the host is unknown. */
  setDrain(nodeId: string, drain: 'draining' | 'drained' | 'none'): Promise<boolean> {
    return this.update(nodeId, drain === 'draining' ? { drain, schedulable: 'false' } : { drain });
  }

  /**
   * Records, once, that a host's heartbeat has lapsed, so watchers hear of it (its state is worked out from the
   * heartbeat's age either way). True when this call recorded it.
   */
  async noteDown(nodeId: string): Promise<boolean> {
    const recorded = await this.context.scripts.run(
      'noteNodeDown',
      { node: this.keys.host(nodeId).node, events: this.keys.events, changes: this.keys.nodeChanges },
      { timeoutMs: this.nodeTimeoutMs },
    );
    return recorded === 1;
  }

  async markDown(nodeId: string): Promise<void> {
    await this.update(nodeId, { status: 'down' });
  }

  /** Sets fields of a registered host, never creating one; false when the host is unknown. */
  private async update(nodeId: string, fields: Record<string, string>): Promise<boolean> {
    const found = await this.context.scripts.run(
      'updateNode',
      { node: this.keys.host(nodeId).node, events: this.keys.events, changes: this.keys.nodeChanges },
      { fields: JSON.stringify(fields) },
    );
    return found === 1;
  }

  /** Every host; fresh or down by Redis's clock unless `nowMs` is given. */
  async list(nowMs?: number): Promise<NodeRecord[]> {
    return (await this.read(false, nowMs ?? (await this.serverMs()))).map(({ node }) => node);
  }

  /** Hosts with what runs on them and the images they hold, for placement. */
  async listDetails(nowMs?: number): Promise<NodeDetail[]> {
    return (await this.read(true, nowMs ?? (await this.serverMs()))).map(({ node, hash, workloads }) => ({
      ...node,
      images: JSON.parse(hash.images ?? '[]') as string[],
      workloads: Object.values(workloads ?? {}).map((w) => JSON.parse(w) as NodeWorkload),
    }));
  }

  /**
   * What changed since a view last looked: the hosts whose books have a version above `after`, with those versions,
   * the newest version of all, and the cluster's epoch (another one: Redis lost its state, read everything again).
   */
  async changesSince(
    after: number,
  ): Promise<{ changed: Array<{ id: string; version: number }>; newest: number; epoch: string | null }> {
    const [[, epoch], [, top], [, changed]] = ((await this.context.redis
      .pipeline()
      .get(this.keys.epoch)
      .zrevrange(this.keys.nodeChanges, 0, 0, 'WITHSCORES')
      .zrangebyscore(this.keys.nodeChanges, `(${after}`, '+inf', 'WITHSCORES')
      .exec()) ?? []) as Array<[Error | null, unknown]>;
    const pairs = (changed as string[] | null) ?? [];
    const list: Array<{ id: string; version: number }> = [];
    for (let i = 0; i < pairs.length; i += 2) {
      list.push({ id: pairs[i], version: Number(pairs[i + 1]) });
    }
    const newest = Number((top as string[] | null)?.[1] ?? 0);
    return { changed: list, newest, epoch: (epoch as string | null) ?? null };
  }

  /** Every registered host's id. */
  async ids(): Promise<string[]> {
    return (await this.context.redis.smembers(this.keys.nodeIndex)).sort();
  }

  /**
   * Hosts for a scheduler's view, each with a version its data is at least as new as (read before the data, so a
   * change in between is read again next time, never missed), or null for a host that is gone. A host's status is
   * its record's: the view does not re-read a host for each heartbeat, so it is not judged by the heartbeat's age
   * here (the reservation script judges that, and the node monitor records a lapsed host as down).
   */
  async readVersioned(
    ids: readonly string[],
  ): Promise<Array<{ id: string; version: number; detail: NodeDetail | null }>> {
    if (ids.length === 0) {
      return [];
    }
    const pipeline = this.context.redis.pipeline();
    for (const id of ids) {
      const host = this.keys.host(id);
      pipeline.zscore(this.keys.nodeChanges, id).hgetall(host.node).hgetall(host.workloads);
    }
    const results = (await pipeline.exec()) ?? [];
    return ids.map((id, i) => {
      const [[versionErr, version], [nodeErr, hash], [workloadsErr, workloads]] = results.slice(i * 3, i * 3 + 3);
      const error = versionErr ?? nodeErr ?? workloadsErr;
      if (error) {
        throw error;
      }
      const h = hash as Record<string, string>;
      if (!h?.id) {
        return { id, version: Number(version ?? 0), detail: null };
      }
      return {
        id,
        version: Number(version ?? 0),
        detail: {
          ...toNodeRecord(h, null, this.nodeTimeoutMs),
          images: JSON.parse(h.images ?? '[]') as string[],
          workloads: Object.values(workloads as Record<string, string>).map((w) => JSON.parse(w) as NodeWorkload),
        },
      };
    });
  }

  private async read(
    withWorkloads: boolean,
    nowMs: number,
  ): Promise<Array<{ node: NodeRecord; hash: Record<string, string>; workloads?: Record<string, string> }>> {
    const ids = (await this.context.redis.smembers(this.keys.nodeIndex)).sort();
    if (ids.length === 0) {
      return [];
    }
    const pipeline = this.context.redis.pipeline();
    for (const id of ids) {
      const host = this.keys.host(id);
      pipeline.hgetall(host.node);
      if (withWorkloads) {
        pipeline.hgetall(host.workloads);
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

/**
 * A host is ready only while its heartbeat is fresh, whatever its record says. With `nowMs` null, by its record
 * alone (see readVersioned).
 */
function toNodeRecord(h: Record<string, string>, nowMs: number | null, timeoutMs: number): NodeRecord {
  const fresh = nowMs === null || nowMs - Number(h.heartbeatMs ?? 0) <= timeoutMs;
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
    heartbeatAt: new Date(Number(h.heartbeatMs ?? 0)).toISOString(),
    registeredAt: h.registeredAt,
    conflict: h.conflict ?? null,
  };
}
