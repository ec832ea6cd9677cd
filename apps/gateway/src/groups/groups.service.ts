import { GatewayMetrics } from '@berth/metrics';
import {
  canSee,
  GroupRecord,
  GroupView,
  JobRecord,
  JobRequest,
  JOB_NAME,
  memberName,
  Principal,
} from '@berth/contracts';
import { GroupRepository, JobRepository } from '@berth/state';
import {
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { problem } from '../common/problem';
import { fingerprintOf, JobsService, REPLAY_IN_FLIGHT_MS } from '../jobs/jobs.service';

export interface GroupSubmission {
  replicas: number;
  allOrNothing: boolean;
}

/**
 * Groups: the jobs one request makes with `replicas`. They are written together (all names claimed or none), then
 * handed to the schedulers: one place-job each, or, for an all-or-nothing group, one for the group, carried by its
 * first job, so the scheduler places them in one step (see PlacementService.placeGang).
 */
@Injectable()
export class GroupsService {
  constructor(
    private readonly groups: GroupRepository,
    private readonly jobs: JobRepository,
    private readonly jobService: JobsService,
    private readonly metrics: GatewayMetrics,
  ) {}

  async submit(
    principal: Principal,
    request: JobRequest,
    group: GroupSubmission,
    idempotencyKey?: string,
  ): Promise<GroupRecord> {
    const base = this.jobService.specFor(request);
    if (base.name !== undefined && !JOB_NAME.test(memberName(base.name, group.replicas - 1))) {
      const message = `name must leave room for -${group.replicas}: at most ${62 - String(group.replicas).length} characters with ${group.replicas} replicas`;
      throw new BadRequestException(problem(400, message, [{ field: 'name', message }]));
    }
    const namespace = principal.namespace;
    const members = Array.from({ length: group.replicas }, (_, i) => ({
      id: randomUUID(),
      spec: base.name === undefined ? base : { ...base, name: memberName(base.name, i) },
    }));
    const fingerprint = fingerprintOf(base, group);
    const idempotency = idempotencyKey === undefined ? undefined : { key: idempotencyKey, fingerprint };
    const now = new Date();
    const created = await this.groups.create(
      { id: randomUUID(), namespace, name: base.name ?? null, allOrNothing: group.allOrNothing },
      members,
      now,
      idempotency,
    );
    if (!created.created && 'replayOf' in created) {
      return this.replay(namespace, created.replayOf, created.fingerprint, idempotency!);
    }
    if (!created.created) {
      throw new ConflictException(
        problem(
          409,
          `name '${created.name}' is in use by job ${created.holder}; remove that job or pick another name`,
          [{ field: 'name', message: 'already in use' }],
        ),
      );
    }
    const names = members.map((m) => m.spec.name);
    try {
      await this.publish(created.group, members, now.toISOString());
    } catch (err) {
      const takenBack = await this.groups.takeBack(created.group, names).catch(() => false);
      if (!takenBack && idempotency && (await this.jobs.isAccepted(members[0].id).catch(() => false))) {
        return created.group;
      }
      if (idempotency) {
        await this.jobs.forgetIdempotencyKey(namespace, idempotency.key).catch(() => undefined);
      }
      throw err;
    }
    if (idempotency) {
      await this.jobs.markAccepted(members[0].id).catch(() => undefined);
    }
    this.metrics.submitted.inc(group.replicas);
    return created.group;
  }

  /** The group, if the principal may see it, with its jobs' statuses. 404 for another namespace's. */
  async view(principal: Principal, id: string): Promise<GroupView> {
    const group = await this.find(principal, id);
    const records = await Promise.all(group.members.map((member) => this.jobs.get(member)));
    const jobs = group.members.map((member, i) => {
      const job = records[i];
      return job
        ? { id: member, name: job.spec.name ?? null, status: job.status, node: job.node }
        : { id: member, name: null, status: 'expired' as const, node: null };
    });
    const counts: GroupView['counts'] = {};
    for (const job of jobs) {
      counts[job.status] = (counts[job.status] ?? 0) + 1;
    }
    return { ...group, replicas: group.members.length, counts, jobs };
  }

  /** Removes every job of the group (see JobsService.remove); the group stays readable until its jobs expire. */
  async remove(principal: Principal, id: string): Promise<GroupView> {
    const group = await this.find(principal, id);
    await Promise.all(
      group.members.map((member) =>
        this.jobService.remove(principal, member, { withGroup: true }).catch((err: unknown) => {
          if (!(err instanceof NotFoundException)) {
            throw err; // a job already expired is removed enough
          }
        }),
      ),
    );
    return this.view(principal, id);
  }

  private async find(principal: Principal, id: string): Promise<GroupRecord> {
    const group = /^[0-9a-f-]{36}$/.test(id) ? await this.groups.get(id) : null;
    if (!group || !canSee(principal, group.namespace)) {
      throw new NotFoundException(
        problem(404, `group ${id} does not exist`, [{ field: 'id', message: 'unknown group' }]),
      );
    }
    return group;
  }

  /** One place-job per job; an all-or-nothing group's first job carries the group. */
  private async publish(
    group: Pick<GroupRecord, 'id' | 'namespace' | 'allOrNothing'>,
    members: ReadonlyArray<Pick<JobRecord, 'id' | 'spec'>>,
    submittedAt: string,
  ): Promise<void> {
    const carriers = group.allOrNothing ? members.slice(0, 1) : members;
    // The carrier of an all-or-nothing group names the others, so a scheduler can rebuild them if Redis loses them.
    const gang = group.allOrNothing ? { id: group.id, members: members.map((m) => m.id) } : undefined;
    // Every publish settles before a failure is acted on: a take-back must not race a confirm still in flight.
    const results = await Promise.allSettled(
      carriers.map((m) => this.jobService.publishPlaceJob(m.id, group.namespace, m.spec, submittedAt, gang)),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      throw failed.reason;
    }
  }

  /** As JobsService's replay, for the group the key made: its first job's record says whether it was accepted. */
  private async replay(
    namespace: string,
    firstJobId: string,
    fingerprint: string,
    idempotency: { key: string; fingerprint: string },
  ): Promise<GroupRecord> {
    const first = await this.jobs.get(firstJobId);
    const group = first?.group ? await this.groups.get(first.group) : null;
    if (fingerprint !== idempotency.fingerprint || (first && !group)) {
      throw new ConflictException(
        problem(409, `Idempotency-Key '${idempotency.key}' was used for a different request (job ${firstJobId})`, [
          { field: 'Idempotency-Key', message: 'already used for a different request' },
        ]),
      );
    }
    if (!first || !group) {
      await this.jobs.forgetIdempotencyKey(namespace, idempotency.key);
      throw new ServiceUnavailableException(
        problem(503, `the earlier request with this Idempotency-Key left no jobs; retry to submit them again`),
      );
    }
    if (await this.jobs.isAccepted(firstJobId)) {
      return group;
    }
    if (Date.now() - Date.parse(first.createdAt) < REPLAY_IN_FLIGHT_MS) {
      throw new ConflictException(
        problem(409, `a request with Idempotency-Key '${idempotency.key}' is still in progress; retry in a moment`, [
          { field: 'Idempotency-Key', message: 'request in progress' },
        ]),
      );
    }
    const members = (await Promise.all(group.members.map((id) => this.jobs.get(id)))).filter(
      (job): job is JobRecord => job !== null,
    );
    await this.publish(group, members, first.createdAt);
    if (!(await this.jobs.markAccepted(firstJobId))) {
      throw new ServiceUnavailableException(problem(503, 'the jobs were not accepted; retry to submit them again'));
    }
    return group;
  }
}
