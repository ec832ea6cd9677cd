import { ALLOWED_CAPABILITIES, DEFAULT_PIDS_LIMIT, JobRequest, ReschedulePolicy } from '@berth/contracts';
import { collectSwarmExpressions, collectSwarmReschedule, LabelArrayError } from '@berth/expressions';

/**
 * Docker Engine API `POST /containers/create` (query `name`, JSON body: the container's config with `HostConfig`
 * inside) read as a Berth job request, the body `POST /v1/jobs` takes. Pure: the request then goes through the one
 * job schema (the gateway's validation and jobSpecFrom), which checks every value; this module only translates,
 * checks the JSON types of what it reads, and refuses what Docker would do but Berth's container policy does not.
 *
 * | Docker                                | job                                                                    |
 * | ------------------------------------- | ---------------------------------------------------------------------- |
 * | query `name` (`--name`)               | `name`, without the leading `/` Docker allows                          |
 * | `Image`                               | `image`, as is                                                         |
 * | `Cmd`, `Entrypoint`                   | `cmd`, `entrypoint`, as given; a string is a list of one (Docker's     |
 * |                                       | StrSlice); `Cmd: []` is no cmd (Docker runs the image's for both)      |
 * | `Env` `K=V`                           | `env`, the last `K` winning; `K` alone (Docker unsets it): left out,   |
 * |                                       | with a warning                                                         |
 * | `Env` `constraint:…`, `affinity:…`    | `constraints`, `affinities` (collectSwarmExpressions), not in `env`    |
 * | `Labels`                              | `labels`; `com.docker.swarm.constraints` / `.affinities` (JSON arrays) |
 * |                                       | become `constraints` / `affinities`                                    |
 * | `Env` `reschedule:P`, the label       | `reschedule` (collectSwarmReschedule): Swarm's `off` is `no`,          |
 * | `com.docker.swarm.reschedule-policies` | `on-node-failure` stays; one policy at most, as in Swarm             |
 * | `WorkingDir`, `User`                  | `workingDir`, `user`; empty: the image's                               |
 * | `HostConfig.Memory` (bytes)           | `resources.memoryMiB`, rounded up to a whole MiB; 0: Berth's default   |
 * | `HostConfig.NanoCpus` (`--cpus`)      | `resources.cpuMillis` = NanoCpus / 10^6, rounded up                    |
 * | else `HostConfig.CpuShares`           | `resources.cpuMillis` = CpuShares × 1000 / 1024, rounded up (Docker's  |
 * |                                       | default weight, 1024, is one CPU); neither: Berth's default            |
 * | `HostConfig.PortBindings`             | `ports`: container port N bound to host port N, or to any host port    |
 * |                                       | (`""`, or a range holding N), on every address, TCP                    |
 * | `HostConfig.ReadonlyRootfs`           | `readOnlyRootFilesystem`                                               |
 * | `HostConfig.PidsLimit`                | `pidsLimit` when above 0; 0 or less (Docker: unlimited): Berth's       |
 * |                                       | default, and a warning for less                                        |
 * | `HostConfig.CapAdd`                   | `capAdd`, upper-cased without `CAP_` as Docker reads it; only names of |
 * |                                       | ALLOWED_CAPABILITIES                                                   |
 * | `HostConfig.NetworkMode`              | `container:<job>`: `network`; `""`, `default`, `none`: the host's mode |
 * | `HostConfig.VolumesFrom`, `.Links`    | `volumesFrom`, `links` (jobs by name)                                  |
 * | `HostConfig.AutoRemove` (`--rm`)      | `autoRemove`, beside the request: no part of a job                     |
 *
 * Where Berth differs from Docker: CPU is a request booked on the host and given to Docker as a relative weight,
 * never a hard quota (`--cpus 1.5` books 1.5 CPUs and does not cap them); a port is published on the host port of
 * the same number, so `-p 8080:80` cannot be kept.
 *
 * Refused, naming the field: `Privileged`; host paths and volumes (`Binds`, `Mounts`, `Tmpfs`, `Volumes`,
 * `VolumeDriver`); devices (`Devices`, `DeviceRequests`, `DeviceCgroupRules`); namespaces and cgroups other than
 * the container's own (`NetworkMode` other than above, `PidMode`, `IpcMode` but private and shareable, `UTSMode`,
 * `UsernsMode`, `CgroupnsMode`, `Cgroup`, `CgroupParent`); `SecurityOpt` but `no-new-privileges`, which Berth sets
 * anyway; `MaskedPaths` and `ReadonlyPaths` (null is Docker's default, `[]` unmasks everything); `Sysctls`;
 * `OomKillDisable`; `PublishAllPorts`; port bindings that cannot be kept; capabilities outside the allow-list.
 * The zero values the CLI sends for what a run does not ask (false, 0, "", null, [], {}) pass.
 *
 * Accepted with a warning, as Berth cannot keep them: `Hostname`, a `RestartPolicy` but `no`,
 * `NetworkMode: none`, a negative `PidsLimit`, `Env` entries without `=`.
 *
 * Ignored: every other field (the CLI sends many), among them `ExposedPorts` (only `PortBindings` publish),
 * `CapDrop` (every container drops all capabilities, and in Docker an added capability wins over a dropped one),
 * `MemorySwap` (a job never swaps), `NetworkingConfig`, the attach and stdin flags.
 */

