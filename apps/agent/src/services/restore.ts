import {
  decodeJobSpec,
  DEFAULT_PLACEMENT_TIMEOUT_SECONDS,
  JobHistoryEntry,
  JobSpec,
  JobStatus,
  LABEL_CPU,
  LABEL_MEMORY,
  LABEL_SPEC,
  LABEL_SUBMITTED,
  RESERVED_LABEL_PREFIX,
  workloadFor,
} from '@berth/contracts';
import { RestoredJob } from '@berth/state';
import { ContainerFacts } from './docker.repository';

/**
 * The job's spec as its container carries it. Containers made before the spec label existed give what Docker
 * knows (image, command, environment, labels, resources); the placement rules are then lost.
 */
export function specFromContainer(container: ContainerFacts): JobSpec {
  const label = container.labels[LABEL_SPEC];
  if (label) {
    try {
      return decodeJobSpec(JSON.parse(label));
    } catch {
      // Not ours to trust: fall back to what Docker itself knows.
    }
  }
  const env: Record<string, string> = {};
  for (const entry of container.env) {
    const [key, ...rest] = entry.split('=');
    env[key] = rest.join('=');
  }
  const labels = Object.fromEntries(
    Object.entries(container.labels).filter(([key]) => !key.startsWith(RESERVED_LABEL_PREFIX)),
  );
  return {
    image: container.image,
    ...(container.cmd ? { cmd: container.cmd } : {}),
    env,
    labels,
    resources: {
      cpuMillis: Number(container.labels[LABEL_CPU]) || 1,
      memoryMiB: Number(container.labels[LABEL_MEMORY]) || 1,
    },
    placementTimeoutSeconds: DEFAULT_PLACEMENT_TIMEOUT_SECONDS,
  };
}

/**
 * The record of a job whose container this host holds, after Redis lost it: running (or created, which counts as
 * scheduled) keeps its place on the host; an ended container gives its ending.
 */
export function restoredJobFrom(nodeId: string, container: ContainerFacts, now = new Date()): RestoredJob {
  const spec = specFromContainer(container);
  const submitted = new Date(container.labels[LABEL_SUBMITTED] ?? container.created.toISOString());
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
  return {
    id: container.jobId,
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
          holds: { ports: spec.ports ?? [], workload: workloadFor(container.jobId, spec) },
        }
      : {}),
  };
}
