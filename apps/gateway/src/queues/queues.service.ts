import { QUEUE_ROLES, QueueRole, queueRoleOf, RETRY_DELAYS_MS } from '@berth/contracts';
import { Declarations, ManagementApi, QueueStats } from '@berth/messaging';
import { DeadLetterStore, NodeBooks } from '@berth/state';
import { Inject, Injectable, Optional } from '@nestjs/common';

export interface QueueView {
  name: string;
  role: QueueRole;
  /** Ready plus unacknowledged; null when the queue does not exist (yet). */
  messages: number | null;
  ready: number | null;
  unacked: number | null;
  consumers: number | null;
  /** Messages per second, from the management API, for the control plane's own queues only. */
  publishRate: number | null;
  deliverRate: number | null;
}

export interface QueuesView {
  items: QueueView[];
  /** Dead letters kept (GET /v1/dead-letters). */
  deadLetters: number;
}

/** Hosts' queues checked at once over AMQP when there is no management API: a channel each, so a few at a time. */
const CHECKS_AT_ONCE = 16;

/**
 * Berth's queues for operators. The control plane's own queues are counted exactly, over AMQP (a handful of
 * channels), with their rates from the management API; every other queue of the cluster (thousands of hosts',
 * the waiting tiers, the retry tiers) comes from the management API a page at a time. Without a management API,
 * only the registered hosts' queues are listed, checked a few at a time.
 */
@Injectable()
export class QueuesService {
  private readonly stats: QueueStats | null;

  constructor(
    private readonly declarations: Declarations,
    private readonly nodes: NodeBooks,
    private readonly deadLetters: DeadLetterStore,
    @Optional() @Inject(ManagementApi) management: ManagementApi | null,
  ) {
    this.stats = management ? new QueueStats(management) : null;
  }

  async list(): Promise<QueuesView> {
    const t = this.declarations.topology;
    const own = [t.jobs, t.outcomes, t.nodeRequests, t.deadLetters];
    const [exact, rest, deadLetters] = await Promise.all([
      Promise.all(own.map((name) => this.exactly(name))),
      this.others(own),
      this.deadLetters.count(),
    ]);
    const order = (q: QueueView) => QUEUE_ROLES.indexOf(q.role);
    const items = [...exact, ...rest].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
    return { items, deadLetters };
  }

  private async exactly(name: string): Promise<QueueView> {
    const role = queueRoleOf(this.declarations.topology, name);
    const [counts, rates] = await Promise.all([
      this.declarations.stats(name),
      this.stats?.get(name).catch(() => null) ?? Promise.resolve(null),
    ]);
    // checkQueue counts ready messages only; the management API adds the unacknowledged (it lags a little).
    const unacked = rates?.unacked ?? null;
    return {
      name,
      role,
      messages: counts ? counts.messages + (unacked ?? 0) : null,
      ready: counts?.messages ?? null,
      unacked,
      consumers: counts?.consumers ?? null,
      publishRate: rates?.publishRate ?? null,
      deliverRate: rates?.deliverRate ?? null,
    };
  }

  private async others(exclude: string[]): Promise<QueueView[]> {
    const t = this.declarations.topology;
    if (this.stats) {
      const queues = await this.stats.list(`${t.prefix}.`);
      return queues
        .filter((q) => !exclude.includes(q.name))
        .map((q) => ({ ...q, role: queueRoleOf(t, q.name), publishRate: null, deliverRate: null }));
    }
    const names = [
      ...RETRY_DELAYS_MS.map((delay) => t.jobsRetry(delay)),
      ...(await this.nodes.list()).map((node) => t.nodeQueue(node.id)),
    ];
    const views: QueueView[] = [];
    for (let i = 0; i < names.length; i += CHECKS_AT_ONCE) {
      const batch = names.slice(i, i + CHECKS_AT_ONCE);
      const counts = await Promise.all(batch.map((name) => this.declarations.stats(name)));
      batch.forEach((name, j) =>
        views.push({
          name,
          role: queueRoleOf(t, name),
          messages: counts[j]?.messages ?? null,
          ready: counts[j]?.messages ?? null,
          unacked: null,
          consumers: counts[j]?.consumers ?? null,
          publishRate: null,
          deliverRate: null,
        }),
      );
    }
    return views;
  }
}