/** What Docker would do but Berth will not, or a mapped field of the wrong JSON type: answered with a 400. */
export class DockerRequestRefused extends Error {
  override readonly name = 'DockerRequestRefused';
  constructor(
    /** Docker's name of the field, dotted: `HostConfig.Privileged`, `Env`, `name` (the query). */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DockerCreate {
  /** The job as a client of POST /v1/jobs would write it; the job schema checks it next. */
  request: JobRequest;
  /** `--rm`: remove the job once its container has exited. */
  autoRemove: boolean;
  /** What was asked and cannot be kept, for the create answer's `Warnings` (the CLI prints each). */
  warnings: string[];
}

type JsonObject = Record<string, unknown>;

const MiB = 1024 * 1024;

/** Swarm's words for a reschedule policy, and Berth's. */
const SWARM_RESCHEDULE_POLICIES: Readonly<Record<string, ReschedulePolicy>> = {
  off: 'no',
  'on-node-failure': 'on-node-failure',
};

/** Docker's options equal to what Berth gives every container anyway. */
const NO_NEW_PRIVILEGES = ['no-new-privileges', 'no-new-privileges:true', 'no-new-privileges=true'];

// ---- reading Docker's JSON: Go decodes null as the zero value, so null is absence everywhere

function refuse(field: string, message: string): never {
  throw new DockerRequestRefused(field, message);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function objectAt(value: unknown, field: string): JsonObject | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  return isObject(value) ? value : refuse(field, `${field} must be an object`);
}

/** A string; "" is none. */
function textAt(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  return typeof value === 'string' ? value : refuse(field, `${field} must be a string`);
}

function booleanAt(value: unknown, field: string): boolean {
  if (value === undefined || value === null) {
    return false;
  }
  return typeof value === 'boolean' ? value : refuse(field, `${field} must be a boolean`);
}

/** Go's []string. */
function listAt(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  return isStringList(value) ? value : refuse(field, `${field} must be a list of strings`);
}

/** Docker's StrSlice (`Cmd`, `Entrypoint`, `CapAdd`): a list of strings, or one string meaning a list of one. */
function strSliceAt(value: unknown, field: string): string[] | undefined {
  return typeof value === 'string' ? [value] : listAt(value, field);
}

function textMapAt(value: unknown, field: string): Record<string, string> | undefined {
  const object = objectAt(value, field);
  if (object !== undefined && !Object.values(object).every((item) => typeof item === 'string')) {
    refuse(field, `${field} must be an object of strings`);
  }
  return object as Record<string, string> | undefined;
}

/** A count Docker keeps as an int64: 0 when absent. */
function integerAt(value: unknown, field: string, what: string): number {
  if (value === undefined || value === null) {
    return 0;
  }
  return typeof value === 'number' && Number.isSafeInteger(value)
    ? value
    : refuse(field, `${field} must be a whole number of ${what}`);
}

function countAt(value: unknown, field: string, what: string): number {
  const count = integerAt(value, field, what);
  return count >= 0 ? count : refuse(field, `${field} must not be negative`);
}

// ---- what Berth's policy refuses

const isZero = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  value === false ||
  value === 0 ||
  value === '' ||
  (Array.isArray(value) && value.length === 0) ||
  (isObject(value) && Object.keys(value).length === 0);

const isNull = (value: unknown): boolean => value === undefined || value === null;
const isOneOf =
  (...allowed: string[]) =>
  (value: unknown): boolean =>
    isZero(value) || (typeof value === 'string' && allowed.includes(value));

/**
 * HostConfig fields that would take the container out of Berth's policy (README: The container policy): refused
 * unless they hold Docker's zero value, or a value allowed here.
 */
const REFUSED_HOST_CONFIG: ReadonlyArray<{ field: string; allowed: (value: unknown) => boolean; why: string }> = [
  { field: 'Privileged', allowed: isZero, why: 'Berth runs no privileged containers' },
  { field: 'Binds', allowed: isZero, why: 'Berth mounts no host paths or volumes' },
  { field: 'Mounts', allowed: isZero, why: 'Berth mounts no host paths or volumes' },
  { field: 'Tmpfs', allowed: isZero, why: 'Berth mounts no host paths or volumes' },
  { field: 'VolumeDriver', allowed: isZero, why: 'Berth mounts no host paths or volumes' },
  { field: 'Devices', allowed: isZero, why: 'Berth gives containers no host devices' },
  { field: 'DeviceRequests', allowed: isZero, why: 'Berth gives containers no host devices' },
  { field: 'DeviceCgroupRules', allowed: isZero, why: 'Berth gives containers no host devices' },
  { field: 'PidMode', allowed: isZero, why: 'Berth gives every container its own PID namespace' },
  {
    field: 'IpcMode',
    allowed: isOneOf('private', 'shareable'),
    why: 'Berth gives every container its own IPC namespace',
  },
  { field: 'UTSMode', allowed: isZero, why: 'Berth gives every container its own UTS namespace' },
  { field: 'UsernsMode', allowed: isZero, why: "Berth keeps its hosts' user namespace setting" },
  { field: 'CgroupnsMode', allowed: isZero, why: "Berth keeps its hosts' cgroup namespace setting" },
  { field: 'Cgroup', allowed: isZero, why: "Berth puts every container in its host's default cgroup" },
  { field: 'CgroupParent', allowed: isZero, why: "Berth puts every container in its host's default cgroup" },
  {
    field: 'SecurityOpt',
    allowed: (value) => isZero(value) || (isStringList(value) && value.every((o) => NO_NEW_PRIVILEGES.includes(o))),
    why: "Berth sets every container's security options itself: no-new-privileges and Docker's default profiles",
  },
  { field: 'MaskedPaths', allowed: isNull, why: "Berth keeps Docker's masked paths" },
  { field: 'ReadonlyPaths', allowed: isNull, why: "Berth keeps Docker's read-only paths" },
  { field: 'Sysctls', allowed: isZero, why: 'Berth sets no sysctls' },
  {
    field: 'OomKillDisable',
    allowed: isZero,
    why: 'Berth lets the kernel kill a container that goes past its memory limit',
  },
  { field: 'PublishAllPorts', allowed: isZero, why: 'Berth publishes only the ports bound with -p' },
];

function refusePolicy(config: JsonObject, host: JsonObject): void {
  if (!isZero(config.Volumes)) {
    refuse('Volumes', 'Volumes: Berth mounts no host paths or volumes');
  }
  for (const { field, allowed, why } of REFUSED_HOST_CONFIG) {
    if (!allowed(host[field])) {
      refuse(`HostConfig.${field}`, `HostConfig.${field}: ${why}`);
    }
  }
}

// ---- the fields that map

/**
 * `env` without Swarm's entries, and the expressions and reschedule policy found in them and in the labels.
 * Each env entry is read on its own: two entries `constraint:node!=h1` and `constraint:node!=h2` would share the
 * key `constraint:node!` of a JSON env map. (The CLI itself keeps only the last of them: it, too, keys `-e` by the
 * text before `=`; the label com.docker.swarm.constraints holds as many as wanted.)
 */
function placementOf(config: JsonObject, warnings: string[]): Partial<JobRequest> {
  const dockerEnv = listAt(config.Env, 'Env') ?? [];
  const dockerLabels = textMapAt(config.Labels, 'Labels') ?? {};
  const reschedule = labelsRead(() => collectSwarmReschedule(dockerEnv, dockerLabels));
  // A Map, so that no key (__proto__) is special; the last entry of a key wins, as in Docker.
  const env = new Map<string, string>();
  const constraints: string[] = [];
  const affinities: string[] = [];
  for (const entry of reschedule.env) {
    const equals = entry.indexOf('=');
    const key = equals < 0 ? entry : entry.slice(0, equals);
    const value = equals < 0 ? undefined : entry.slice(equals + 1);
    const found = collectSwarmExpressions({}, { [key]: value ?? '' }, {});
    constraints.push(...found.constraints);
    affinities.push(...found.affinities);
    if (!Object.hasOwn(found.env, key)) {
      continue;
    }
    if (value === undefined) {
      warnings.push(`Env: ${key} has no value; Berth cannot unset a variable of the image and leaves it out`);
      env.delete(key);
    } else {
      env.set(key, value);
    }
  }
  const fromLabels = labelsRead(() => collectSwarmExpressions({}, {}, reschedule.labels));
  constraints.push(...fromLabels.constraints);
  affinities.push(...fromLabels.affinities);
  return {
    env: Object.fromEntries(env),
    labels: fromLabels.labels,
    ...(constraints.length > 0 ? { constraints } : {}),
    ...(affinities.length > 0 ? { affinities } : {}),
    ...reschedulePolicyOf(reschedule.policies, reschedule.env.length < dockerEnv.length ? 'Env' : 'Labels'),
  };
}

function labelsRead<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof LabelArrayError) {
      refuse('Labels', `Labels: ${err.message}`);
    }
    throw err;
  }
}

