import {
  JobSpec,
  LABEL_CLUSTER,
  LABEL_CPU,
  LABEL_JOB,
  LABEL_MEMORY,
  LABEL_NAMESPACE,
  LABEL_SPEC,
  LABEL_SUBMITTED,
} from '@berth/contracts';
import { ContainerJob, containerConfigFor, specFromContainer } from './container-config';
import { ContainerPolicy, ContainerRefused, registryOf } from './policy';

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

const POLICY: ContainerPolicy = {
  networkMode: 'none',
  maxPids: 1024,
  logMaxSize: '10m',
  logMaxFiles: 3,
  allowedRegistries: ['*'],
};

function job(over: Partial<JobSpec> = {}, dependencies: Record<string, string> = {}): ContainerJob {
  return {
    id: 'job-1',
    namespace: 'team-a',
    spec: { ...spec, ...over },
    cluster: 'berth',
    submittedAt: '2026-11-25T10:00:00.000Z',
    dependencies,
  };
}

describe('containerConfigFor', () => {
  it("names the container after the job and carries the job's image, command, environment and labels", () => {
    const { name, body } = containerConfigFor(job(), POLICY);
    expect(name).toBe('berth-job-1');
    expect(body.Image).toBe('berth/busybox:latest');
    expect(body.Cmd).toEqual(['sleep', '600']);
    expect(body.Env).toEqual(['MODE=a', 'EMPTY=']);
    expect(body.Labels).toEqual({
      team: 'front',
      [LABEL_JOB]: 'job-1',
      [LABEL_NAMESPACE]: 'team-a',
      [LABEL_CLUSTER]: 'berth',
      [LABEL_CPU]: '250',
      [LABEL_MEMORY]: '64',
      [LABEL_SPEC]: JSON.stringify(spec),
      [LABEL_SUBMITTED]: '2026-11-25T10:00:00.000Z',
    });
  });

  it('gives memory as a hard limit without swap and CPU as a relative weight', () => {
    const { body } = containerConfigFor(job({ resources: { cpuMillis: 1500, memoryMiB: 48 } }), POLICY);
    expect(body.HostConfig).toMatchObject({
      Memory: 48 * 1024 * 1024,
      MemorySwap: 48 * 1024 * 1024,
      CpuShares: 1536,
    });
    // Docker's floor for shares is 2.
    expect(
      containerConfigFor(job({ resources: { cpuMillis: 1, memoryMiB: 6 } }), POLICY).body.HostConfig.CpuShares,
    ).toBe(2);
  });

  it("uses the host's network mode, publishing ports only where there is a network to publish on", () => {
    const none = containerConfigFor(job(), POLICY).body;
    expect(none.HostConfig.NetworkMode).toBe('none');
    expect(none.ExposedPorts).toBeUndefined();
    expect(none.HostConfig.PortBindings).toBeUndefined();
    const bridge = containerConfigFor(job(), { ...POLICY, networkMode: 'bridge' }).body;
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
      { ...POLICY, networkMode: 'bridge' },
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
    const { body } = containerConfigFor({ ...job(), spec: bare }, POLICY);
    expect(Object.keys(body).sort()).toEqual(['Env', 'HostConfig', 'Image', 'Labels']);
    expect(Object.keys(body.HostConfig).sort()).toEqual([
      'CapDrop',
      'CpuShares',
      'LogConfig',
      'Memory',
      'MemorySwap',
      'NetworkMode',
      'PidsLimit',
      'Privileged',
      'SecurityOpt',
    ]);
  });
});

