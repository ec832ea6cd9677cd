import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { TestCluster, testHosts, waitFor } from './support/cluster';

interface Problem {
  errors?: Array<{ field: string; message: string }>;
}

/** The container policy on a real host: what `docker inspect` shows of every container, and what is refused. */
describe('the container policy', () => {
  const cluster = new TestCluster({
    hosts: testHosts(1),
    // The gateway lets loopback registries through; the host itself allows only Docker Hub names, so the agent's
    // own check can be seen refusing what the gateway let in.
    commonEnv: { BERTH_ALLOWED_REGISTRIES: 'docker.io,127.0.0.1:*' },
    agentEnv: { BERTH_MAX_PIDS: '1024', BERTH_LOG_MAX_SIZE: '5m', BERTH_LOG_MAX_FILES: '2' },
    hostEnv: { h1: { BERTH_ALLOWED_REGISTRIES: 'docker.io' } },
  });
  const sleeper = {
    image: 'berth/busybox:latest',
    cmd: ['sleep', '600'],
    resources: { cpuMillis: 100, memoryMiB: 16 },
  };

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  async function running(body: Record<string, unknown>): Promise<JobView> {
    const job = await cluster.settled<JobView>(await cluster.accepted({ ...sleeper, ...body }));
    expect([job.status, job.reason]).toEqual(['running', null]);
    return job;
  }

  async function inspect(job: JobView) {
    return cluster.hosts[0].docker.getContainer(job.containerId!).inspect();
  }

  async function refusal(body: Record<string, unknown>): Promise<{ status: number; fields: string[]; text: string }> {
    const response = await cluster.submit({ ...sleeper, ...body });
    const problem = (await response.json()) as Problem;
    return {
      status: response.status,
      fields: (problem.errors ?? []).map((e) => e.field),
      text: (problem.errors ?? []).map((e) => e.message).join('; '),
    };
  }

  it('gives every container no-new-privileges, no capabilities, a pids limit and rotated logs', async () => {
    const job = await running({});
    const { HostConfig } = await inspect(job);
    expect({
      Privileged: HostConfig.Privileged,
      SecurityOpt: HostConfig.SecurityOpt,
      CapDrop: HostConfig.CapDrop,
      CapAdd: HostConfig.CapAdd,
      PidsLimit: HostConfig.PidsLimit,
      LogConfig: HostConfig.LogConfig,
      NetworkMode: HostConfig.NetworkMode,
    }).toEqual({
      Privileged: false,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
      CapAdd: null,
      PidsLimit: 512,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '5m', 'max-file': '2' } },
      NetworkMode: 'none',
    });
    await cluster.remove(job.id);
  });

  it('adds back only allowed capabilities, caps pidsLimit at the host, runs as the user asked for', async () => {
    const job = await running({
      capAdd: ['NET_BIND_SERVICE', 'CHOWN'],
      pidsLimit: 100_000,
      user: '1000:1000',
      readOnlyRootFilesystem: true,
    });
    const container = await inspect(job);
    // Docker 20.10 keeps the names as given; later engines prefix them with CAP_.
    const added = (container.HostConfig.CapAdd ?? []) as string[];
    expect(added.map((c) => c.replace(/^CAP_/, '')).sort()).toEqual(['CHOWN', 'NET_BIND_SERVICE']);
    expect(container.HostConfig.CapDrop).toEqual(['ALL']);
    expect(container.HostConfig.PidsLimit).toBe(1024);
    expect(container.HostConfig.ReadonlyRootfs).toBe(true);
    expect(container.Config.User).toBe('1000:1000');
    await cluster.remove(job.id);
  });

  it('refuses a capability outside the allow-list, naming it', async () => {
    const result = await refusal({ capAdd: ['NET_BIND_SERVICE', 'SYS_ADMIN'] });
    expect([result.status, result.fields]).toEqual([400, ['capAdd']]);
    expect(result.text).toContain('SYS_ADMIN is not a capability a job may add');
  });

  it.each([
    ['privileged', true],
    ['binds', ['/:/host']],
    ['devices', ['/dev/sda']],
    ['networkMode', 'host'],
    ['pidMode', 'host'],
    ['ipcMode', 'host'],
    ['utsMode', 'host'],
    ['usernsMode', 'host'],
    ['securityOpt', ['seccomp=unconfined']],
    ['sysctls', { 'kernel.shmmax': '1' }],
    ['capDrop', []],
  ])('has no way to say %s: a 400 naming the field', async (field, value) => {
    expect(await refusal({ [field]: value })).toMatchObject({ status: 400, fields: [field] });
  });

  it('refuses at the gateway an image from a registry not allowed, naming image', async () => {
    const result = await refusal({ image: 'registry.example.com:5000/team/app:1' });
    expect([result.status, result.fields]).toEqual([400, ['image']]);
    expect(result.text).toContain('registry registry.example.com:5000 is not allowed here');
  });

  it('fails on the host a job whose registry the host does not allow, and never pulls it', async () => {
    const job = await cluster.settled<JobView>(
      await cluster.accepted({ ...sleeper, image: '127.0.0.1:5999/berth/x:1' }),
    );
    expect(job.status).toBe('failed');
    // Not Docker's "connection refused" from a pull: the agent refused before asking Docker for anything.
    expect(job.reason).toBe('registry 127.0.0.1:5999 is not allowed here (allowed: docker.io)');
    expect(job.history.map((h) => h.status)).not.toContain('pulling');
    await waitFor('capacity back', async () => {
      const nodes = await cluster.getJson<{ items: Array<{ allocated: { memoryMiB: number } }> }>('/v1/nodes');
      return nodes.items[0].allocated.memoryMiB === 0;
    });
  });
});
