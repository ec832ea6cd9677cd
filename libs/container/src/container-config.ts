import {
  applyDefaults,
  containerNameFor,
  DEFAULT_PIDS_LIMIT,
  decodeJobSpec,
  JOB_SPEC,
  JobSpec,
  JobSpecField,
  LABEL_CLUSTER,
  LABEL_CPU,
  LABEL_JOB,
  LABEL_MEMORY,
  LABEL_NAMESPACE,
  LABEL_SPEC,
  LABEL_SUBMITTED,
  RESERVED_LABEL_PREFIX,
} from '@berth/contracts';
import { ContainerPolicy, ContainerRefused, registryProblem } from './policy';

/** What Berth sends to Docker to create a job's container: the part of the Engine API's create body it uses. */
export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Env: string[];
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  HostConfig: {
    NetworkMode: string;
    Privileged: false;
    SecurityOpt: string[];
    CapDrop: string[];
    CapAdd?: string[];
    PidsLimit?: number;
    ReadonlyRootfs?: boolean;
    LogConfig: { Type: 'json-file'; Config: { 'max-size': string; 'max-file': string } };
    VolumesFrom?: string[];
    Links?: string[];
    PortBindings?: Record<string, Array<{ HostPort: string }>>;
    Memory?: number;
    MemorySwap?: number;
    CpuShares?: number;
  };
}

/** What `docker inspect` says of a container's config: the part Berth reads back. */
export interface ContainerConfigView {
  Image: string;
  Cmd?: string[] | null;
  /** The image's own when the create body set none; dockerode types it as a string too. */
  Entrypoint?: string[] | string | null;
  /** The image's own when the create body set none; empty when neither did. */
  WorkingDir?: string;
  User?: string;
  Env?: string[] | null;
  Labels?: Record<string, string> | null;
}

/** A job as its host's agent is about to run it. */
export interface ContainerJob {
  id: string;
  namespace: string;
  spec: JobSpec;
  /** The cluster (BERTH_PREFIX) whose container this is. */
  cluster: string;
  submittedAt: string;
  /**
   * The container names of the jobs this one depends on, by the name the spec uses. Jobs refer to each other by
   * job name; Docker knows them by container name.
   */
  dependencies: Record<string, string>;
}

/** How one field of a job reaches Docker, and how it is read back from a container that lost its spec label. */
interface FieldMapping<K extends JobSpecField> {
  toDocker(body: ContainerCreateBody, job: ContainerJob, policy: ContainerPolicy): void;
  /** undefined: Docker does not keep it (the field's default, or nothing, is taken). */
  fromDocker(config: ContainerConfigView): JobSpec[K] | undefined;
}

const MiB = 1024 * 1024;

/** A field that only placement reads: nothing of it reaches the container. */
const placementOnly = { toDocker: () => undefined, fromDocker: () => undefined };

/** A dependency by its job name, as Docker knows it; never a bare container name that happens to match. */
function containerOf(job: ContainerJob, reference: string): string {
  const [target, ...rest] = reference.split(':');
  const container = job.dependencies[target];
  if (container === undefined) {
    throw new ContainerRefused(`job ${target}, which this job depends on, is not a job of its namespace on this host`);
  }
  return [container, ...rest].join(':');
}

function networkModeOf(job: ContainerJob, policy: ContainerPolicy): string {
  const network = job.spec.network;
  return network?.startsWith('container:')
    ? `container:${containerOf(job, network.slice('container:'.length))}`
    : policy.networkMode;
}

/**
 * Every field of a job spec, mapped: the type makes leaving one out a compile error, so a new field is decided
 * here, once, for Docker.
 */