describe('the container policy', () => {
  it('gives every container no-new-privileges, no capabilities, a pids limit and rotated logs', () => {
    const { HostConfig } = containerConfigFor(job(), POLICY).body;
    expect(HostConfig).toMatchObject({
      Privileged: false,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
      PidsLimit: 512,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    });
    expect(HostConfig.CapAdd).toBeUndefined();
  });

  it('adds back the capabilities asked for, caps pidsLimit at the host, and runs as the user asked for', () => {
    const { body } = containerConfigFor(
      job({ capAdd: ['NET_BIND_SERVICE'], pidsLimit: 100_000, user: '1000:1000', readOnlyRootFilesystem: true }),
      POLICY,
    );
    expect(body.HostConfig).toMatchObject({ CapDrop: ['ALL'], CapAdd: ['NET_BIND_SERVICE'], PidsLimit: 1024 });
    expect(body.HostConfig.ReadonlyRootfs).toBe(true);
    expect(body.User).toBe('1000:1000');
    expect(containerConfigFor(job({ pidsLimit: 64 }), POLICY).body.HostConfig.PidsLimit).toBe(64);
  });

  it('refuses an image from a registry the host does not allow', () => {
    const policy = { ...POLICY, allowedRegistries: ['docker.io', '127.0.0.1:*'] };
    expect(() => containerConfigFor(job({ image: 'evil.example:5000/x' }), policy)).toThrow(ContainerRefused);
    expect(() => containerConfigFor(job({ image: 'evil.example:5000/x' }), policy)).toThrow(
      'registry evil.example:5000 is not allowed here (allowed: docker.io, 127.0.0.1:*)',
    );
    expect(containerConfigFor(job({ image: '127.0.0.1:5000/berth/x:1' }), policy).body.Image).toBe(
      '127.0.0.1:5000/berth/x:1',
    );
    expect(containerConfigFor(job({ image: 'berth/busybox' }), policy).body.Image).toBe('berth/busybox');
  });

  it.each([
    ['busybox', 'docker.io'],
    ['berth/busybox:latest', 'docker.io'],
    ['localhost/x', 'localhost'],
    ['127.0.0.1:5000/a/b', '127.0.0.1:5000'],
    ['registry.example/x@sha256:' + 'a'.repeat(64), 'registry.example'],
  ])('reads the registry of %s as %s', (image, registry) => {
    expect(registryOf(image)).toBe(registry);
  });

  it('never falls back to a bare container name for a dependency that is not a job', () => {
    for (const over of [{ volumesFrom: ['data'] }, { links: ['db'] }, { network: 'container:vpn' }]) {
      expect(() => containerConfigFor(job(over, {}), POLICY)).toThrow(ContainerRefused);
    }
  });
});

describe('workingDir', () => {
  it("becomes Docker's WorkingDir, and is read back from a container that lost its spec label", () => {
    const { body } = containerConfigFor(job({ workingDir: '/srv/app' }), POLICY);
    expect(body.WorkingDir).toBe('/srv/app');
    const labels: Record<string, string> = { ...body.Labels };
    delete labels[LABEL_SPEC];
    expect(specFromContainer({ ...body, Labels: labels }).workingDir).toBe('/srv/app');
  });

  it("is left to the image when the job names none (Docker's empty WorkingDir reads back as none)", () => {
    const { body } = containerConfigFor(job(), POLICY);
    expect(body.WorkingDir).toBeUndefined();
    const labels: Record<string, string> = { ...body.Labels };
    delete labels[LABEL_SPEC];
    expect(specFromContainer({ ...body, WorkingDir: '', Labels: labels })).not.toHaveProperty('workingDir');
  });
});

describe('entrypoint', () => {
  it("becomes Docker's Entrypoint beside Cmd, and is read back from a container that lost its spec label", () => {
    const { body } = containerConfigFor(job({ entrypoint: ['/bin/sh', '-c'], cmd: ['echo hi'] }), POLICY);
    expect(body.Entrypoint).toEqual(['/bin/sh', '-c']);
    expect(body.Cmd).toEqual(['echo hi']);
    const labels: Record<string, string> = { ...body.Labels };
    delete labels[LABEL_SPEC];
    expect(specFromContainer({ ...body, Labels: labels })).toMatchObject({
      entrypoint: ['/bin/sh', '-c'],
      cmd: ['echo hi'],
    });
    // dockerode's type allows a string; Docker's string form is a one-item list.
    expect(specFromContainer({ ...body, Entrypoint: '/init', Labels: labels }).entrypoint).toEqual(['/init']);
  });

  it("passes Docker's [''] (clear the image's entrypoint) and an empty list as given", () => {
    expect(containerConfigFor(job({ entrypoint: [''] }), POLICY).body.Entrypoint).toEqual(['']);
    expect(containerConfigFor(job({ entrypoint: [] }), POLICY).body.Entrypoint).toEqual([]);
  });

  it("is left to the image when the job names none (Docker's null reads back as none)", () => {
    const { body } = containerConfigFor(job(), POLICY);
    expect(body).not.toHaveProperty('Entrypoint');
    const labels: Record<string, string> = { ...body.Labels };
    delete labels[LABEL_SPEC];
    expect(specFromContainer({ ...body, Entrypoint: null, Labels: labels })).not.toHaveProperty('entrypoint');
  });
});

describe('specFromContainer', () => {
  const { body } = containerConfigFor(job(), POLICY);

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
