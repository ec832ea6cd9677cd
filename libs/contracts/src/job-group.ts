import { JOB_SPEC } from './job-spec';
import { JobStatus } from './job';
import { boolean, Input, integer, optional } from './schema';

/** The most jobs one request may create: a bigger batch is several requests (and several groups). */
export const MAX_REPLICAS = 100;

/** What a submission may ask beyond the job itself: how many copies, and whether they are placed together. */
export const GROUP_FIELDS = {
  replicas: optional(
    integer(1, MAX_REPLICAS),
    `Create this many jobs (1-${MAX_REPLICAS}) from the one spec, as a group named <name>-1, <name>-2, ...`,
  ),
  allOrNothing: optional(
    boolean(),
    'With replicas: place every job of the group in one atomic step, or none of them (gang scheduling); the group waits for room as one job does.',
  ),
} as const;

/** POST /v1/jobs: one job's fields plus the group's. */
export const JOB_SUBMISSION = { ...JOB_SPEC, ...GROUP_FIELDS } as const;
export type JobSubmission = Input<typeof JOB_SUBMISSION>;

/** The name of a group's i-th job (from 1): `web-1`, `web-2`. */
export function memberName(groupName: string, index: number): string {
  return `${groupName}-${index + 1}`;
}

/** A group as Berth stores it: the jobs one request made, in their order. */
export interface GroupRecord {
  id: string;
  namespace: string;
  /** The name its jobs are named after, if the request gave one. */
  name: string | null;
  allOrNothing: boolean;
  /** Job ids, the first job first. */
  members: string[];
  createdAt: string;
}

/** What GET /v1/groups/{id} answers: the group, its jobs' statuses counted, and the jobs. */
export interface GroupView extends GroupRecord {
  replicas: number;
  counts: Partial<Record<JobStatus | 'expired', number>>;
  jobs: Array<{ id: string; name: string | null; status: JobStatus | 'expired'; node: string | null }>;
}
