import { JOB_SPEC_FIELDS, JobRequest, JobSpec, jobSpecFrom } from '@berth/contracts';
import { BadRequestException } from '@nestjs/common';
import fc from 'fast-check';
import { Problem } from '../common/problem';
import { requestValidation } from '../common/schema-validation';
import { CreateJobDto } from '../jobs/dto/create-job.dto';
import { DockerCreate, DockerRequestRefused, jobRequestFromDockerCreate } from './create-request';
// What docker CLI 28.2.2 sent, recorded against a logging server: `docker run -d busybox sleep 1`, and
// `docker run -d --name web1 -e A=1 -e constraint:node==h2 -e affinity:container!=db -e reschedule:on-node-failure
// -e B=x=y -l team=ml -l com.docker.swarm.constraints=["zone==a"] -m 512m --cpus 1.5 -p 8080:8080 -p 90 --rm
// -w /app -u 1000:1000 --read-only --pids-limit 100 --cap-add net_bind_service --cap-add CAP_CHOWN --cap-drop ALL
// --entrypoint /bin/sh busybox -c 'echo hi'`.
import RUN_DEFAULT from './fixtures/run-default.cli-28.2.2.json';
import RUN_WEB1 from './fixtures/run-web1.cli-28.2.2.json';

type Body = Record<string, unknown>;

/** The CLI's default body with some fields changed; `HostConfig` fields are merged into the CLI's own. */
function body(over: Body = {}, hostConfig: Body = {}): Body {
  const copy = JSON.parse(JSON.stringify(RUN_DEFAULT)) as Body;
  return { ...copy, ...over, HostConfig: { ...(copy.HostConfig as Body), ...hostConfig } };
}

function map(over: Body = {}, hostConfig: Body = {}, query: { name?: unknown } = {}): DockerCreate {
  return jobRequestFromDockerCreate(body(over, hostConfig), query);
}

function refusal(run: () => unknown): { field: string; message: string } {
  try {
    run();
  } catch (err) {
    if (err instanceof DockerRequestRefused) {
      return { field: err.field, message: err.message };
    }
    throw err;
  }
  throw new Error('not refused');
}

const pipe = requestValidation();

/** The job as POST /v1/jobs would store it: the gateway's validation of the job schema, then jobSpecFrom. */
async function throughJobSchema(request: JobRequest): Promise<JobSpec> {
  const checked = (await pipe.transform(JSON.parse(JSON.stringify(request)), {
    type: 'body',
    metatype: CreateJobDto,
  })) as JobRequest;
  return jobSpecFrom({ ...checked });
}

async function schemaRefusal(request: JobRequest): Promise<string[]> {
  try {
    await throughJobSchema(request);
  } catch (err) {
    if (err instanceof BadRequestException) {
      return ((err.getResponse() as Problem).errors ?? []).map((e) => e.field);
    }
    throw err;
  }
  throw new Error('accepted');
}

describe("the docker CLI's own bodies", () => {
  it('maps a plain `docker run -d busybox sleep 1` cleanly, every zero value passing', async () => {
    const mapped = jobRequestFromDockerCreate(RUN_DEFAULT, {});
    expect(mapped).toEqual({
      request: { image: 'busybox', cmd: ['sleep', '1'], env: {}, labels: {} },
      autoRemove: false,
      warnings: [],
    });
    expect(await throughJobSchema(mapped.request)).toEqual({
      image: 'busybox',
      cmd: ['sleep', '1'],
      env: {},
      labels: {},
      resources: { cpuMillis: 250, memoryMiB: 64 },
      placementTimeoutSeconds: 300,
    });
  });

  it('maps a run that uses every mapped flag', async () => {
    const mapped = jobRequestFromDockerCreate(RUN_WEB1, { name: 'web1' });
    expect(mapped).toEqual({
      request: {
        image: 'busybox',
        name: 'web1',
        entrypoint: ['/bin/sh'],
        cmd: ['-c', 'echo hi'],
        workingDir: '/app',
        user: '1000:1000',
        env: { A: '1', B: 'x=y' },
        labels: { team: 'ml' },
        constraints: ['node==h2', 'zone==a'],
        affinities: ['container!=db'],
        reschedule: 'on-node-failure',
        resources: { memoryMiB: 512, cpuMillis: 1500 },
        ports: [8080, 90],
        readOnlyRootFilesystem: true,
        pidsLimit: 100,
        capAdd: ['CHOWN', 'NET_BIND_SERVICE'],
      },
      autoRemove: true,
      warnings: [],
    });
    expect(await throughJobSchema(mapped.request)).toMatchObject({
      ...mapped.request,
      placementTimeoutSeconds: 300,
    });
  });
});

