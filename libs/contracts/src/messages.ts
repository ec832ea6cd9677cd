import {
  asObject,
  asOneOf,
  asOptionalString,
  asNonNegativeInt,
  asPositiveInt,
  asString,
  asStringArray,
  asStringMap,
  MalformedMessage,
  parseJson,
} from './decode';
import { JobSpec, PullProgress, RESCHEDULE_POLICIES, STRATEGIES } from './job';

/** Gateway → scheduler, on the jobs queue: a job to place. */
export interface PlaceJob {
  type: 'place-job';
  jobId: string;
  spec: JobSpec;
  submittedAt: string;
  /** Placement attempts so far that found no room (0 on the first delivery). */
  attempt: number;
}

/** Scheduler → agent, on the host's queue: create and start this job's container. */
export interface CreateContainer {
  type: 'create-container';
  jobId: string;
  spec: JobSpec;
}

/** Gateway (or scheduler) → agent, on the host's queue: stop and remove this job's container. */
export interface RemoveContainer {
  type: 'remove-container';
  jobId: string;
}

/** Gateway → agent, on the host's queue, as a request (reply-to): the container's recent output. */
export interface FetchLogs {
  type: 'fetch-logs';
  jobId: string;
  /** Lines from the end. */
  tail: number;
}

/** Agent → gateway, the reply to FetchLogs. */
export type LogsReply = { ok: true; logs: string } | { ok: false; error: string };

export type AgentCommand = CreateContainer | RemoveContainer | FetchLogs;

/** Agent → scheduler, on the outcomes queue: what happened to a job on a host. */
export type JobOutcome =
  | { type: 'container-running'; jobId: string; nodeId: string; containerId: string }
  | { type: 'container-failed'; jobId: string; nodeId: string; reason: string }
  | { type: 'container-removed'; jobId: string; nodeId: string }
  /** The host is pulling the job's image. */
  | { type: 'image-pulling'; jobId: string; nodeId: string; progress: PullProgress }
  /** Docker reported the container ended (its own exit, a crash, or the OOM killer). */
  | { type: 'container-exited'; jobId: string; nodeId: string; exitCode: number; oomKilled: boolean };

/** The wire form of a remove-container command, sent by the gateway and the scheduler alike. */
export function removeCommand(jobId: string): Buffer {
  const command: RemoveContainer = { type: 'remove-container', jobId };
  return encode(command);
}

export function encode(message: PlaceJob | AgentCommand | JobOutcome | LogsReply): Buffer {
  return Buffer.from(JSON.stringify(message));
}

export function decodeJobSpec(value: unknown, field = 'spec'): JobSpec {
  const obj = asObject(value, field);
  const resources = asObject(obj.resources, `${field}.resources`);
  const spec: JobSpec = {
    image: asString(obj.image, `${field}.image`),
    env: asStringMap(obj.env ?? {}, `${field}.env`),
    labels: asStringMap(obj.labels ?? {}, `${field}.labels`),
    resources: {
      cpuMillis: asPositiveInt(resources.cpuMillis, `${field}.resources.cpuMillis`),
      memoryMiB: asPositiveInt(resources.memoryMiB, `${field}.resources.memoryMiB`),
    },
    placementTimeoutSeconds: asNonNegativeInt(obj.placementTimeoutSeconds, `${field}.placementTimeoutSeconds`),
  };
  const name = asOptionalString(obj.name, `${field}.name`);
  if (name !== undefined) {
    spec.name = name;
  }
  if (obj.cmd !== undefined && obj.cmd !== null) {
    spec.cmd = asStringArray(obj.cmd, `${field}.cmd`);
  }
  if (obj.strategy !== undefined) {
    spec.strategy = asOneOf(obj.strategy, STRATEGIES, `${field}.strategy`);
  }
  for (const key of ['constraints', 'affinities', 'volumesFrom', 'links'] as const) {
    if (obj[key] !== undefined) {
      spec[key] = asStringArray(obj[key], `${field}.${key}`);
    }
  }
  if (obj.ports !== undefined) {
    if (!Array.isArray(obj.ports)) {
      throw new MalformedMessage(`${field}.ports must be an array of port numbers`);
    }
    spec.ports = obj.ports.map((port, i) => asPositiveInt(port, `${field}.ports[${i}]`));
  }
  if (obj.reschedule !== undefined) {
    spec.reschedule = asOneOf(obj.reschedule, RESCHEDULE_POLICIES, `${field}.reschedule`);
  }
  const network = asOptionalString(obj.network, `${field}.network`);
  if (network !== undefined) {
    spec.network = network;
  }
  return spec;
}

