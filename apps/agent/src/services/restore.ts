import { specFromContainer } from '@berth/container';
import { DEFAULT_NAMESPACE, LABEL_NAMESPACE, LABEL_SUBMITTED, NodeRequest } from '@berth/contracts';
import { ContainerFacts } from './docker.repository';

export type RestoreRequest = Extract<NodeRequest, { type: 'restore-job' }>;

/**
 * What this host's container tells about a job whose record Redis lost: its spec, namespace and submission from its
 * labels, and Docker's state. The control plane rebuilds the record from it (restoredJobFrom), on this host only.
 */
export function restoreRequestFrom(nodeId: string, container: ContainerFacts): RestoreRequest {
  const submitted = new Date(container.config.Labels?.[LABEL_SUBMITTED] ?? container.created.toISOString());
  return {
    type: 'restore-job',
    nodeId,
    jobId: container.jobId,
    namespace: container.config.Labels?.[LABEL_NAMESPACE] ?? DEFAULT_NAMESPACE,
    spec: specFromContainer(container.config),
    containerId: container.id,
    containerState: container.state,
    exitCode: container.exitCode,
    oomKilled: container.oomKilled,
    createdAt: container.created.toISOString(),
    submittedAt: (Number.isNaN(submitted.getTime()) ? container.created : submitted).toISOString(),
  };
}
