import { specFromContainer } from '@berth/container';
import {
  DEFAULT_NAMESPACE,
  JobHistoryEntry,
  JobStatus,
  LABEL_NAMESPACE,
  LABEL_SUBMITTED,
  workloadFor,
} from '@berth/contracts';
import { RestoredJob } from '@berth/state';
import { ContainerFacts } from './docker.repository';

/**
 * The record of a job whose container this host holds, after Redis lost it: running (or created, which counts as
 * scheduled) keeps its place on the host; an ended container gives its ending.
 */
export function restoredJobFrom(nodeId: string, container: ContainerFacts, now = new Date()): RestoredJob {
  const spec = specFromContainer(container.config);
  const submitted = new Date(container.config.Labels?.[LABEL_SUBMITTED] ?? container.created.toISOString());
  const createdAt = Number.isNaN(submitted.getTime()) ? container.created : submitted;
  const rebuilt = `record rebuilt from host ${nodeId} after Berth's state was lost`;
  let status: JobStatus;
  let reason = rebuilt;
  let exitCode: number | null = null;
  if (container.state === 'running') {
    status = 'running';
  } else if (container.state === 'created') {
    status = 'scheduled';
  } else {
    exitCode = container.exitCode;
    status = container.exitCode === 0 && !container.oomKilled ? 'exited' : 'failed';
    const ending = container.oomKilled
      ? `killed by the OOM killer at its memory limit (exit code ${container.exitCode})`
      : `exited with code ${container.exitCode}`;
    reason = `${ending}; ${rebuilt}`;
  }
  const history: JobHistoryEntry[] = [
    { status: 'queued', at: createdAt.toISOString() },
    { status: 'scheduled', at: container.created.toISOString() },
  ];
  if (status !== 'scheduled') {
    history.push({ status, at: now.toISOString() });
  }
  const live = status === 'running' || status === 'scheduled';
  const namespace = container.config.Labels?.[LABEL_NAMESPACE] ?? DEFAULT_NAMESPACE;
  return {
    id: container.jobId,
    namespace,
    spec,
    status,
    node: nodeId,
    containerId: container.id,
    createdAt,
    history,
    reason,
    exitCode,
    ...(live
      ? {
          holds: { ports: spec.ports ?? [], workload: workloadFor(container.jobId, namespace, spec) },
        }
      : {}),
  };
}