/** Swarm refused more than one policy, and any but `off` and `on-node-failure`. */
function reschedulePolicyOf(policies: string[], field: 'Env' | 'Labels'): Pick<JobRequest, 'reschedule'> {
  const distinct = [...new Set(policies)];
  if (distinct.length === 0) {
    return {};
  }
  if (distinct.length > 1) {
    refuse(field, `${field}: one reschedule policy at most, not ${distinct.join(' and ')}`);
  }
  const policy = SWARM_RESCHEDULE_POLICIES[distinct[0]];
  if (policy === undefined) {
    const known = Object.keys(SWARM_RESCHEDULE_POLICIES).join(', ');
    refuse(field, `${field}: invalid reschedule policy ${distinct[0]} (one of ${known})`);
  }
  return { reschedule: policy };
}

/** CPU and memory as Berth books them; absent (Berth's defaults) where the request leaves them at 0. */
function resourcesOf(host: JsonObject): Pick<JobRequest, 'resources'> {
  const memory = countAt(host.Memory, 'HostConfig.Memory', 'bytes');
  const nanoCpus = countAt(host.NanoCpus, 'HostConfig.NanoCpus', 'billionths of a CPU');
  const shares = countAt(host.CpuShares, 'HostConfig.CpuShares', 'shares');
  const resources: NonNullable<JobRequest['resources']> = {};
  if (memory > 0) {
    resources.memoryMiB = Math.ceil(memory / MiB);
  }
  if (nanoCpus > 0) {
    resources.cpuMillis = Math.ceil(nanoCpus / 1e6);
  } else if (shares > 0) {
    resources.cpuMillis = Math.ceil((shares * 1000) / 1024);
  }
  return Object.keys(resources).length > 0 ? { resources } : {};
}