const MAPPING: { [K in JobSpecField]-?: FieldMapping<K> } = {
  image: {
    toDocker: (body, job) => (body.Image = job.spec.image),
    fromDocker: (config) => config.Image,
  },
  // The container is named after the job id; the name lives in Berth's books and the spec label.
  name: placementOnly,
  cmd: {
    toDocker: (body, job) => {
      if (job.spec.cmd) {
        body.Cmd = job.spec.cmd;
      }
    },
    fromDocker: (config) => config.Cmd ?? undefined,
  },
  // Passed as given, so Docker's own rules hold: an entrypoint replaces the image's (and its cmd), [''] clears it.
  entrypoint: {
    toDocker: (body, job) => {
      if (job.spec.entrypoint) {
        body.Entrypoint = job.spec.entrypoint;
      }
    },
    fromDocker: (config) =>
      typeof config.Entrypoint === 'string' ? [config.Entrypoint] : (config.Entrypoint ?? undefined),
  },
  user: {
    toDocker: (body, job) => {
      if (job.spec.user) {
        body.User = job.spec.user;
      }
    },
    fromDocker: (config) => config.User || undefined,
  },
  readOnlyRootFilesystem: {
    toDocker: (body, job) => {
      if (job.spec.readOnlyRootFilesystem) {
        body.HostConfig.ReadonlyRootfs = true;
      }
    },
    fromDocker: () => undefined,
  },
  // Every capability is dropped (below); these come back, and the schema lets only the allow-list through.
  capAdd: {
    toDocker: (body, job) => {
      if (job.spec.capAdd?.length) {
        body.HostConfig.CapAdd = job.spec.capAdd;
      }
    },
    fromDocker: () => undefined,
  },
  pidsLimit: {
    toDocker: (body, job, policy) =>
      (body.HostConfig.PidsLimit = Math.min(job.spec.pidsLimit ?? DEFAULT_PIDS_LIMIT, policy.maxPids)),
    fromDocker: () => undefined,
  },
  workingDir: {
    toDocker: (body, job) => {
      if (job.spec.workingDir) {
        body.WorkingDir = job.spec.workingDir;
      }
    },
    // Docker reports the image's own when the job set none (or '' when the image has none): the command ran there.
    fromDocker: (config) => config.WorkingDir || undefined,
  },
  env: {
    toDocker: (body, job) => (body.Env = Object.entries(job.spec.env).map(([key, value]) => `${key}=${value}`)),
    fromDocker: (config) =>
      Object.fromEntries(
        (config.Env ?? []).map((entry) => {
          const [key, ...rest] = entry.split('=');
          return [key, rest.join('=')];
        }),
      ),
  },
  labels: {
    toDocker: (body, job) => Object.assign(body.Labels, job.spec.labels),
    fromDocker: (config) =>
      Object.fromEntries(Object.entries(config.Labels ?? {}).filter(([key]) => !key.startsWith(RESERVED_LABEL_PREFIX))),
  },
  resources: {
    // Memory is a hard limit; CPU is a request, given as a relative weight as Kubernetes does, since a hard quota
    // throttles a container's own start.
    toDocker: (body, job) => {
      const { cpuMillis, memoryMiB } = job.spec.resources;
      body.HostConfig.Memory = memoryMiB * MiB;
      body.HostConfig.MemorySwap = memoryMiB * MiB;
      body.HostConfig.CpuShares = Math.max(2, Math.round((cpuMillis * 1024) / 1000));
      body.Labels[LABEL_CPU] = String(cpuMillis);
      body.Labels[LABEL_MEMORY] = String(memoryMiB);
    },
    fromDocker: (config) => {
      const cpuMillis = Number(config.Labels?.[LABEL_CPU]);
      const memoryMiB = Number(config.Labels?.[LABEL_MEMORY]);
      return cpuMillis > 0 && memoryMiB > 0 ? { cpuMillis, memoryMiB } : undefined;
    },
  },
  strategy: placementOnly,
  constraints: placementOnly,
  affinities: placementOnly,
  ports: {
    // With network mode none, or another container's network, there is nothing to publish: the ports are still
    // reserved on the host.
    toDocker: (body, job, policy) => {
      const ports = job.spec.ports ?? [];
      const network = networkModeOf(job, policy);
      if (network === 'none' || network.startsWith('container:') || ports.length === 0) {
        return;
      }
      body.ExposedPorts = Object.fromEntries(ports.map((p) => [`${p}/tcp`, {}]));
      body.HostConfig.PortBindings = Object.fromEntries(ports.map((p) => [`${p}/tcp`, [{ HostPort: String(p) }]]));
    },
    fromDocker: () => undefined,
  },
  volumesFrom: {
    toDocker: (body, job) => {
      if (job.spec.volumesFrom) {
        body.HostConfig.VolumesFrom = job.spec.volumesFrom.map((reference) => containerOf(job, reference));
      }
    },
    fromDocker: () => undefined,
  },
  links: {
    toDocker: (body, job) => {
      if (job.spec.links) {
        body.HostConfig.Links = job.spec.links.map((reference) => containerOf(job, reference));
      }
    },
    fromDocker: () => undefined,
  },
  network: {
    toDocker: (body, job, policy) => (body.HostConfig.NetworkMode = networkModeOf(job, policy)),
    fromDocker: () => undefined,
  },
  placementTimeoutSeconds: placementOnly,
  reschedule: placementOnly,
};

/**
 * Docker's create body for a job's container, and the container's name (the job's, so a redelivered create finds
 * the container it already made). Pure: the agent resolves the dependencies and sends it. Throws ContainerRefused
 * when the policy does not allow the job (an image from a registry not allowed, a dependency that is no job).
 */
export function containerConfigFor(
  job: ContainerJob,
  policy: ContainerPolicy,
): { name: string; body: ContainerCreateBody } {
  const refused = registryProblem(job.spec.image, policy.allowedRegistries);
  if (refused !== null) {
    throw new ContainerRefused(refused);
  }
  // What every container gets, whatever its job says (the README's table beside Kubernetes' "restricted").
  const body: ContainerCreateBody = {
    Image: job.spec.image,
    Env: [],
    Labels: {},
    HostConfig: {
      NetworkMode: policy.networkMode,
      Privileged: false,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
      LogConfig: {
        Type: 'json-file',
        Config: { 'max-size': policy.logMaxSize, 'max-file': String(policy.logMaxFiles) },
      },
    },
  };
  for (const field of Object.keys(MAPPING) as JobSpecField[]) {
    MAPPING[field].toDocker(body, job, policy);
  }
  // Berth's own labels last: a job cannot forge them (its labels may not use the prefix anyway).
  Object.assign(body.Labels, {
    [LABEL_JOB]: job.id,
    [LABEL_NAMESPACE]: job.namespace,
    [LABEL_CLUSTER]: job.cluster,
    [LABEL_SPEC]: JSON.stringify(job.spec),
    [LABEL_SUBMITTED]: job.submittedAt,
  });
  return { name: containerNameFor(job.id), body };
}

/**
 * The job's spec as its container carries it (the `berth.spec` label). A container without a readable label gives
 * what Docker itself kept of the job (image, command, environment, labels, resources); its placement rules are
 * then lost.
 */
export function specFromContainer(config: ContainerConfigView): JobSpec {
  const label = config.Labels?.[LABEL_SPEC];
  if (label) {
    try {
      return decodeJobSpec(JSON.parse(label));
    } catch {
      // Not ours to trust: fall back to what Docker itself knows.
    }
  }
  const recovered: Record<string, unknown> = {};
  for (const field of Object.keys(MAPPING) as JobSpecField[]) {
    recovered[field] = MAPPING[field].fromDocker(config);
  }
  return applyDefaults(JOB_SPEC, recovered);
}