describe('mapped fields', () => {
  it('takes the name from the query, without the leading / Docker allows', () => {
    expect(map({}, {}, { name: 'web1' }).request.name).toBe('web1');
    expect(map({}, {}, { name: '/web1' }).request.name).toBe('web1');
    expect(map({}, {}, { name: '' }).request).not.toHaveProperty('name');
    expect(refusal(() => map({}, {}, { name: ['a', 'b'] }))).toEqual({
      field: 'name',
      message: 'name must be one string',
    });
  });

  it('passes the image as it is', () => {
    expect(map({ Image: 'registry.example:5000/team/app:1.2' }).request.image).toBe(
      'registry.example:5000/team/app:1.2',
    );
  });

  it("keeps Cmd and Entrypoint as given, Docker's string form as a list of one; an empty Cmd is none", () => {
    expect(map({ Cmd: ['a', 'b'], Entrypoint: ['/init'] }).request).toMatchObject({
      cmd: ['a', 'b'],
      entrypoint: ['/init'],
    });
    expect(map({ Cmd: 'echo hi', Entrypoint: '/init' }).request).toMatchObject({
      cmd: ['echo hi'],
      entrypoint: ['/init'],
    });
    // `--entrypoint ''` clears the image's entrypoint; `[]` does too, in Docker.
    expect(map({ Entrypoint: [''] }).request.entrypoint).toEqual(['']);
    expect(map({ Entrypoint: [] }).request.entrypoint).toEqual([]);
    const none = map({ Cmd: [], Entrypoint: null }).request;
    expect(none).not.toHaveProperty('cmd');
    expect(none).not.toHaveProperty('entrypoint');
    expect(map({ Cmd: null }).request).not.toHaveProperty('cmd');
  });

  it('reads Env entries at their first =, the last of a key winning; one without = is left out, with a warning', () => {
    const mapped = map({ Env: ['A=1', 'B=x=y', 'EMPTY=', 'A=2', 'UNSET'] });
    expect(mapped.request.env).toEqual({ A: '2', B: 'x=y', EMPTY: '' });
    expect(mapped.warnings).toEqual([
      'Env: UNSET has no value; Berth cannot unset a variable of the image and leaves it out',
    ]);
    expect(map({ Env: null }).request.env).toEqual({});
  });

  it('keeps Labels', () => {
    expect(map({ Labels: { team: 'ml', 'com.example/x': '' } }).request.labels).toEqual({
      team: 'ml',
      'com.example/x': '',
    });
    expect(map({ Labels: null }).request.labels).toEqual({});
  });

  it('takes WorkingDir and User, an empty one meaning the image’s', () => {
    expect(map({ WorkingDir: '/srv', User: 'app:app' }).request).toMatchObject({ workingDir: '/srv', user: 'app:app' });
    const none = map({ WorkingDir: '', User: '' }).request;
    expect(none).not.toHaveProperty('workingDir');
    expect(none).not.toHaveProperty('user');
  });

  it('takes ReadonlyRootfs, PidsLimit above 0 and AutoRemove', () => {
    const mapped = map({}, { ReadonlyRootfs: true, PidsLimit: 64, AutoRemove: true });
    expect(mapped.request).toMatchObject({ readOnlyRootFilesystem: true, pidsLimit: 64 });
    expect(mapped.autoRemove).toBe(true);
    const zero = map({}, { ReadonlyRootfs: false, PidsLimit: 0, AutoRemove: false });
    expect(zero.request).not.toHaveProperty('readOnlyRootFilesystem');
    expect(zero.request).not.toHaveProperty('pidsLimit');
    expect(zero.autoRemove).toBe(false);
    expect(map({}, { PidsLimit: null, AutoRemove: null }).autoRemove).toBe(false);
  });

  it("gives Berth's pids limit for Docker's unlimited (-1), saying so", () => {
    const mapped = map({}, { PidsLimit: -1 });
    expect(mapped.request).not.toHaveProperty('pidsLimit');
    expect(mapped.warnings).toEqual([
      "HostConfig.PidsLimit: Berth limits every container's processes (512 unless set)",
    ]);
  });

  it('normalises CapAdd as Docker does: any case, CAP_ or not, once each', () => {
    expect(
      map({}, { CapAdd: ['net_bind_service', 'CAP_CHOWN', 'Cap_Kill', 'NET_BIND_SERVICE'] }).request.capAdd,
    ).toEqual(['NET_BIND_SERVICE', 'CHOWN', 'KILL']);
    expect(map({}, { CapAdd: 'cap_setuid' }).request.capAdd).toEqual(['SETUID']);
    expect(map({}, { CapAdd: [] }).request).not.toHaveProperty('capAdd');
  });

  it('ignores CapDrop: every container drops all capabilities, and an added one wins in Docker too', () => {
    expect(map({}, { CapAdd: ['CHOWN'], CapDrop: ['ALL', 'CHOWN'] }).request.capAdd).toEqual(['CHOWN']);
  });

  it('takes a container network, VolumesFrom and Links, which name jobs', () => {
    expect(
      map({}, { NetworkMode: 'container:vpn', VolumesFrom: ['data:ro'], Links: ['db:database'] }).request,
    ).toMatchObject({ network: 'container:vpn', volumesFrom: ['data:ro'], links: ['db:database'] });
    const none = map({}, { VolumesFrom: [], Links: [] }).request;
    expect(none).not.toHaveProperty('volumesFrom');
    expect(none).not.toHaveProperty('links');
  });

  it("leaves the default network to the host, and says that none is the host's choice too", () => {
    for (const mode of ['', 'default', null, undefined]) {
      const mapped = map({}, { NetworkMode: mode });
      expect(mapped.request).not.toHaveProperty('network');
      expect(mapped.warnings).toEqual([]);
    }
    const none = map({}, { NetworkMode: 'none' });
    expect(none.request).not.toHaveProperty('network');
    expect(none.warnings).toEqual([
      "HostConfig.NetworkMode: the container gets its host's network mode, which may not be none",
    ]);
  });

  it('refuses a terminal: the CLI would print the frames of the output as text', () => {
    expect(() => map({ Tty: true })).toThrow(/^Tty: Berth gives containers no terminal/);
  });

  it('warns of Hostname and a restart policy, which Berth does not keep', () => {
    expect(map({ Hostname: 'h' }, { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } }).warnings).toEqual([
      'Hostname: Berth does not set a container hostname',
      'HostConfig.RestartPolicy: Berth restarts no container (always is not kept); ' +
        'reschedule:on-node-failure moves it off a failed host',
    ]);
    expect(map({}, { RestartPolicy: { Name: '' } }).warnings).toEqual([]);
  });

  it('ignores what it does not map, whatever it holds', () => {
    expect(
      map(
        { ExposedPorts: { '99/tcp': {} }, Healthcheck: 'x', NetworkingConfig: 7, Unknown: [1] },
        { Dns: 5, LogConfig: 'x' },
      ).request,
    ).toEqual({ image: 'busybox', cmd: ['sleep', '1'], env: {}, labels: {} });
  });

  it('takes a body without HostConfig, as an old client sends', () => {
    expect(jobRequestFromDockerCreate({ Image: 'busybox' }, {}).request).toEqual({
      image: 'busybox',
      env: {},
      labels: {},
    });
  });
});

