import { containerNameFor, JobRecord, JobStatus, LABEL_JOB } from '@berth/contracts';
import { createHash } from 'node:crypto';

/**
 * A job as the Engine API shows a container. Its Id is the host's real container id once there is a container;
 * before that (queued, pulling) a stable 64-hex id made from the job id, so the CLI can name it meanwhile.
 */
export function dockerIdOf(job: JobRecord): string {
  return job.containerId ?? createHash('sha256').update(job.id).digest('hex');
}

/** The name the user gave, or the host's own (`berth-<job id>`). */
export function dockerNameOf(job: JobRecord): string {
  return job.spec.name ?? containerNameFor(job.id);
}

/** As classic Swarm showed names: `/<host>/<name>`, so `docker ps` says where each container runs. */
export function dockerNamesOf(job: JobRecord): string[] {
  return [`/${job.node ?? 'unplaced'}/${dockerNameOf(job)}`];
}

export type DockerState = 'created' | 'running' | 'removing' | 'exited' | 'dead';

const STATES: Readonly<Record<JobStatus, DockerState>> = {
  queued: 'created',
  scheduled: 'created',
  pulling: 'created',
  running: 'running',
  exited: 'exited',
  failed: 'exited',
  unschedulable: 'dead',
  removing: 'removing',
  removed: 'dead',
};

/** A failed job that never ran a container (Docker refused it, the pull failed): it has no exit code. */
export function neverRan(job: JobRecord): boolean {
  return job.status === 'failed' && job.containerId === null && job.exitCode === null;
}

export function dockerStateOf(job: JobRecord): DockerState {
  return neverRan(job) ? 'dead' : STATES[job.status];
}

function since(at: string | undefined, now: number): string {
  const seconds = at === undefined ? 0 : Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (seconds < 60) {
    return seconds <= 1 ? 'Less than a second' : `${seconds} seconds`;
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return minutes === 1 ? 'About a minute' : `${minutes} minutes`;
  }
  const hours = Math.round(minutes / 60);
  return hours === 1 ? 'About an hour' : `${hours} hours`;
}

const entered = (job: JobRecord, status: JobStatus) => [...job.history].reverse().find((h) => h.status === status)?.at;

/** `docker ps`'s STATUS column: "Up 5 seconds", "Exited (3) 2 minutes ago", ... */
export function dockerStatusOf(job: JobRecord, now = Date.now()): string {
  switch (dockerStateOf(job)) {
    case 'running':
      return `Up ${since(entered(job, 'running'), now)}`;
    case 'exited':
      return `Exited (${job.exitCode ?? 0}) ${since(entered(job, job.status), now)} ago`;
    case 'created':
      return job.status === 'pulling' ? 'Created (pulling its image)' : 'Created';
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return job.reason ? `Dead: ${job.reason}` : 'Dead';
  }
}

export function dockerCommandOf(job: JobRecord): string[] {
  return [...(job.spec.entrypoint ?? []), ...(job.spec.cmd ?? [])];
}

export function dockerLabelsOf(job: JobRecord): Record<string, string> {
  return { ...job.spec.labels, [LABEL_JOB]: job.id };
}

/** One item of `GET /containers/json`, with the types the CLI decodes strictly (numbers, not strings). */
export function containerSummary(job: JobRecord, now = Date.now()): Record<string, unknown> {
  return {
    Id: dockerIdOf(job),
    Names: dockerNamesOf(job),
    Image: job.spec.image,
    ImageID: '',
    Command: dockerCommandOf(job).join(' '),
    Created: Math.floor(Date.parse(job.createdAt) / 1000),
    Ports: (job.spec.ports ?? []).map((port) => ({ IP: '0.0.0.0', PrivatePort: port, PublicPort: port, Type: 'tcp' })),
    Labels: dockerLabelsOf(job),
    State: dockerStateOf(job),
    Status: dockerStatusOf(job, now),
    HostConfig: { NetworkMode: job.spec.network ?? 'none' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}

/** `docker ps` filters Berth answers, as the Engine API defines them. */
export const CONTAINER_FILTERS = ['label', 'name', 'id', 'status'] as const;

/** Whether a container passes every filter: within a filter any value may match, across filters all must. */
export function matchesFilters(job: JobRecord, filters: Map<string, string[]>): boolean {
  for (const [filter, values] of filters) {
    if (values.length === 0) {
      continue;
    }
    const labels = dockerLabelsOf(job);
    const ok = values.some((value) => {
      switch (filter) {
        case 'label': {
          const at = value.indexOf('=');
          return at < 0 ? value in labels : labels[value.slice(0, at)] === value.slice(at + 1);
        }
        case 'name':
          // Docker matches a name filter anywhere in the name.
          return dockerNamesOf(job).some((name) => name.includes(value)) || dockerNameOf(job).includes(value);
        case 'id':
          return dockerIdOf(job).startsWith(value) || job.id.startsWith(value);
        case 'status':
          return dockerStateOf(job) === value;
        default:
          return false;
      }
    });
    if (!ok) {
      return false;
    }
  }
  return true;
}

/**
 * What inspect shows of a job that has no container (yet, or ever): enough for the CLI (`Id`, `Name`, `Created`
 * as RFC 3339, `State`, `Config`, `HostConfig`, `NetworkSettings`).
 */
export function inspectWithoutContainer(job: JobRecord): Record<string, unknown> {
  const state = dockerStateOf(job);
  return {
    Id: dockerIdOf(job),
    Name: `/${dockerNameOf(job)}`,
    Created: job.createdAt,
    State: {
      Status: state,
      Running: false,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: state === 'dead',
      Pid: 0,
      ExitCode: job.exitCode ?? 0,
      Error: job.reason ?? '',
      StartedAt: '0001-01-01T00:00:00Z',
      FinishedAt: '0001-01-01T00:00:00Z',
    },
    Config: {
      Image: job.spec.image,
      Cmd: job.spec.cmd ?? null,
      Entrypoint: job.spec.entrypoint ?? null,
      Env: Object.entries(job.spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: dockerLabelsOf(job),
      WorkingDir: job.spec.workingDir ?? '',
      User: job.spec.user ?? '',
      Tty: false,
    },
    HostConfig: { NetworkMode: job.spec.network ?? 'none' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}