/**
 * The host ports of `PortBindings` (`{"80/tcp": [{"HostIp": "", "HostPort": "80"}]}`). A job publishes container
 * port N on host port N, on every address of its host, TCP only: an empty HostPort (any) or a range holding N
 * becomes N; anything else cannot be kept and is refused.
 */
function portsOf(host: JsonObject): Pick<JobRequest, 'ports'> {
  const field = 'HostConfig.PortBindings';
  const bindings = objectAt(host.PortBindings, field) ?? {};
  const ports = new Set<number>();
  for (const [key, list] of Object.entries(bindings)) {
    const port = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key);
    if (port === null) {
      refuse(field, `${field}: ${key} is not a port such as 80/tcp`);
    }
    if (port[2] !== undefined && port[2] !== 'tcp') {
      refuse(field, `${field}: Berth publishes TCP ports only, not ${key}`);
    }
    const containerPort = Number(port[1]);
    if (list === null || list === undefined) {
      continue;
    }
    if (!Array.isArray(list) || !list.every(isObject)) {
      refuse(field, `${field} must map each port to a list of bindings`);
    }
    for (const binding of list) {
      const hostIp = textAt(binding.HostIp, `${field}.HostIp`);
      if (hostIp !== undefined && hostIp !== '0.0.0.0' && hostIp !== '::') {
        refuse(field, `${field}: Berth publishes on every address of its hosts, not on ${hostIp} only`);
      }
      const hostPort = textAt(binding.HostPort, `${field}.HostPort`);
      const range = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(hostPort ?? '');
      const holds =
        hostPort === undefined ||
        (range !== null && Number(range[1]) <= containerPort && containerPort <= Number(range[2] ?? range[1]));
      if (!holds) {
        const same = `-p ${containerPort}:${containerPort} or -p ${containerPort}`;
        refuse(
          field,
          `${field}: Berth publishes a container's port on the host port of the same number: ` +
            `${hostPort}:${containerPort} cannot be kept (use ${same})`,
        );
      }
      ports.add(containerPort);
    }
  }
  return ports.size > 0 ? { ports: [...ports] } : {};
}