describe('resources', () => {
  const resources = (hostConfig: Body) => map({}, hostConfig).request.resources;

  it('rounds Memory up to a whole MiB, 0 leaving the default', () => {
    expect(resources({ Memory: 512 * 1024 * 1024 })).toEqual({ memoryMiB: 512 });
    expect(resources({ Memory: 512 * 1024 * 1024 + 1 })).toEqual({ memoryMiB: 513 });
    expect(resources({ Memory: 6 * 1024 * 1024 - 1 })).toEqual({ memoryMiB: 6 });
    expect(resources({ Memory: 1 })).toEqual({ memoryMiB: 1 });
    expect(resources({ Memory: 0 })).toBeUndefined();
  });

  it('takes cpuMillis from NanoCpus, rounded up', () => {
    expect(resources({ NanoCpus: 1_500_000_000 })).toEqual({ cpuMillis: 1500 });
    expect(resources({ NanoCpus: 10_000_000 })).toEqual({ cpuMillis: 10 });
    expect(resources({ NanoCpus: 1 })).toEqual({ cpuMillis: 1 });
    expect(resources({ NanoCpus: 1_000_001 })).toEqual({ cpuMillis: 2 });
  });

  it('else from CpuShares, 1024 being one CPU, rounded up', () => {
    expect(resources({ CpuShares: 1024 })).toEqual({ cpuMillis: 1000 });
    expect(resources({ CpuShares: 512 })).toEqual({ cpuMillis: 500 });
    expect(resources({ CpuShares: 100 })).toEqual({ cpuMillis: 98 });
    expect(resources({ CpuShares: 2 })).toEqual({ cpuMillis: 2 });
    expect(resources({ CpuShares: 4096 })).toEqual({ cpuMillis: 4000 });
  });

  it('prefers NanoCpus to CpuShares, and leaves both to the default at 0', () => {
    expect(resources({ NanoCpus: 500_000_000, CpuShares: 4096 })).toEqual({ cpuMillis: 500 });
    expect(resources({ NanoCpus: 0, CpuShares: 0, Memory: 0 })).toBeUndefined();
    expect(resources({ Memory: 64 * 1024 * 1024, CpuShares: 256 })).toEqual({ memoryMiB: 64, cpuMillis: 250 });
  });

  it('leaves the bounds to the job schema: -m 4m maps, and the schema refuses it', async () => {
    const { request } = map({}, { Memory: 4 * 1024 * 1024 });
    expect(request.resources).toEqual({ memoryMiB: 4 });
    expect(await schemaRefusal(request)).toEqual(['resources.memoryMiB']);
  });
});

