import {
  allowedSources,
  DEFAULT_NAMESPACE,
  JobHistoryEntry,
  JobRecord,
  JobSpec,
  JobStatus,
  NodeVerdict,
  PullProgress,
  qualifiedName,
} from '@berth/contracts';
import { onReservationHost, RedisContext, untilCurrent } from './redis-client';
import { WAITING_GRACE_MS } from './waiting';

/** How long a client's Idempotency-Key keeps answering with the job it created. */
export const IDEMPOTENCY_KEY_LIFETIME_SECONDS = 86_400;

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
  /** NodeVerdict[] as JSON. */
  verdicts?: string;
}

export type CreateResult =
  | { created: true; job: JobRecord }
  /** The name is taken: nothing was written. */
  | { created: false; holder: string }
  /** The idempotency key was used before: the job it made, and that request's fingerprint. */
  | { created: false; replayOf: string; fingerprint: string };

/**
 * Job records: one hash per job, an index by submission time, the idempotency keys of the requests that made
 * them, tombstones of jobs taken back, and the list of jobs taken off a host awaiting placement again.
 */
/** Where a page of jobs ended: the last job's time in the index and its id (the tie-break within one ms). */
export interface JobCursor {
  createdMs: number;
  id: string;
}

export class JobRepository {
  constructor(private readonly context: RedisContext) {}

  private get keys() {
    return this.context.keys;
  }

  /**
   * Records a new job as queued. A job with a name claims it cluster-wide first; when the name is taken, nothing is
   * written and the id of the job holding it is returned instead. With an idempotency key (and the request's
   * fingerprint), a key used before returns the job it created and that request's fingerprint instead.
   */
  async create(
    id: string,
    namespace: string,
    spec: JobSpec,
    now: Date,
    idempotency?: { key: string; fingerprint: string },
  ): Promise<CreateResult> {
    const at = now.toISOString();
    const history: JobHistoryEntry[] = [{ status: 'queued', at }];
    const job = this.keys.job(id);
    // Names and idempotency keys are the namespace's own: two teams may each have `web`, or reuse a key.
    const name = spec.name === undefined ? '' : qualifiedName(namespace, spec.name);
    const idempotencyKey = idempotency ? qualifiedName(namespace, idempotency.key) : '';
    const [outcome, detail] = await this.context.scripts.run(
      'createJob',
      {
        job,
        events: this.keys.events,
        index: this.keys.jobIndex,
        name: name === '' ? job : this.keys.name(name),
        idempotency: idempotencyKey === '' ? job : this.keys.idempotency(idempotencyKey),
      },
      {
        id,
        namespace,
        spec: JSON.stringify(spec),
        name,
        nowIso: at,
        nowMs: now.getTime(),
        history: JSON.stringify(history),
        idempotencyKey,
        fingerprint: idempotency?.fingerprint ?? '',
        keyLifetimeSeconds: IDEMPOTENCY_KEY_LIFETIME_SECONDS,
      },
    );
    if (outcome === 'replay') {
      const [replayOf, fingerprint] = detail.split('|');
      return { created: false, replayOf, fingerprint };
    }
    if (outcome !== 'ok') {
      return { created: false, holder: detail };
    }
    const record: JobRecord = {
      id,
      namespace,
      status: 'queued',
      spec,
      node: null,
      containerId: null,
      reason: null,
      exitCode: null,
      progress: null,
      verdicts: null,
      group: null,
      createdAt: at,
      updatedAt: at,
      history,
    };
    return { created: true, job: record };
  }

  /**
   * Marks a job's message as confirmed by the broker, so a replay of its request may answer 202. False when the
   * record is gone (taken back by a request that timed out, or lost with Redis).
   */
  async markAccepted(id: string): Promise<boolean> {
    return (await this.context.scripts.run('markAccepted', { job: this.keys.job(id) }, {})) === 1;
  }

  async isAccepted(id: string): Promise<boolean> {
    return (await this.context.redis.hget(this.keys.job(id), 'accepted')) === '1';
  }

  /** Forgets an idempotency key (its job was taken back, or lost), so the request can create a job again. */
  async forgetIdempotencyKey(namespace: string, key: string): Promise<void> {
    await this.context.redis.del(this.keys.idempotency(qualifiedName(namespace, key)));
  }

  /**
   * Undo a job the broker never confirmed: the user got an error, so no trace may stay, not even its name or a
   * reservation. A tombstone (kept a day) stops the message, should the broker have taken it after all, from
   * rebuilding the job. False (nothing done) when a replay of the request got the job accepted meanwhile.
   */
  async takeBack(id: string, namespace: string, jobName?: string): Promise<boolean> {
    const name = jobName === undefined ? undefined : qualifiedName(namespace, jobName);
    const job = this.keys.job(id);
    const result = await onReservationHost(this.context, id, (host, nodeId) =>
      this.context.scripts.run(
        'takeBackJob',
        {
          ...host,
          job,
          index: this.keys.jobIndex,
          tombstone: this.keys.tombstone(id),
          reservation: this.keys.reservation(id),
          name: name === undefined ? job : this.keys.name(name),
        },
        { jobId: id, nodeId, hasName: name === undefined ? '0' : '1' },
      ),
    );
    return result === 1;
  }

  async get(id: string): Promise<JobRecord | null> {
    const hash = await this.context.redis.hgetall(this.keys.job(id));
    return hash.id ? toJobRecord(hash) : null;
  }