/** Capability names as Docker reads them: any case, with or without `CAP_`. */
function capabilitiesOf(host: JsonObject): Pick<JobRequest, 'capAdd'> {
  const field = 'HostConfig.CapAdd';
  const names = [...new Set((strSliceAt(host.CapAdd, field) ?? []).map((c) => c.toUpperCase().replace(/^CAP_/, '')))];
  for (const name of names) {
    if (!(ALLOWED_CAPABILITIES as readonly string[]).includes(name)) {
      refuse(field, `${field}: Berth adds back only ${ALLOWED_CAPABILITIES.join(', ')}; not ${name}`);
    }
  }
  return names.length > 0 ? { capAdd: names } : {};
}

function networkOf(host: JsonObject, warnings: string[]): Pick<JobRequest, 'network'> {
  const field = 'HostConfig.NetworkMode';
  const mode = textAt(host.NetworkMode, field);
  if (mode === undefined || mode === 'default') {
    return {};
  }
  if (mode === 'none') {
    warnings.push(`${field}: the container gets its host's network mode, which may not be none`);
    return {};
  }
  if (mode.startsWith('container:')) {
    return { network: mode };
  }
  if (mode === 'host') {
    refuse(field, `${field}: Berth runs no container in its host's network namespace`);
  }
  return refuse(field, `${field}: Berth chooses each host's network; only default, none and container:<job> are taken`);
}