describe('PortBindings', () => {
  const ports = (bindings: unknown) => map({}, { PortBindings: bindings }).request.ports;

  it('publishes a container port on the host port of the same number, or any', () => {
    expect(ports({ '8080/tcp': [{ HostIp: '', HostPort: '8080' }] })).toEqual([8080]);
    expect(ports({ '80/tcp': [{ HostIp: '', HostPort: '' }] })).toEqual([80]);
    expect(
      ports({
        '80/tcp': [
          { HostIp: '0.0.0.0', HostPort: '80' },
          { HostIp: '::', HostPort: '80' },
        ],
      }),
    ).toEqual([80]);
    expect(ports({ '8005/tcp': [{ HostPort: '8000-8010' }] })).toEqual([8005]);
    expect(ports({ '80': [{}] })).toEqual([80]);
  });

  it('takes no binding as nothing to publish', () => {
    expect(ports({})).toBeUndefined();
    expect(ports(null)).toBeUndefined();
    expect(ports({ '80/tcp': null })).toBeUndefined();
    expect(ports({ '80/tcp': [] })).toBeUndefined();
  });

  it.each([
    [{ '80/tcp': [{ HostIp: '', HostPort: '8080' }] }, '8080:80 cannot be kept (use -p 80:80 or -p 80)'],
    [{ '80/tcp': [{ HostPort: '8000-8010' }] }, '8000-8010:80 cannot be kept'],
    [{ '70/udp': [{ HostPort: '70' }] }, 'Berth publishes TCP ports only, not 70/udp'],
    [{ '70/tcp': [{ HostIp: '127.0.0.1', HostPort: '70' }] }, 'not on 127.0.0.1 only'],
    [{ 'http/tcp': [{ HostPort: '80' }] }, 'http/tcp is not a port such as 80/tcp'],
    [{ '80/tcp': { HostPort: '80' } }, 'must map each port to a list of bindings'],
    [{ '80/tcp': [{ HostPort: 80 }] }, 'HostConfig.PortBindings.HostPort must be a string'],
  ])('refuses %j, naming HostConfig.PortBindings', (bindings, message) => {
    const refused = refusal(() => ports(bindings));
    expect(refused.field).toMatch(/^HostConfig\.PortBindings/);
    expect(refused.message).toContain(message);
  });
});

