/**
 * Queue and exchange names, in one place. Every name carries the cluster prefix (BERTH_PREFIX),
 * so two Berth clusters (say, a test run beside a live stack) can share one broker and one Redis.
 */
export interface Topology {
  /** BERTH_PREFIX: the start of every name below. */
  prefix: string;
  /** Jobs accepted by the gateway, waiting for placement. */
  jobs: string;
  /** Outcomes reported by agents. */
  outcomes: string;
  /**
   * The topic exchange every agent publishes to, and nothing else: its routing key begins with the agent's node id
   * (see `reportKey`), which the broker's topic permissions hold each agent to.
   */
  reports: string;
  /** Agents' requests to the control plane (their host's books), answered over direct reply-to. */
  nodeRequests: string;
  /** The RabbitMQ user of one host's agent: the control plane trusts a report only from that user. */
  agentUser(nodeId: string): string;
  /** Where messages go that cannot be processed: undecodable, or redelivered too often. */
  deadLetterExchange: string;
  deadLetters: string;
  /** One queue per host, consumed by that host's agent. */
  nodeQueue(nodeId: string): string;
  /** Jobs waiting for room: each tier holds a message for its delay, then hands it back to `jobs`. */
  jobsRetry(delayMs: number): string;
  /** A message whose handler failed waits here for its delay, then goes back to `queue` (declared on first use). */
  handlerRetry(queue: string, delayMs: number): string;
}

/**
 * The delays of the waiting tiers. A job waiting while placement is paused is retried after 1 s, then 2 s, then
 * every 5 s; a job that fits nowhere is parked, with its message in the last tier as a backstop (PARKED_BACKSTOP_MS).
 */
export const RETRY_DELAYS_MS = [1000, 2000, 5000, 30_000] as const;

/**
 * How long a parked job's message waits in the broker before it is tried again anyway. Room freed wakes it sooner;
 * the message is what rebuilds the job should Redis lose its state meanwhile.
 */
export const PARKED_BACKSTOP_MS = RETRY_DELAYS_MS[3];

/** The delay before a paused job's next try: 1 s, 2 s, then every 5 s. */
export function retryDelayFor(attempt: number): number {
  return RETRY_DELAYS_MS[Math.min(attempt, 2)];
}

/**
 * What an agent publishes: job outcomes, requests about its host's books, and answers to the control plane's
 * requests (`<nodeId>.reply.<the asker's reply queue>`).
 */
export type ReportKind = 'outcome' | 'request' | 'reply';

/** The routing key of an agent's publish on the reports exchange: `<nodeId>.<kind>`. */
export function reportKey(nodeId: string, kind: ReportKind): string {
  return `${nodeId}.${kind}`;
}

export function topologyFor(prefix: string): Topology {
  return {
    prefix,
    jobs: `${prefix}.jobs`,
    outcomes: `${prefix}.outcomes`,
    reports: `${prefix}.reports`,
    nodeRequests: `${prefix}.node-requests`,
    agentUser: (nodeId: string) => `${prefix}.agent.${nodeId}`,
    deadLetterExchange: `${prefix}.dead`,
    deadLetters: `${prefix}.dead-letters`,
    nodeQueue: (nodeId: string) => `${prefix}.node.${nodeId}`,
    jobsRetry: (delayMs: number) => `${prefix}.jobs.waiting-${delayMs}ms`,
    handlerRetry: (queue: string, delayMs: number) => `${queue}.retrying-${delayMs}ms`,
  };
}

/**
 * A handler that failed (Docker or Redis away for a moment) is tried again after 1 s, 4 s, 16 s, then 30 s, from a
 * delay queue, so no delivery is held open meanwhile; after DELIVERY_LIMIT attempts the message is dead-lettered
 * with the last error.
 */
export const HANDLER_RETRY_DELAYS_MS = [1000, 4000, 16_000, 30_000] as const;

export function handlerRetryDelayFor(failures: number): number {
  return HANDLER_RETRY_DELAYS_MS[Math.min(Math.max(failures - 1, 0), HANDLER_RETRY_DELAYS_MS.length - 1)];
}

/**
 * Attempts before a message is dead-lettered: counted by Berth for handler failures, and by RabbitMQ (the quorum
 * queues' `x-delivery-limit`; 3.10 sets none by itself) for deliveries whose consumer died before settling them.
 */
export const DELIVERY_LIMIT = 5;

/** What each of a cluster's queues is for, as operators see them (GET /v1/queues, metrics). */
export const QUEUE_ROLES = [
  'jobs',
  'waiting',
  'outcomes',
  'node-requests',
  'dead-letters',
  'node',
  'retrying',
  'other',
] as const;
export type QueueRole = (typeof QUEUE_ROLES)[number];

/** The role of a queue, from its name (see Topology). */
export function queueRoleOf(topology: Topology, name: string): QueueRole {
  const fixed: Record<string, QueueRole> = {
    [topology.jobs]: 'jobs',
    [topology.outcomes]: 'outcomes',
    [topology.nodeRequests]: 'node-requests',
    [topology.deadLetters]: 'dead-letters',
  };
  if (fixed[name] !== undefined) {
    return fixed[name];
  }
  if (RETRY_DELAYS_MS.some((delay) => topology.jobsRetry(delay) === name)) {
    return 'waiting';
  }
  if (/\.retrying-\d+ms$/.test(name)) {
    return 'retrying';
  }
  return name.startsWith(topology.nodeQueue('')) ? 'node' : 'other';
}
