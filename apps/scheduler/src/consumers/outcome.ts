import { JobOutcome } from '@berth/contracts';
import { Publisher } from '@berth/messaging';
import { BerthState } from '@berth/state';

/**
 * What the outcome handlers share. Every step they take is idempotent and forward-only, so a replayed outcome
 * changes nothing, and capacity is released exactly once (the reservation is deleted as it is freed). A report
 * from a host the job was moved away from (rescheduled) changes nothing either: every step names the host it
 * expects the job on.
 */
export interface OutcomeDependencies {
  state: Pick<BerthState, 'jobs' | 'nodes'>;
  publisher: Publisher;
}

export type Outcome<K extends JobOutcome['type']> = Extract<JobOutcome, { type: K }>;

/** The job may change only while it is on the host that reports. */
export function onHost(outcome: JobOutcome): { expectNode: string } {
  return { expectNode: outcome.nodeId };
}