describe("Swarm's placement rules", () => {
  it('become constraints, affinities and reschedule, and never reach the container', () => {
    const { request } = map({
      Env: [
        'PATH=/bin',
        'constraint:node==h2',
        'constraint:zone!=b',
        'affinity:container!=db',
        'affinity:image==~redis',
        'reschedule:on-node-failure',
      ],
      Labels: {
        team: 'ml',
        'com.docker.swarm.constraints': '["disk==ssd"]',
        'com.docker.swarm.affinities': '["container==web"]',
      },
    });
    expect(request).toMatchObject({
      env: { PATH: '/bin' },
      labels: { team: 'ml' },
      constraints: ['node==h2', 'zone!=b', 'disk==ssd'],
      affinities: ['container!=db', 'image==~redis', 'container==web'],
      reschedule: 'on-node-failure',
    });
  });

  it('keeps two expressions of the same key, which a JSON env map could not', () => {
    expect(map({ Env: ['constraint:node!=h1', 'constraint:node!=h2'] }).request.constraints).toEqual([
      'node!=h1',
      'node!=h2',
    ]);
  });

  it("reads Swarm's reschedule label and its off, which is Berth's no", () => {
    expect(map({ Labels: { 'com.docker.swarm.reschedule-policies': '["on-node-failure"]' } }).request).toMatchObject({
      reschedule: 'on-node-failure',
      labels: {},
    });
    expect(map({ Env: ['reschedule:off'] }).request.reschedule).toBe('no');
    expect(
      map({ Env: ['reschedule:off'], Labels: { 'com.docker.swarm.reschedule-policies': '["off"]' } }).request
        .reschedule,
    ).toBe('no');
  });

  it('refuses two reschedule policies or one Swarm did not know, and a Swarm label that is no JSON array', () => {
    expect(refusal(() => map({ Env: ['reschedule:off', 'reschedule:on-node-failure'] }))).toEqual({
      field: 'Env',
      message: 'Env: one reschedule policy at most, not off and on-node-failure',
    });
    expect(refusal(() => map({ Env: ['reschedule:always'] }))).toEqual({
      field: 'Env',
      message: 'Env: invalid reschedule policy always (one of off, on-node-failure)',
    });
    expect(refusal(() => map({ Labels: { 'com.docker.swarm.reschedule-policies': '["no"]' } })).field).toBe('Labels');
    expect(refusal(() => map({ Labels: { 'com.docker.swarm.constraints': 'zone==a' } }))).toEqual({
      field: 'Labels',
      message: 'Labels: label com.docker.swarm.constraints must hold a JSON array of strings',
    });
  });

  it('leaves checking the expressions to the job schema', async () => {
    const { request } = map({ Env: ['constraint:zone=a'] });
    expect(request.constraints).toEqual(['zone=a']);
    expect(await schemaRefusal(request)).toEqual(['constraints']);
  });

  it('passes the job schema, which finds nothing left to fold', async () => {
    const { request } = map({
      Env: ['A=1', 'constraint:node==h2'],
      Labels: { 'com.docker.swarm.affinities': '["container!=db"]' },
    });
    expect(await throughJobSchema(request)).toMatchObject({
      env: { A: '1' },
      labels: {},
      constraints: ['node==h2'],
      affinities: ['container!=db'],
    });
  });
});

