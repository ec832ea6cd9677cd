/**
 * Queue and exchange names, in one place. Every name carries the cluster prefix (BERTH_PREFIX),
 * so two Berth clusters (say, a test run beside a live stack) can share one broker and one Redis.
 */
export interface Topology {
  /** Jobs accepted by the gateway, waiting for placement. */
  jobs: string;
  /** Outcomes reported by agents. */
  outcomes: string;
  /** Where messages go that cannot be processed: undecodable, or redelivered too often. */
  deadLetterExchange: string;
  deadLetters: string;
  /** One queue per host, consumed by that host's agent. */
  nodeQueue(nodeId: string): string;
  /** Jobs waiting for room: each tier holds a message for its delay, then hands it back to `jobs`. */
  jobsRetry(delayMs: number): string;
}

/** The delays of the waiting tiers. A waiting job is retried after 1 s, then 2 s, then every 5 s. */
export const RETRY_DELAYS_MS = [1000, 2000, 5000] as const;

export function retryDelayFor(attempt: number): number {
  return RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)];
}

export function topologyFor(prefix: string): Topology {
  return {
    jobs: `${prefix}.jobs`,
    outcomes: `${prefix}.outcomes`,
    deadLetterExchange: `${prefix}.dead`,
    deadLetters: `${prefix}.dead-letters`,
    nodeQueue: (nodeId: string) => `${prefix}.node.${nodeId}`,
    jobsRetry: (delayMs: number) => `${prefix}.jobs.wait-${delayMs}ms`,
  };
}

/** Redeliveries before a message is dead-lettered (RabbitMQ 3.10 sets no limit on quorum queues by itself). */
export const DELIVERY_LIMIT = 5;
