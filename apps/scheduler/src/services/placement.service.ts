import { aboutJob } from '@berth/logging';
import {
  JobRecord,
  JobSpec,
  JobTrace,
  memberName,
  NodeVerdict,
  PARKED_BACKSTOP_MS,
  PlaceJob,
  retryDelayFor,
  sealOf,
  StrategyName,
  traceNow,
  VERDICTS_KEPT,
  workloadFor,
} from '@berth/contracts';
import { Publisher } from '@berth/messaging';
import {
  containerSlots,
  explain,
  GroupPlacement,
  NodeSnapshot,
  place,
  placeGroup,
  placementRequest,
  PlacementRequest,
  PlacementResult,
  verdicts,
} from '@berth/scheduling';
import { BerthState } from '@berth/state';
import { Logger } from '@nestjs/common';
import { NodeView } from './node-view';

/**
 * The job's record vanished between the gate and placement: Redis lost its state meanwhile. The delivery is tried
 * again (from a delay queue), and the gate then waits for the cluster to recover and rebuilds the record.
 */
export class JobRecordVanished extends Error {
  override readonly name = 'JobRecordVanished';
  constructor(jobId: string) {
    super(`the record of job ${jobId} vanished during placement (Redis lost its state?); trying again`);
  }
}

/** A queued job of an all-or-nothing group, ready for placeGroup. */
interface GangMember {
  job: JobRecord;
  request: PlacementRequest;
  workload: ReturnType<typeof workloadFor>;
}

/** Candidates tried per round; after a round of conflicts the view is refreshed and the job ranked again. */
const CANDIDATES_PER_ROUND = 3;
const ROUNDS = 3;

export interface PlacementStats {
  placed: number;
  waiting: number;
  unschedulable: number;
  /** Reservations refused because another placement took the room first (this process or another replica). */
  conflicts: number;
}

/** What one delivery came to; `skipped`: nothing to decide (a late copy, paused placement, a job gone). */
export type AttemptResult = 'placed' | 'waiting' | 'unschedulable' | 'skipped';

/** Told of each attempt, for metrics: the placement core knows nothing of how they are counted. */
export interface PlacementObserver {
  attempted(result: Exclude<AttemptResult, 'skipped'> | 'error', seconds: number): void;
  placed(submittedAt: string): void;
  conflict(): void;
}

export interface PlacementOptions {
  defaultStrategy: StrategyName;
  /** The schedulers' key for the seal on each create they send (see sealOf). */
  sealKey: Buffer;
  observer?: PlacementObserver;
  /** Wakes parked jobs: room was freed while a job that had just found none was being parked (see RoomWaker). */
  wake?: (containers: number) => void;
}

/**
 * Places one job: rank hosts from the local view, reserve on the best one atomically in Redis, fall through
 * to the next on a conflict, then hand the job to the host's agent. Any number of these run at once, in this
 * process and in other scheduler replicas; nothing here waits on a lock. A job that fits nowhere waits in a
 * delay queue (no delivery is held open) until its placement timeout, then becomes unschedulable; it is on the
 * waiting set in Redis meanwhile, so a try the broker loses is made again (see WaitingJobs).
 */
export class PlacementService {
  private readonly logger = new Logger('Placement');
  readonly stats: PlacementStats = { placed: 0, waiting: 0, unschedulable: 0, conflicts: 0 };
  /** The cluster's epoch as last seen: another one means Redis lost its state, and placement pauses. */
  private epoch = '';

  constructor(
    private readonly state: Pick<BerthState, 'jobs' | 'groups' | 'nodes' | 'recovery' | 'waiting'>,
    private readonly publisher: Publisher,
    private readonly view: NodeView,
    private readonly options: PlacementOptions,
  ) {}

  async handle(delivered: PlaceJob): Promise<void> {
    const started = performance.now();
    const message: PlaceJob = { ...delivered, trace: { ...delivered.trace, consumedUs: traceNow() } };
    let result: AttemptResult | 'error' = 'error';
    try {
      result = await this.attempt(message);
    } finally {
      if (result !== 'skipped') {
        this.options.observer?.attempted(result, (performance.now() - started) / 1000);
      }
    }
  }

