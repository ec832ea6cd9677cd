import {
  LABEL_CLUSTER,
  LABEL_CPU,
  LABEL_JOB,
  LABEL_MEMORY,
  LABEL_NAMESPACE,
  LABEL_SPEC,
  LABEL_SUBMITTED,
} from '@berth/contracts';
import { ContainerFacts } from './docker.repository';
import { restoreRequestFrom } from './restore';

const spec = {
  image: 'berth/busybox:latest',
  cmd: ['sleep', '600'],
  env: { MODE: 'a' },
  labels: { team: 'web' },
  resources: { cpuMillis: 250, memoryMiB: 64 },
  placementTimeoutSeconds: 300,
  name: 'db',
  ports: [8080],
  constraints: ['zone==a'],
};

function container(overrides: Partial<ContainerFacts> = {}): ContainerFacts {
  return {
    id: 'c0ffee',
    jobId: 'job-1',
    state: 'running',
    exitCode: 0,
    oomKilled: false,
    created: new Date('2026-11-25T10:00:01Z'),
    config: {
      Image: spec.image,
      Cmd: spec.cmd,
      Env: ['MODE=a', 'PATH=/bin'],
      Labels: {
        team: 'web',
        [LABEL_JOB]: 'job-1',
        [LABEL_CLUSTER]: 'berth',
        [LABEL_NAMESPACE]: 'team-a',
        [LABEL_CPU]: '250',
        [LABEL_MEMORY]: '64',
        [LABEL_SPEC]: JSON.stringify(spec),
        [LABEL_SUBMITTED]: '2026-11-25T10:00:00.000Z',
      },
    },
    ...overrides,
  };
}

describe('restoreRequestFrom', () => {
  it('reads the job back from its container: spec, namespace, submission and Docker state', () => {
    expect(restoreRequestFrom('h1', container())).toEqual({
      type: 'restore-job',
      nodeId: 'h1',
      jobId: 'job-1',
      namespace: 'team-a',
      spec,
      containerId: 'c0ffee',
      containerState: 'running',
      exitCode: 0,
      oomKilled: false,
      createdAt: '2026-11-25T10:00:01.000Z',
      submittedAt: '2026-11-25T10:00:00.000Z',
    });
  });

  it('falls back to the container creation for a missing or unreadable submission label', () => {
    const labels = { ...container().config.Labels, [LABEL_SUBMITTED]: 'yesterday' };
    const request = restoreRequestFrom('h1', container({ config: { ...container().config, Labels: labels } }));
    expect(request.submittedAt).toBe('2026-11-25T10:00:01.000Z');
  });
});
