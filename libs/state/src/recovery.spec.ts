import { ContainerReport, restoredJobFrom } from './recovery';

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
} as ContainerReport['spec'];

function container(overrides: Partial<ContainerReport> = {}): ContainerReport {
  return {
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
    ...overrides,
  };
}

describe('restoredJobFrom', () => {
  const now = new Date('2026-11-25T11:00:00Z');

  it('gives a running container back its job, its place on the host and what it holds there', () => {
    const job = restoredJobFrom('h1', container(), now);
    expect(job).toMatchObject({ id: 'job-1', status: 'running', node: 'h1', containerId: 'c0ffee', exitCode: null });
    expect(job.spec).toEqual(spec);
    expect(job.namespace).toBe('team-a');
    expect(job.createdAt.toISOString()).toBe('2026-11-25T10:00:00.000Z');
    expect(job.holds).toEqual({
      ports: [8080],
      workload: {
        jobId: 'job-1',
        namespace: 'team-a',
        image: spec.image,
        labels: { team: 'web' },
        ports: [8080],
        name: 'db',
      },
    });
    expect(job.history.map((h) => h.status)).toEqual(['queued', 'scheduled', 'running']);
    expect(job.reason).toContain('rebuilt from host h1');
  });

  it('counts a created container as scheduled, still holding its place', () => {
    const job = restoredJobFrom('h1', container({ containerState: 'created' }), now);
    expect(job.status).toBe('scheduled');
    expect(job.holds).toBeDefined();
    expect(job.history.map((h) => h.status)).toEqual(['queued', 'scheduled']);
  });

  it('ends an exited container as exited or failed, with its code, holding nothing', () => {
    const clean = restoredJobFrom('h1', container({ containerState: 'exited', exitCode: 0 }), now);
    expect([clean.status, clean.exitCode, clean.holds]).toEqual(['exited', 0, undefined]);
    const failed = restoredJobFrom('h1', container({ containerState: 'exited', exitCode: 3 }), now);
    expect([failed.status, failed.exitCode]).toEqual(['failed', 3]);
    expect(failed.reason).toMatch(/^exited with code 3; record rebuilt/);
    const oom = restoredJobFrom('h1', container({ containerState: 'exited', exitCode: 137, oomKilled: true }), now);
    expect(oom.status).toBe('failed');
    expect(oom.reason).toContain('OOM killer');
  });
});