  /**
   * One page of jobs, newest first, optionally only one status or one namespace. `cursor` continues after the last
   * job of the page before; `next` is null only when nothing is left, so a list is never cut short silently (a page
   * may come back short when the scan of `scanLimit` records found too few that match: `next` then goes on). New jobs
   * arriving between pages never repeat one already seen.
   */
  async list(options: {
    status?: JobStatus;
    namespace?: string;
    limit: number;
    cursor?: JobCursor;
    scanLimit?: number;
  }): Promise<{ items: JobRecord[]; next: JobCursor | null }> {
    const page = 200;
    const scanLimit = options.scanLimit ?? 10_000;
    const items: JobRecord[] = [];
    let after = options.cursor ?? null;
    let scanned = 0;
    // Entries at the cursor's own ms that it already passed are skipped; past a page of them, look further on.
    let offset = 0;
    for (;;) {
      const max = after === null ? '+inf' : String(after.createdMs);
      const raw = await this.context.redis.zrevrangebyscore(
        this.keys.jobIndex,
        max,
        '-inf',
        'WITHSCORES',
        'LIMIT',
        offset,
        page,
      );
      if (raw.length === 0) {
        return { items, next: null };
      }
      const entries: Array<{ id: string; createdMs: number }> = [];
      for (let k = 0; k < raw.length; k += 2) {
        const entry = { id: raw[k], createdMs: Number(raw[k + 1]) };
        // Within one ms the index runs in reverse id order: what follows the cursor has a smaller id.
        if (after === null || entry.createdMs < after.createdMs || entry.id < after.id) {
          entries.push(entry);
        }
      }
      if (entries.length === 0) {
        offset += raw.length / 2;
        continue;
      }
      offset = 0;
      const pipeline = this.context.redis.pipeline();
      entries.forEach((entry) => pipeline.hgetall(this.keys.job(entry.id)));
      const results = (await pipeline.exec()) ?? [];
      for (let k = 0; k < entries.length; k++) {
        after = entries[k];
        scanned++;
        const [err, hash] = results[k];
        if (err) {
          // A job the page cannot read must not silently drop out of it.
          throw err;
        }
        if (hash && (hash as Record<string, string>).id) {
          const job = toJobRecord(hash as Record<string, string>);
          if (
            (!options.status || job.status === options.status) &&
            (!options.namespace || job.namespace === options.namespace)
          ) {
            items.push(job);
          }
        }
        if (items.length >= options.limit || scanned >= scanLimit) {
          return { items, next: after };
        }
      }
    }
  }

  /**
   * Moves a job forward, or refuses. With `expectNode`, only while the job is on that host: a report from a host
   * the job was moved away from changes nothing. Moving to `removed` frees the job's name. A job that has finished
   * for good starts its retention (see JobRetention).
   */
  async transition(
    id: string,
    to: JobStatus,
    fields: TransitionFields = {},
    options: { now?: Date; expectNode?: string } = {},
  ): Promise<TransitionResult> {
    const job = this.keys.job(id);
    const [outcome, detail] = await untilCurrent(
      `the name of job ${id}`,
      async () => {
        // The name's claim is a key the script must be given: read it first (only a removal frees it).
        const name = to === 'removed' ? ((await this.context.redis.hget(job, 'name')) ?? '') : '';
        return this.context.scripts.run(
          'transitionJob',
          {
            job,
            name: name === '' ? job : this.keys.name(name),
            expiring: this.keys.expiring,
            events: this.keys.events,
          },
          {
            status: to,
            nowIso: (options.now ?? new Date()).toISOString(),
            allowedFrom: allowedSources(to).join(','),
            fields: JSON.stringify(fields),
            expectNode: options.expectNode ?? '',
            name,
          },
        );
      },
      ([result]) => result === 'retry',
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

  /**
   * Takes a job off a host that is down or drained so it can be placed again. Returns the attempt its next place-job
   * message carries (see WaitingJobs) when this call did it, else null.
   */
  async reschedule(jobId: string, nodeId: string, reason: string, now = new Date()): Promise<number | null> {
    const attempt = await this.context.scripts.run(
      'rescheduleJob',
      {
        ...this.keys.host(nodeId),
        job: this.keys.job(jobId),
        reservation: this.keys.reservation(jobId),
        waiting: this.keys.waiting,
        events: this.keys.events,
      },
      { jobId, nodeId, nowIso: now.toISOString(), reason, graceMs: WAITING_GRACE_MS },
    );
    return attempt > 0 ? attempt : null;
  }
}

function toJobRecord(h: Record<string, string>): JobRecord {
  return {
    id: h.id,
    namespace: h.namespace || DEFAULT_NAMESPACE,
    status: h.status as JobStatus,
    spec: JSON.parse(h.spec) as JobSpec,
    node: h.node || null,
    containerId: h.containerId || null,
    reason: h.reason || null,
    exitCode: h.exitCode !== undefined && h.exitCode !== '' ? Number(h.exitCode) : null,
    progress: h.status === 'pulling' && h.progress ? (JSON.parse(h.progress) as PullProgress) : null,
    verdicts:
      (h.status === 'queued' || h.status === 'unschedulable') && h.verdicts
        ? (JSON.parse(h.verdicts) as NodeVerdict[])
        : null,
    group: h.group || null,
    createdAt: h.createdAt,
    updatedAt: h.updatedAt,
    history: JSON.parse(h.history ?? '[]') as JobHistoryEntry[],
  };
}
