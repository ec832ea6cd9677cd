import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JobSpec } from './job-spec';

/** What a seal vouches for: this job, in this namespace, with this spec. */
export interface SealedJob {
  jobId: string;
  namespace: string;
  spec: JobSpec;
}

/** JSON with its keys sorted, so the same job seals the same however a decoder ordered its fields. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The control plane's mark on a create it sent to a host (HMAC-SHA256 with a key only the schedulers hold). A
 * host that hands a create back (its job's record was lost with Redis) must show the mark: with it, a compromised
 * host cannot make up a job of its own, for any namespace, and have it placed elsewhere.
 */
export function sealOf(key: Buffer, job: SealedJob): string {
  return createHmac('sha256', key)
    .update(canonical({ jobId: job.jobId, namespace: job.namespace, spec: job.spec }))
    .digest('hex');
}

export function hasValidSeal(key: Buffer, job: SealedJob, seal: string): boolean {
  const expected = Buffer.from(sealOf(key, job), 'hex');
  const given = Buffer.from(/^[0-9a-f]{64}$/.test(seal) ? seal : '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