describe("what Berth's policy refuses", () => {
  it.each<[string, Body, string]>([
    ['Privileged', { Privileged: true }, 'HostConfig.Privileged: Berth runs no privileged containers'],
    ['Binds', { Binds: ['/tmp:/tmp'] }, 'HostConfig.Binds: Berth mounts no host paths or volumes'],
    ['Mounts', { Mounts: [{ Type: 'volume', Source: 'v', Target: '/v' }] }, 'HostConfig.Mounts: Berth mounts no'],
    ['Tmpfs', { Tmpfs: { '/tmp': '' } }, 'HostConfig.Tmpfs: Berth mounts no'],
    ['VolumeDriver', { VolumeDriver: 'nfs' }, 'HostConfig.VolumeDriver: Berth mounts no'],
    [
      'Devices',
      { Devices: [{ PathOnHost: '/dev/null' }] },
      'HostConfig.Devices: Berth gives containers no host devices',
    ],
    ['DeviceRequests', { DeviceRequests: [{ Count: -1 }] }, 'HostConfig.DeviceRequests: Berth gives'],
    ['DeviceCgroupRules', { DeviceCgroupRules: ['c 1:3 mr'] }, 'HostConfig.DeviceCgroupRules: Berth gives'],
    ['NetworkMode', { NetworkMode: 'host' }, "HostConfig.NetworkMode: Berth runs no container in its host's network"],
    ['NetworkMode', { NetworkMode: 'bridge' }, "HostConfig.NetworkMode: Berth chooses each host's network"],
    ['NetworkMode', { NetworkMode: 'mynet' }, 'only default, none and container:<job> are taken'],
    ['PidMode', { PidMode: 'host' }, 'HostConfig.PidMode: Berth gives every container its own PID namespace'],
    ['PidMode', { PidMode: 'container:x' }, 'HostConfig.PidMode: Berth gives every container its own PID'],
    ['IpcMode', { IpcMode: 'host' }, 'HostConfig.IpcMode: Berth gives every container its own IPC namespace'],
    ['IpcMode', { IpcMode: 'container:x' }, 'HostConfig.IpcMode: Berth gives'],
    ['UTSMode', { UTSMode: 'host' }, 'HostConfig.UTSMode: Berth gives every container its own UTS namespace'],
    ['UsernsMode', { UsernsMode: 'host' }, "HostConfig.UsernsMode: Berth keeps its hosts' user namespace setting"],
    ['CgroupnsMode', { CgroupnsMode: 'host' }, 'HostConfig.CgroupnsMode: Berth keeps'],
    ['Cgroup', { Cgroup: 'container:x' }, "HostConfig.Cgroup: Berth puts every container in its host's default"],
    ['CgroupParent', { CgroupParent: '/system' }, 'HostConfig.CgroupParent: Berth puts'],
    [
      'SecurityOpt',
      { SecurityOpt: ['seccomp=unconfined'] },
      "HostConfig.SecurityOpt: Berth sets every container's security options itself",
    ],
    ['SecurityOpt', { SecurityOpt: ['no-new-privileges', 'apparmor=unconfined'] }, 'HostConfig.SecurityOpt: Berth'],
    ['MaskedPaths', { MaskedPaths: [] }, "HostConfig.MaskedPaths: Berth keeps Docker's masked paths"],
    ['ReadonlyPaths', { ReadonlyPaths: [] }, "HostConfig.ReadonlyPaths: Berth keeps Docker's read-only paths"],
    ['Sysctls', { Sysctls: { 'net.ipv4.ip_forward': '1' } }, 'HostConfig.Sysctls: Berth sets no sysctls'],
    ['OomKillDisable', { OomKillDisable: true }, 'HostConfig.OomKillDisable: Berth lets the kernel kill'],
    ['PublishAllPorts', { PublishAllPorts: true }, 'HostConfig.PublishAllPorts: Berth publishes only the ports'],
    ['CapAdd', { CapAdd: ['SYS_ADMIN'] }, 'HostConfig.CapAdd: Berth adds back only CHOWN, DAC_OVERRIDE'],
    ['CapAdd', { CapAdd: ['ALL'] }, 'not ALL'],
    ['CapAdd', { CapAdd: ['cap_net_raw'] }, 'not NET_RAW'],
  ])('refuses %s (%j), naming the field', (field, hostConfig, message) => {
    const refused = refusal(() => map({}, hostConfig));
    expect(refused.field).toBe(`HostConfig.${field}`);
    expect(refused.message).toContain(message);
  });

  it('refuses anonymous volumes (-v /data), naming Volumes', () => {
    expect(refusal(() => map({ Volumes: { '/data': {} } }))).toEqual({
      field: 'Volumes',
      message: 'Volumes: Berth mounts no host paths or volumes',
    });
  });

  it('passes the zero value of every refused field, in each form a client may send it', () => {
    const zeros: Body = {
      Privileged: false,
      Binds: [],
      Mounts: null,
      Tmpfs: {},
      VolumeDriver: '',
      Devices: null,
      DeviceRequests: [],
      DeviceCgroupRules: [],
      PidMode: '',
      IpcMode: 'private',
      UTSMode: null,
      UsernsMode: '',
      CgroupnsMode: '',
      Cgroup: '',
      CgroupParent: '',
      SecurityOpt: [],
      MaskedPaths: null,
      ReadonlyPaths: null,
      Sysctls: null,
      OomKillDisable: null,
      PublishAllPorts: false,
      CapAdd: null,
    };
    expect(map({ Volumes: null }, zeros).request).toEqual({
      image: 'busybox',
      cmd: ['sleep', '1'],
      env: {},
      labels: {},
    });
    expect(() => map({}, { IpcMode: 'shareable' })).not.toThrow();
  });

  it('passes the no-new-privileges option, which Berth sets anyway', () => {
    for (const option of ['no-new-privileges', 'no-new-privileges:true', 'no-new-privileges=true']) {
      expect(() => map({}, { SecurityOpt: [option] })).not.toThrow();
    }
  });
});