export function decodePlaceJob(raw: Buffer): PlaceJob {
  const obj = parseJson(raw);
  asOneOf(obj.type, ['place-job'], 'type');
  return {
    type: 'place-job',
    jobId: asString(obj.jobId, 'jobId'),
    spec: decodeJobSpec(obj.spec),
    submittedAt: asString(obj.submittedAt, 'submittedAt'),
    attempt: obj.attempt === undefined ? 0 : asNonNegativeInt(obj.attempt, 'attempt'),
  };
}

export function decodeAgentCommand(raw: Buffer): AgentCommand {
  const obj = parseJson(raw);
  const type = asOneOf(obj.type, ['create-container', 'remove-container', 'fetch-logs'], 'type');
  const jobId = asString(obj.jobId, 'jobId');
  switch (type) {
    case 'create-container':
      return { type, jobId, spec: decodeJobSpec(obj.spec) };
    case 'remove-container':
      return { type, jobId };
    case 'fetch-logs':
      return { type, jobId, tail: asPositiveInt(obj.tail, 'tail') };
  }
}

export function decodeLogsReply(raw: Buffer): LogsReply {
  const obj = parseJson(raw);
  if (obj.ok === true) {
    if (typeof obj.logs !== 'string') {
      throw new MalformedMessage('logs must be a string');
    }
    return { ok: true, logs: obj.logs };
  }
  return { ok: false, error: asString(obj.error, 'error') };
}

export function decodeJobOutcome(raw: Buffer): JobOutcome {
  const obj = parseJson(raw);
  const type = asOneOf(
    obj.type,
    ['container-running', 'container-failed', 'container-removed', 'container-exited', 'image-pulling'],
    'type',
  );
  const jobId = asString(obj.jobId, 'jobId');
  const nodeId = asString(obj.nodeId, 'nodeId');
  switch (type) {
    case 'container-running':
      return { type, jobId, nodeId, containerId: asString(obj.containerId, 'containerId') };
    case 'container-failed':
      return { type, jobId, nodeId, reason: asString(obj.reason, 'reason') };
    case 'container-removed':
      return { type, jobId, nodeId };
    case 'image-pulling': {
      const p = asObject(obj.progress, 'progress');
      const progress: PullProgress = {
        layersDone: asNonNegativeInt(p.layersDone, 'progress.layersDone'),
        layers: asNonNegativeInt(p.layers, 'progress.layers'),
        bytesDone: asNonNegativeInt(p.bytesDone, 'progress.bytesDone'),
        bytesTotal: asNonNegativeInt(p.bytesTotal, 'progress.bytesTotal'),
      };
      return { type, jobId, nodeId, progress };
    }
    case 'container-exited': {
      if (typeof obj.exitCode !== 'number' || !Number.isInteger(obj.exitCode)) {
        throw new MalformedMessage('exitCode must be an integer');
      }
      if (typeof obj.oomKilled !== 'boolean') {
        throw new MalformedMessage('oomKilled must be a boolean');
      }
      return { type, jobId, nodeId, exitCode: obj.exitCode, oomKilled: obj.oomKilled };
    }
  }
}

export { MalformedMessage };
