import {
  allowedSources,
  JobHistoryEntry,
  JobRecord,
  JobSpec,
  JobStatus,
  NodeRecord,
  Resources,
} from '@berth/contracts';
import Redis, { Result } from 'ioredis';
import { keysFor, Keys } from './keys';
import { REGISTER_NODE, RELEASE_CAPACITY, RESERVE_CAPACITY, TRANSITION_JOB } from './lua';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    berthReserve(
      nodeKey: string,
      reservationKey: string,
      nodeId: string,
      cpuMillis: number,
      memoryMiB: number,
      nowMs: number,
      timeoutMs: number,
    ): Result<[string, string], Context>;
    berthRelease(reservationKey: string, nodeKeyPrefix: string): Result<number, Context>;
    berthTransition(
      jobKey: string,
      status: string,
      nowIso: string,
      allowedFrom: string,
      fields: string,
    ): Result<[string, string], Context>;
    berthRegisterNode(
      nodeKey: string,
      indexKey: string,
      id: string,
      address: string,
      cpuMillis: number,
      memoryMiB: number,
      labels: string,
      nowIso: string,
      nowMs: number,
    ): Result<number, Context>;
  }
}

export type ReserveResult = { ok: true; nodeId: string } | { ok: false; why: 'gone' | 'down' | 'cpu' | 'memory' };

export type TransitionResult =
  | { outcome: 'ok'; previous: JobStatus }
  | { outcome: 'same'; previous: JobStatus }
  | { outcome: 'refused'; current: JobStatus }
  | { outcome: 'missing' };

export interface TransitionFields {
  node?: string;
  containerId?: string;
  reason?: string;
}

export interface NodeRegistration {
  id: string;
  address: string;
  capacity: Resources;
  labels: Record<string, string>;
}

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
    redis.defineCommand('berthReserve', { numberOfKeys: 2, lua: RESERVE_CAPACITY });
    redis.defineCommand('berthRelease', { numberOfKeys: 1, lua: RELEASE_CAPACITY });
    redis.defineCommand('berthTransition', { numberOfKeys: 1, lua: TRANSITION_JOB });
    redis.defineCommand('berthRegisterNode', { numberOfKeys: 2, lua: REGISTER_NODE });
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

  async createJob(id: string, spec: JobSpec, now: Date): Promise<JobRecord> {
    const at = now.toISOString();
    const history: JobHistoryEntry[] = [{ status: 'queued', at }];
    await this.redis
      .multi()
      .hset(this.keys.job(id), {
        id,
        status: 'queued',
        spec: JSON.stringify(spec),
        createdAt: at,
        updatedAt: at,
        history: JSON.stringify(history),
      })
      .zadd(this.keys.jobIndex, now.getTime(), id)
      .exec();
    return {
      id,
      status: 'queued',
      spec,
      node: null,
      containerId: null,
      reason: null,
      createdAt: at,
      updatedAt: at,
      history,
    };
  }

  /** Undo a job the broker never confirmed: the user got an error, so no trace may stay. */
  async deleteJob(id: string): Promise<void> {
    await this.redis.multi().del(this.keys.job(id)).zrem(this.keys.jobIndex, id).exec();
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

  async transitionJob(
    id: string,
    to: JobStatus,
    fields: TransitionFields = {},
    now = new Date(),
  ): Promise<TransitionResult> {
    const [outcome, status] = await this.redis.berthTransition(
      this.keys.job(id),
      to,
      now.toISOString(),
      allowedSources(to).join(','),
      JSON.stringify(fields),
    );
    switch (outcome) {
      case 'ok':
        return { outcome: 'ok', previous: status as JobStatus };
      case 'same':
        return { outcome: 'same', previous: status as JobStatus };
      case 'refused':
        return { outcome: 'refused', current: status as JobStatus };
      default:
        return { outcome: 'missing' };
    }
  }

  // ---- capacity

  async reserveCapacity(
    jobId: string,
    nodeId: string,
    resources: Resources,
    nowMs = Date.now(),
  ): Promise<ReserveResult> {
    const [outcome, detail] = await this.redis.berthReserve(
      this.keys.node(nodeId),
      this.keys.reservation(jobId),
      nodeId,
      resources.cpuMillis,
      resources.memoryMiB,
      nowMs,
      this.nodeTimeoutMs,
    );
    return outcome === 'ok'
      ? { ok: true, nodeId: detail }
      : { ok: false, why: detail as 'gone' | 'down' | 'cpu' | 'memory' };
  }

  /** True when this call gave capacity back; false when the job held none (already released). */
  async releaseCapacity(jobId: string): Promise<boolean> {
    return (await this.redis.berthRelease(this.keys.reservation(jobId), this.keys.nodePrefix)) === 1;
  }

  // ---- nodes

  async registerNode(node: NodeRegistration, now = new Date()): Promise<void> {
    await this.redis.berthRegisterNode(
      this.keys.node(node.id),
      this.keys.nodeIndex,
      node.id,
      node.address,
      node.capacity.cpuMillis,
      node.capacity.memoryMiB,
      JSON.stringify(node.labels),
      now.toISOString(),
      now.getTime(),
    );
  }

  async heartbeat(nodeId: string, now = new Date()): Promise<void> {
    await this.redis.hset(this.keys.node(nodeId), {
      status: 'ready',
      heartbeatAt: now.toISOString(),
      heartbeatMs: now.getTime(),
    });
  }

  async markNodeDown(nodeId: string): Promise<void> {
    await this.redis.hset(this.keys.node(nodeId), { status: 'down' });
  }

  async listNodes(nowMs = Date.now()): Promise<NodeRecord[]> {
    const ids = (await this.redis.smembers(this.keys.nodeIndex)).sort();
    if (ids.length === 0) {
      return [];
    }
    const pipeline = this.redis.pipeline();
    ids.forEach((id) => pipeline.hgetall(this.keys.node(id)));
    const results = (await pipeline.exec()) ?? [];
    const nodes: NodeRecord[] = [];
    for (const [err, hash] of results) {
      const h = hash as Record<string, string> | null;
      if (!err && h?.id) {
        nodes.push(toNodeRecord(h, nowMs, this.nodeTimeoutMs));
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
    status: h.status === 'ready' && fresh ? 'ready' : 'down',
    capacity: { cpuMillis: Number(h.cpuMillis), memoryMiB: Number(h.memoryMiB) },
    allocated: { cpuMillis: Number(h.allocCpuMillis ?? 0), memoryMiB: Number(h.allocMemoryMiB ?? 0) },
    labels: JSON.parse(h.labels ?? '{}') as Record<string, string>,
    containers: Number(h.containers ?? 0),
    heartbeatAt: h.heartbeatAt,
    registeredAt: h.registeredAt,
  };
}