function pidsLimitOf(host: JsonObject, warnings: string[]): Pick<JobRequest, 'pidsLimit'> {
  const limit = integerAt(host.PidsLimit, 'HostConfig.PidsLimit', 'processes');
  if (limit < 0) {
    warnings.push(`HostConfig.PidsLimit: Berth limits every container's processes (${DEFAULT_PIDS_LIMIT} unless set)`);
  }
  return limit > 0 ? { pidsLimit: limit } : {};
}

/** What was asked and is not kept, but changes nothing Berth's policy cares about. */
function otherWarnings(config: JsonObject, host: JsonObject): string[] {
  const warnings: string[] = [];
  if (config.Tty === true) {
    // The CLI would then read the output as a terminal's, raw, and print Docker's frame headers as text.
    refuse('Tty', 'Tty: Berth gives containers no terminal; run without -t (the output is shown as it is)');
  }
  if (typeof config.Hostname === 'string' && config.Hostname !== '') {
    warnings.push('Hostname: Berth does not set a container hostname');
  }
  const restart = isObject(host.RestartPolicy) ? host.RestartPolicy.Name : undefined;
  if (typeof restart === 'string' && restart !== '' && restart !== 'no') {
    warnings.push(
      `HostConfig.RestartPolicy: Berth restarts no container (${restart} is not kept); ` +
        'reschedule:on-node-failure moves it off a failed host',
    );
  }
  return warnings;
}

/**
 * The job a Docker create asks for (see the table above), or DockerRequestRefused naming the Docker field that
 * Berth's policy refuses or that has the wrong JSON type. The result still has to pass the job schema.
 */
export function jobRequestFromDockerCreate(body: unknown, query: { name?: unknown }): DockerCreate {
  if (!isObject(body)) {
    refuse('body', 'the request body must be a JSON object (the container config)');
  }
  const host = objectAt(body.HostConfig, 'HostConfig') ?? {};
  refusePolicy(body, host);

  if (typeof body.Image !== 'string') {
    refuse('Image', 'Image must be a string');
  }
  if (query.name !== undefined && typeof query.name !== 'string') {
    refuse('name', 'name must be one string');
  }
  const name = query.name?.replace(/^\//, '') || undefined;
  const cmd = strSliceAt(body.Cmd, 'Cmd');
  const entrypoint = strSliceAt(body.Entrypoint, 'Entrypoint');
  const workingDir = textAt(body.WorkingDir, 'WorkingDir');
  const user = textAt(body.User, 'User');
  const volumesFrom = listAt(host.VolumesFrom, 'HostConfig.VolumesFrom');
  const links = listAt(host.Links, 'HostConfig.Links');
  const autoRemove = booleanAt(host.AutoRemove, 'HostConfig.AutoRemove');
  const readOnly = booleanAt(host.ReadonlyRootfs, 'HostConfig.ReadonlyRootfs');

  const warnings = otherWarnings(body, host);
  const request: JobRequest = {
    image: body.Image,
    ...(name !== undefined ? { name } : {}),
    // Docker runs the image's cmd for an empty Cmd as for none.
    ...(cmd !== undefined && cmd.length > 0 ? { cmd } : {}),
    ...(entrypoint !== undefined ? { entrypoint } : {}),
    ...(workingDir !== undefined ? { workingDir } : {}),
    ...(user !== undefined ? { user } : {}),
    ...placementOf(body, warnings),
    ...resourcesOf(host),
    ...portsOf(host),
    ...(readOnly ? { readOnlyRootFilesystem: true } : {}),
    ...pidsLimitOf(host, warnings),
    ...capabilitiesOf(host),
    ...networkOf(host, warnings),
    ...(volumesFrom !== undefined && volumesFrom.length > 0 ? { volumesFrom } : {}),
    ...(links !== undefined && links.length > 0 ? { links } : {}),
  };
  return { request, autoRemove, warnings };
}
