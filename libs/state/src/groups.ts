import { GroupRecord, JobHistoryEntry, JobSpec, qualifiedName } from '@berth/contracts';
import { IDEMPOTENCY_KEY_LIFETIME_SECONDS, JobRepository } from './jobs';
import { RedisContext } from './redis-client';

/** One job of a group as the gateway asks for it. */
export interface NewMember {
  id: string;
  spec: JobSpec;
}

export type GroupCreateResult =
  | { created: true; group: GroupRecord }
  /** A member's name is taken: nothing was written. */
  | { created: false; name: string; holder: string }
  /** The idempotency key was used before: the first job it made, and that request's fingerprint. */
  | { created: false; replayOf: string; fingerprint: string };

/**
 * Groups: the jobs one request made (POST /v1/jobs with replicas), written together with their records in one step,
 * so a group never shows half its jobs. The group's record lives until its last job has expired.
 */
export class GroupRepository {
  constructor(
    private readonly context: RedisContext,
    private readonly jobs: JobRepository,
  ) {}

  private get keys() {
    return this.context.keys;
  }

  async create(
    group: Pick<GroupRecord, 'id' | 'namespace' | 'name' | 'allOrNothing'>,
    members: readonly NewMember[],
    now: Date,
    idempotency?: { key: string; fingerprint: string },
  ): Promise<GroupCreateResult> {
    const at = now.toISOString();
    const history: JobHistoryEntry[] = [{ status: 'queued', at }];
    const names = members.map((m) => (m.spec.name === undefined ? '' : qualifiedName(group.namespace, m.spec.name)));
    const idempotencyKey = idempotency ? qualifiedName(group.namespace, idempotency.key) : '';
    const leader = this.keys.job(members[0].id);
    const [outcome, detail] = await this.context.scripts.run(
      'createGroup',
      {
        index: this.keys.jobIndex,
        idempotency: idempotencyKey === '' ? leader : this.keys.idempotency(idempotencyKey),
        events: this.keys.events,
        group: this.keys.group(group.id),
      },
      {
        groupId: group.id,
        groupName: group.name ?? '',
        namespace: group.namespace,
        allOrNothing: group.allOrNothing ? '1' : '0',
        members: JSON.stringify(members.map((m, i) => ({ id: m.id, name: names[i], spec: JSON.stringify(m.spec) }))),
        nowIso: at,
        nowMs: now.getTime(),
        history: JSON.stringify(history),
        idempotencyKey,
        fingerprint: idempotency?.fingerprint ?? '',
        keyLifetimeSeconds: IDEMPOTENCY_KEY_LIFETIME_SECONDS,
      },
      members.flatMap((m, i) => [
        this.keys.job(m.id),
        names[i] === '' ? this.keys.job(m.id) : this.keys.name(names[i]),
      ]),
    );
    if (outcome === 'replay') {
      const [replayOf, fingerprint] = detail.split('|');
      return { created: false, replayOf, fingerprint };
    }
    if (outcome !== 'ok') {
      const [name, holder] = detail.split('|');
      return { created: false, name: name.slice(name.indexOf('/') + 1), holder };
    }
    return { created: true, group: { ...group, members: members.map((m) => m.id), createdAt: at } };
  }

  async get(id: string): Promise<GroupRecord | null> {
    const h = await this.context.redis.hgetall(this.keys.group(id));
    if (!h.id || !h.members) {
      return null;
    }
    return {
      id: h.id,
      namespace: h.namespace,
      name: h.name || null,
      allOrNothing: h.allOrNothing === '1',
      members: JSON.parse(h.members) as string[],
      createdAt: h.createdAt,
    };
  }

  /** Writes a group's record again after Redis lost it (from its first job's message); never overwrites one. */
  async restore(group: GroupRecord): Promise<void> {
    const key = this.keys.group(group.id);
    if ((await this.context.redis.exists(key)) === 1) {
      return;
    }
    await this.context.redis.hset(key, {
      id: group.id,
      namespace: group.namespace,
      name: group.name ?? '',
      allOrNothing: group.allOrNothing ? '1' : '0',
      members: JSON.stringify(group.members),
      createdAt: group.createdAt,
      live: group.members.length,
    });
  }

  /**
   * Undoes a group whose messages the broker did not all confirm (see JobRepository.takeBack, for each job). False
   * when a replay of the request got the group accepted meanwhile.
   */
  async takeBack(group: GroupRecord, names: ReadonlyArray<string | undefined>): Promise<boolean> {
    const results = await Promise.all(group.members.map((id, i) => this.jobs.takeBack(id, group.namespace, names[i])));
    if (results.every(Boolean)) {
      await this.context.redis.del(this.keys.group(group.id));
      return true;
    }
    return false;
  }
}
