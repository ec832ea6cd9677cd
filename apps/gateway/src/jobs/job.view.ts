import { JOB_SPEC_FIELDS, JobRecord, JobSpec } from '@berth/contracts';

/** Every field of the job's spec, null where the job does not say. */
type SpecView = { [K in keyof JobSpec]-?: JobSpec[K] | null };

/** A job as the API shows it: its record, and its spec field by field (JOB_SPEC decides which fields there are). */
export type JobView = Pick<JobRecord, 'id' | 'namespace' | 'status'> &
  SpecView &
  Pick<
    JobRecord,
    | 'node'
    | 'containerId'
    | 'reason'
    | 'exitCode'
    | 'progress'
    | 'verdicts'
    | 'group'
    | 'createdAt'
    | 'updatedAt'
    | 'history'
  >;

export function toJobView(job: JobRecord): JobView {
  const spec = Object.fromEntries(JOB_SPEC_FIELDS.map((field) => [field, job.spec[field] ?? null])) as SpecView;
  return {
    id: job.id,
    namespace: job.namespace,
    status: job.status,
    ...spec,
    node: job.node,
    containerId: job.containerId,
    reason: job.reason,
    exitCode: job.exitCode,
    progress: job.progress,
    verdicts: job.verdicts,
    group: job.group,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    history: job.history,
  };
}
