import {
  JobSpec,
  LABEL_CLUSTER,
  LABEL_CPU,
  LABEL_JOB,
  LABEL_MEMORY,
  LABEL_SPEC,
  LABEL_SUBMITTED,
} from '@berth/contracts';
import { ContainerJob, containerConfigFor, specFromContainer } from './container-config';

const spec: JobSpec = {
  image: 'berth/busybox:latest',
  name: 'web',
  cmd: ['sleep', '600'],
  env: { MODE: 'a', EMPTY: '' },
  labels: { team: 'front' },
  resources: { cpuMillis: 250, memoryMiB: 64 },
  placementTimeoutSeconds: 300,
  constraints: ['zone==a'],
  ports: [8080],
};

function job(over: Partial<JobSpec> = {}, dependencies: Record<string, string> = {}): ContainerJob {
  return {
    id: 'job-1',
    spec: { ...spec, ...over },
    cluster: 'berth',
    submittedAt: '2026-11-25T10:00:00.000Z',
    dependencies,
  };
}

describe('containerConfigFor', () => {
  it("names the container after the job and carries the job's image, command, environment and labels", () => {
    const { name, body } = containerConfigFor(job(), { networkMode: 'none' });
    expect(name).toBe('berth-job-1');
    expect(body.Image).toBe('berth/busybox:latest');
    expect(body.Cmd).toEqual(['sleep', '600']);
    expect(body.Env).toEqual(['MODE=a', 'EMPTY=']);
    expect(body.Labels).toEqual({
      team: 'front',
      [LABEL_JOB]: 'job-1',
      [LABEL_CLUSTER]: 'berth',
      [LABEL_CPU]: '250',
      [LABEL_MEMORY]: '64',
      [LABEL_SPEC]: JSON.stringify(spec),
      [LABEL_SUBMITTED]: '2026-11-25T10:00:00.000Z',
    });
  });

  it('gives memory as a hard limit without swap and CPU as a relative weight', () => {
    const { body } = containerConfigFor(job({ resources: { cpuMillis: 1500, memoryMiB: 48 } }), {
      networkMode: 'none',
    });
    expect(body.HostConfig).toMatchObject({
      Memory: 48 * 1024 * 1024,
      MemorySwap: 48 * 1024 * 1024,
      CpuShares: 1536,
    });
    // Docker's floor for shares is 2.
    expect(
      containerConfigFor(job({ resources: { cpuMillis: 1, memoryMiB: 6 } }), { networkMode: 'none' }).body.HostConfig
        .CpuShares,
    ).toBe(2);
  });

  it("uses the host's network mode, publishing ports only where there is a network to publish on", () => {
    const none = containerConfigFor(job(), { networkMode: 'none' }).body;
    expect(none.HostConfig.NetworkMode).toBe('none');
    expect(none.ExposedPorts).toBeUndefined();
    expect(none.HostConfig.PortBindings).toBeUndefined();
    const bridge = containerConfigFor(job(), { networkMode: 'bridge' }).body;
    expect(bridge.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(bridge.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostPort: '8080' }] });
  });

  it("refers to the jobs it depends on by their containers' names", () => {
    const { body } = containerConfigFor(
      job(
        { volumesFrom: ['data:ro'], links: ['db:database'], network: 'container:vpn' },
        {
          data: 'berth-j-data',
          db: 'berth-j-db',
          vpn: 'berth-j-vpn',
        },
      ),
      { networkMode: 'bridge' },
    );
    expect(body.HostConfig.VolumesFrom).toEqual(['berth-j-data:ro']);
    expect(body.HostConfig.Links).toEqual(['berth-j-db:database']);
    expect(body.HostConfig.NetworkMode).toBe('container:berth-j-vpn');
    // Another container's network has nothing to publish on.
    expect(body.HostConfig.PortBindings).toBeUndefined();
  });

  it('leaves out what the job does not say', () => {
    const bare: JobSpec = {
      image: 'x',
      env: {},
      labels: {},
      resources: { cpuMillis: 250, memoryMiB: 64 },
      placementTimeoutSeconds: 300,
    };
    const { body } = containerConfigFor({ ...job(), spec: bare }, { networkMode: 'none' });
    expect(Object.keys(body).sort()).toEqual(['Env', 'HostConfig', 'Image', 'Labels']);
    expect(Object.keys(body.HostConfig).sort()).toEqual(['CpuShares', 'Memory', 'MemorySwap', 'NetworkMode']);
  });
});

describe('workingDir', () => {
  it("becomes Docker's WorkingDir, and is read back from a container that lost its spec label", () => {
    const { body } = containerConfigFor(job({ workingDir: '/srv/app' }), { networkMode: 'none' });
    expect(body.WorkingDir).toBe('/srv/app');
    const labels: Record<string, string> = { ...body.Labels };
    delete labels[LABEL_SPEC];
    expect(specFromContainer({ ...body, Labels: labels }).workingDir).toBe('/srv/app');
  });

  it("is left to the image when the job names none (Docker's empty WorkingDir reads back as none)", () => {
    const { body } = containerConfigFor(job(), { networkMode: 'none' });
    expect(body.WorkingDir).toBeUndefined();
    const labels: Record<string, string> = { ...body.Labels };
    delete labels[LABEL_SPEC];
    expect(specFromContainer({ ...body, WorkingDir: '', Labels: labels })).not.toHaveProperty('workingDir');
  });
});

describe('specFromContainer', () => {
  const { body } = containerConfigFor(job(), { networkMode: 'none' });

  it("reads the job's spec back from the container's label", () => {
    expect(specFromContainer(body)).toEqual(spec);
  });

  it("falls back to what Docker knows when the spec label is missing or unreadable, dropping Berth's labels", () => {
    for (const label of [undefined, '{not json', JSON.stringify({ image: 5 }), JSON.stringify({ ...spec, extra: 1 })]) {
      const labels: Record<string, string> = { ...body.Labels };
      delete labels[LABEL_SPEC];
      if (label !== undefined) {
        labels[LABEL_SPEC] = label;
      }
      expect(specFromContainer({ ...body, Env: ['MODE=a', 'PATH=/bin'], Labels: labels })).toEqual({
        image: spec.image,
        cmd: spec.cmd,
        env: { MODE: 'a', PATH: '/bin' },
        labels: { team: 'front' },
        resources: { cpuMillis: 250, memoryMiB: 64 },
        placementTimeoutSeconds: 300,
      });
    }
  });
});