describe('wrong JSON types on mapped fields', () => {
  it.each<[string, Body, Body, string]>([
    ['Image', { Image: 5 }, {}, 'Image must be a string'],
    ['Image', { Image: undefined }, {}, 'Image must be a string'],
    ['Cmd', { Cmd: [1, 2] }, {}, 'Cmd must be a list of strings'],
    ['Cmd', { Cmd: { a: 1 } }, {}, 'Cmd must be a list of strings'],
    ['Entrypoint', { Entrypoint: 7 }, {}, 'Entrypoint must be a list of strings'],
    ['Env', { Env: 'A=1' }, {}, 'Env must be a list of strings'],
    ['Env', { Env: { A: '1' } }, {}, 'Env must be a list of strings'],
    ['Labels', { Labels: ['a=b'] }, {}, 'Labels must be an object'],
    ['Labels', { Labels: { a: 1 } }, {}, 'Labels must be an object of strings'],
    ['WorkingDir', { WorkingDir: 1 }, {}, 'WorkingDir must be a string'],
    ['User', { User: 1000 }, {}, 'User must be a string'],
    ['HostConfig.Memory', {}, { Memory: '512m' }, 'HostConfig.Memory must be a whole number of bytes'],
    ['HostConfig.Memory', {}, { Memory: 1.5 }, 'HostConfig.Memory must be a whole number of bytes'],
    ['HostConfig.Memory', {}, { Memory: -1 }, 'HostConfig.Memory must not be negative'],
    [
      'HostConfig.NanoCpus',
      {},
      { NanoCpus: '1.5' },
      'HostConfig.NanoCpus must be a whole number of billionths of a CPU',
    ],
    ['HostConfig.CpuShares', {}, { CpuShares: -2 }, 'HostConfig.CpuShares must not be negative'],
    ['HostConfig.PidsLimit', {}, { PidsLimit: 'many' }, 'HostConfig.PidsLimit must be a whole number of processes'],
    ['HostConfig.AutoRemove', {}, { AutoRemove: 'yes' }, 'HostConfig.AutoRemove must be a boolean'],
    ['HostConfig.ReadonlyRootfs', {}, { ReadonlyRootfs: 1 }, 'HostConfig.ReadonlyRootfs must be a boolean'],
    ['HostConfig.CapAdd', {}, { CapAdd: [1] }, 'HostConfig.CapAdd must be a list of strings'],
    ['HostConfig.NetworkMode', {}, { NetworkMode: 1 }, 'HostConfig.NetworkMode must be a string'],
    ['HostConfig.VolumesFrom', {}, { VolumesFrom: 'data' }, 'HostConfig.VolumesFrom must be a list of strings'],
    ['HostConfig.Links', {}, { Links: [{}] }, 'HostConfig.Links must be a list of strings'],
    ['HostConfig.PortBindings', {}, { PortBindings: [] }, 'HostConfig.PortBindings must be an object'],
  ])('refuses %s of the wrong type, naming it', (field, over, hostConfig, message) => {
    expect(refusal(() => map(over, hostConfig))).toEqual({ field, message });
  });

  it('refuses a HostConfig that is not an object', () => {
    expect(refusal(() => jobRequestFromDockerCreate({ Image: 'busybox', HostConfig: [] }, {}))).toEqual({
      field: 'HostConfig',
      message: 'HostConfig must be an object',
    });
  });

  it('refuses a body that is not a JSON object', () => {
    for (const value of [null, [], 'busybox', 5]) {
      expect(refusal(() => jobRequestFromDockerCreate(value, {})).field).toBe('body');
    }
  });
});