  private async attempt(message: PlaceJob): Promise<AttemptResult> {
    const admitted = await this.admit(message);
    if (admitted === null) {
      return 'skipped';
    }
    if (admitted.gang !== null) {
      return this.placeGang(message, admitted.gang);
    }
    // The wire decoder checked the expressions (JOB_SPEC), so parsing them here cannot fail.
    const request = placementRequest(message.jobId, message.namespace, message.spec, this.options.defaultStrategy);
    const seen = this.view.roomFreedGeneration;
    let result: PlacementResult | null = null;
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        await this.view.refresh();
      }
      result = place(request, await this.view.snapshot(), { limit: CANDIDATES_PER_ROUND });
      if (result.candidates.length === 0 && round === 0) {
        continue; // the view may be stale: look once more at fresh books before waiting
      }
      for (const candidate of result.candidates) {
        const done = await this.tryReserve(message, request, candidate);
        if (done !== 'conflict') {
          return done;
        }
      }
      if (result.candidates.length === 0) {
        break;
      }
    }
    return this.noRoom(message, request, result, seen);
  }

  /**
   * The gate before placement. While the cluster rebuilds its state after Redis lost it, the job waits in a delay
   * queue: placing it before every host has reported what it runs could over-commit a host or run it twice. A job
   * whose record was lost with Redis is rebuilt from its message. Null when this delivery is done; else the
   * all-or-nothing group the job is placed with, if any.
   */
  private async admit(message: PlaceJob): Promise<{ gang: string | null } | null> {
    const admission = await this.state.recovery.admit(message.jobId, this.epoch);
    if (admission.epoch !== '' && admission.epoch !== this.epoch) {
      if (this.epoch !== '') {
        this.logger.warn("the cluster's epoch changed: Redis lost its state; placement pauses while hosts report");
      }
      this.epoch = admission.epoch;
    }
    if (!admission.admitted) {
      const delay = retryDelayFor(message.attempt);
      const until =
        admission.remainingMs === null
          ? 'once a host has registered'
          : `in ${Math.ceil(admission.remainingMs / 1000)} s`;
      const reason = `waiting: Berth is rebuilding its state after Redis lost it; placement resumes ${until}`;
      const waits = await this.state.waiting.defer(message.jobId, message.attempt, delay, reason, message.submittedAt);
      if (waits.outcome === 'stale') {
        return null;
      }
      // Not queued, or its record is lost: this message still carries the job, so it comes back as it is.
      await this.retryAfter(message, delay, waits.outcome === 'ok' ? waits.attempt : message.attempt + 1);
      return null;
    }
    if (admission.status === 'queued' && message.attempt < admission.attempt) {
      return null; // a late copy: the job has moved on to a newer try, which another message carries
    }
    if (admission.status !== 'missing') {
      return { gang: admission.gang };
    }
    const now = new Date();
    const submitted = new Date(message.submittedAt);
    const createdAt = Number.isNaN(submitted.getTime()) ? now : submitted;
    const gang = message.gang;
    // The first job of an all-or-nothing group carries the others: they are rebuilt with it, and their group.
    const base = message.spec.name?.replace(/-1$/, '');
    const jobs = (gang?.members ?? [message.jobId]).map((id, i) => ({
      id,
      spec: base === undefined || i === 0 ? message.spec : { ...message.spec, name: memberName(base, i) },
    }));
    const results = await Promise.all(
      jobs.map((job) =>
        this.state.recovery.restore({
          id: job.id,
          namespace: message.namespace,
          spec: job.spec,
          status: 'queued',
          node: null,
          containerId: null,
          createdAt,
          history: [{ status: 'queued', at: now.toISOString() }],
          reason: "record rebuilt from its queued message after Berth's state was lost",
          exitCode: null,
          attempt: job.id === message.jobId ? message.attempt : 0,
          ...(gang ? { group: { id: gang.id, gang: true } } : {}),
        }),
      ),
    );
    if (results[0] === 'tombstoned') {
      return null; // the gateway took this job back: its client was told it was not accepted
    }
    if (results[0] === 'restored') {
      this.logger.log({
        msg: `job ${message.jobId}: record rebuilt from its message${gang ? `, with its group's ${jobs.length - 1} others` : ''}`,
        ...aboutJob(message.jobId, message),
      });
    }
    if (!gang) {
      return { gang: null };
    }
    await this.state.groups.restore({
      id: gang.id,
      namespace: message.namespace,
      name: base ?? null,
      allOrNothing: true,
      members: gang.members,
      createdAt: createdAt.toISOString(),
    });
    return { gang: gang.id };
  }

  /**
   * Places the queued jobs of an all-or-nothing group together: a host for each from the local view (placeGroup),
   * then one reservation of them all in Redis, or none. The group waits for room as one job, carried by this
   * message's job (its first; while the group waits, its jobs are removed only together).
   */
  private async placeGang(message: PlaceJob, groupId: string): Promise<AttemptResult> {
    const ids = message.gang?.members ?? (await this.state.groups.get(groupId))?.members ?? [message.jobId];
    const seen = this.view.roomFreedGeneration;
    let plan: GroupPlacement | null = null;
    let waiting: GangMember[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) {
        await this.view.refresh();
      }
      const records = (await Promise.all(ids.map((id) => this.state.jobs.get(id)))).filter(
        (job): job is JobRecord => job !== null,
      );
      const own = records.find((job) => job.id === message.jobId);
      if (own?.status !== 'queued') {
        return this.afterGangTry(message.jobId, own, records);
      }
      waiting = records
        .filter((job) => job.status === 'queued')
        .map((job) => ({
          job,
          request: placementRequest(job.id, job.namespace, job.spec, this.options.defaultStrategy),
          workload: workloadFor(job.id, job.namespace, job.spec),
        }));
      plan = placeGroup(waiting, await this.view.snapshot());
      if (!plan.placed) {
        if (round === 0) {
          continue; // the view may be stale: look once more at fresh books before waiting
        }
        break;
      }
      const hosts = plan.hosts;
      const reserved = await this.state.nodes.reserveGroup(
        waiting.map((member, i) => ({
          jobId: member.job.id,
          nodeId: hosts[i].id,
          resources: member.job.spec.resources,
          ports: member.request.ports,
          slots: containerSlots(hosts[i]),
          workload: member.workload,
        })),
      );
      if (reserved.ok) {
        waiting.forEach((member, i) => {
          this.view.applyReservation(hosts[i].id, member.job.spec.resources, member.workload);
          this.stats.placed++;
          this.options.observer?.placed(message.submittedAt);
        });
        await Promise.all(waiting.map((member, i) => this.dispatch(member.job, hosts[i].id)));
        return 'placed';
      }
      if (reserved.why === 'refused') {
        this.stats.conflicts++;
        this.options.observer?.conflict();
      }
      // Another placement took room first, or a job of the group moved meanwhile: look again.
    }
    const stuck = plan && !plan.placed ? waiting[plan.member] : null;
    const reason =
      plan && !plan.placed && stuck
        ? `all or nothing, ${waiting.length} jobs: ${stuck.job.spec.name ?? stuck.job.id} fits nowhere once the ` +
          `${plan.member} before it are placed: ${explain(plan.result)}`
        : `all or nothing, ${waiting.length} jobs: other placements kept taking the room first`;
    const hosts =
      plan && !plan.placed && stuck ? verdicts(stuck.request, plan.nodes, VERDICTS_KEPT, { enforceSoft: false }) : [];
    const others = waiting.map((member) => member.job.id).filter((id) => id !== message.jobId);
    return this.waitForRoom(message, reason, hosts, others, seen);
  }

  /**
   * A gang's message whose job is no longer queued: an earlier delivery finished with it. Only this job carries its
   * group's tries, so the rest of the group is finished here too: its jobs removed while they waited, and, when it
   * gave up (unschedulable), those still queued, with its reason.
   */
  private async afterGangTry(jobId: string, own: JobRecord | undefined, records: JobRecord[]): Promise<'skipped'> {
    if (!own) {
      throw new JobRecordVanished(jobId);
    }
    await this.finishRemovals(records);
    if (own.status === 'unschedulable') {
      const fields = { reason: own.reason ?? 'its group could not be placed', verdicts: JSON.stringify(own.verdicts) };
      const queued = records.filter((job) => job.status === 'queued');
      await Promise.all(queued.map((job) => this.state.jobs.transition(job.id, 'unschedulable', fields)));
    }
    return 'skipped';
  }

  /** Finishes the removal of those jobs that were removed before they reached a host (see removeWherever). */
  private async finishRemovals(jobs: readonly JobRecord[]): Promise<void> {
    await Promise.all(
      jobs.filter((job) => job.status === 'removing' && !job.node).map((job) => this.removeWherever(job.id)),
    );
  }

  /** `conflict` when another placement took the room first: the next candidate is tried. */
  private async tryReserve(
    message: PlaceJob,
    request: PlacementRequest,
    node: NodeSnapshot,
  ): Promise<'placed' | 'skipped' | 'conflict'> {
    const spec = message.spec;
    const workload = workloadFor(message.jobId, message.namespace, spec);
    const reservation = await this.state.nodes.reserve(
      message.jobId,
      node.id,
      { resources: spec.resources, ports: request.ports, slots: containerSlots(node), workload },
      { schedule: true },
    );
    if (reservation.ok) {
      if (reservation.alreadyHeld) {
        // A redelivery after a crash between reserving and dispatching: dispatch again (the agent is idempotent).
        await this.redispatch(message, reservation.nodeId);
        return 'skipped';
      }
      this.view.applyReservation(node.id, spec.resources, workload, reservation.version);
      this.stats.placed++;
      this.options.observer?.placed(message.submittedAt);
      await this.dispatch(message, node.id, { ...message.trace, reservedUs: traceNow() });
      return 'placed';
    }
    if (reservation.why === 'job') {
      if (reservation.status === 'missing') {
        throw new JobRecordVanished(message.jobId);
      }
      if (reservation.status === 'removing') {
        await this.removeWherever(message.jobId);
      }
      return 'skipped'; // already placed, removed, or gone: nothing to do
    }
    this.stats.conflicts++;
    this.options.observer?.conflict();
    return 'conflict';
  }

  private async dispatch(
    of: { namespace: string; spec: JobSpec } & ({ jobId: string } | { id: string }),
    nodeId: string,
    trace?: JobTrace,
  ): Promise<void> {
    const job = { jobId: 'jobId' in of ? of.jobId : of.id, namespace: of.namespace, spec: of.spec };
    await this.publisher.sendToHost(nodeId, {
      type: 'create-container',
      ...job,
      seal: sealOf(this.options.sealKey, job),
      ...(trace ? { trace: { ...trace, dispatchedUs: traceNow() } } : {}),
    });
  }

  private async redispatch(message: PlaceJob, nodeId: string): Promise<void> {
    const job = await this.state.jobs.get(message.jobId);
    if (!job) {
      throw new JobRecordVanished(message.jobId);
    }
    if (job.status === 'removing') {
      return this.removeWherever(message.jobId);
    }
    if (job.status !== 'scheduled') {
      return;
    }
    await this.dispatch(message, nodeId);
    if (job.group) {
      // Placed with its group in one step (see placeGang): the crash may have kept the others' creates too.
      const members = (await this.state.groups.get(job.group))?.members ?? [];
      const others = await Promise.all(members.filter((id) => id !== job.id).map((id) => this.state.jobs.get(id)));
      await Promise.all(
        others
          .filter((other): other is JobRecord => other?.status === 'scheduled' && other.node !== null)
          .map((other) => this.dispatch(other, other.node!)),
      );
    }
  }

  /** No host has room: wait for room, or give up once the job's placement timeout has passed. */
  private async noRoom(
    message: PlaceJob,
    request: PlacementRequest,
    result: PlacementResult | null,
    seen: number,
  ): Promise<AttemptResult> {
    const reason = result ? explain(result) : 'no placement was attempted';
    // Host by host, the closest first: what the user asks of a waiting job (the counts above hide the blocker).
    const hosts = verdicts(request, await this.view.snapshot(), VERDICTS_KEPT, { enforceSoft: false });
    return this.waitForRoom(message, reason, hosts, [], seen);
  }

  /**
   * The job is parked until room is freed (see RoomWaker), or its 30 s backstop message comes back, or becomes
   * unschedulable once its placement timeout has passed, and with it `companions`: the rest of its all-or-nothing
   * group. `seen`: the view's room-freed generation when the job was ranked; room freed since may fit it.
   */
  private async waitForRoom(
    message: PlaceJob,
    reason: string,
    hosts: NodeVerdict[],
    companions: readonly string[],
    seen: number,
  ): Promise<AttemptResult> {
    const waitedMs = Date.now() - Date.parse(message.submittedAt);
    const timeoutMs = message.spec.placementTimeoutSeconds * 1000;
    if (waitedMs < timeoutMs) {
      const waits = await this.state.waiting.park(
        message.jobId,
        message.attempt,
        { untilMs: timeoutMs - waitedMs, backstopMs: PARKED_BACKSTOP_MS },
        `waiting for room: ${reason}; tried again as soon as room is freed, for up to ${message.spec.placementTimeoutSeconds} s`,
        message.submittedAt,
        hosts,
      );
      switch (waits.outcome) {
        case 'ok':
          this.stats.waiting++;
          // The backstop: the job lives in the broker too, should Redis lose its state while it waits.
          await this.retryAfter(message, PARKED_BACKSTOP_MS, waits.attempt);
          if (this.view.roomFreedGeneration !== seen) {
            this.options.wake?.(1); // room was freed while this job looked: its wake may have come before it parked
          }
          return 'waiting';
        case 'stale':
          return 'skipped'; // another copy of this job's message made the newer try
        case 'refused':
          if (waits.current === 'removing') {
            await this.removeWherever(message.jobId);
            // Its group removed with it: the others have no message of their own to finish theirs.
            const others = await Promise.all(companions.map((id) => this.state.jobs.get(id)));
            await this.finishRemovals(others.filter((job): job is JobRecord => job !== null));
          }
          return 'skipped';
        case 'missing':
          throw new JobRecordVanished(message.jobId);
      }
    }
    const fields = { reason, verdicts: JSON.stringify(hosts) };
    const outcome = await this.state.jobs.transition(message.jobId, 'unschedulable', fields);
    if (outcome.outcome === 'refused' && outcome.current === 'removing') {
      await this.removeWherever(message.jobId);
      return 'skipped';
    }
    if (outcome.outcome !== 'ok') {
      return 'skipped';
    }
    // A job of the group removed meanwhile stays removing: the transition refuses it.
    await Promise.all(companions.map((id) => this.state.jobs.transition(id, 'unschedulable', fields)));
    this.stats.unschedulable += 1 + companions.length;
    this.logger.log({
      msg: `job ${message.jobId} unschedulable after ${Math.round(waitedMs / 1000)} s: ${reason}`,
      ...aboutJob(message.jobId, message),
    });
    return 'unschedulable';
  }

  /** Hands the job to the waiting tier of `delay`: it comes back to the jobs queue then, no delivery held open. */
  private async retryAfter(message: PlaceJob, delay: number, attempt: number): Promise<void> {
    await this.publisher.sendJobAfter(delay, { ...message, attempt });
  }

  /**
   * Finishes the removal of a job. When it was placed (by this delivery or a duplicate one), its host's agent
   * must stop the container first and report back, which frees the capacity; only a job that never reached a
   * host is finished here.
   */
  private async removeWherever(jobId: string): Promise<void> {
    const job = await this.state.jobs.get(jobId);
    if (job?.node) {
      await this.publisher.sendToHost(job.node, { type: 'remove-container', jobId });
      return;
    }
    await this.state.nodes.release(jobId);
    await this.state.jobs.transition(jobId, 'removed');
  }
}