describe('the one job schema', () => {
  it('checks the values the mapping passes on, naming its own fields', async () => {
    expect(await schemaRefusal(map({}, {}, { name: 'a'.repeat(64) }).request)).toEqual(['name']);
    expect(await schemaRefusal(map({ WorkingDir: 'app' }).request)).toEqual(['workingDir']);
    expect(await schemaRefusal(map({ Env: ['my var=1'] }).request)).toEqual(['env']);
    expect(await schemaRefusal(map({ Labels: { 'berth.job': 'x' } }).request)).toEqual(['labels']);
    expect(await schemaRefusal(map({}, { PidsLimit: 8 }).request)).toEqual(['pidsLimit']);
    expect(await schemaRefusal(map({ Image: 'Not An Image' }).request)).toEqual(['image']);
  });
});

describe('any body', () => {
  const CONFIG_FIELDS = ['Image', 'Cmd', 'Entrypoint', 'Env', 'Labels', 'WorkingDir', 'User', 'Volumes', 'Tty'];
  const HOST_FIELDS = [
    'Memory',
    'NanoCpus',
    'CpuShares',
    'PortBindings',
    'AutoRemove',
    'Privileged',
    'Binds',
    'CapAdd',
    'NetworkMode',
    'PidsLimit',
    'ReadonlyRootfs',
    'SecurityOpt',
    'VolumesFrom',
    'Links',
    'RestartPolicy',
  ];
  const value = fc.oneof(
    fc.anything(),
    fc.array(fc.string()),
    fc.dictionary(fc.string(), fc.string()),
    fc.constantFrom(null, 0, '', [], {}, ['constraint:a==b', 'reschedule:off', 'X'], { '80/tcp': [{ HostPort: '' }] }),
  );
  const fields = (names: string[]) =>
    fc.record(Object.fromEntries(names.map((name) => [name, value])), { requiredKeys: [] }) as fc.Arbitrary<Body>;

  it('is refused naming a field, or maps to fields of the job schema only: nothing else escapes', () => {
    fc.assert(
      fc.property(fields(CONFIG_FIELDS), fields(HOST_FIELDS), fc.option(fc.anything()), (config, host, name) => {
        let mapped: DockerCreate;
        try {
          mapped = jobRequestFromDockerCreate({ Image: 'busybox', ...config, HostConfig: host }, { name });
        } catch (err) {
          expect(err).toBeInstanceOf(DockerRequestRefused);
          expect((err as DockerRequestRefused).message).toContain((err as DockerRequestRefused).field);
          return;
        }
        for (const key of Object.keys(mapped.request)) {
          expect(JOB_SPEC_FIELDS).toContain(key);
        }
        expect(typeof mapped.autoRemove).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});
