import { MalformedMessage } from './decode';
import { IMAGE_REFERENCE, JOB_SPEC } from './job-spec';
import { boolean, defaulted, integer, object, optional, required, text, textList } from './schema';
import { MAX_REPLICAS } from './job-group';
import { contract, decoderOf, kind, MessageOf, namespaceField, QueueContract } from './wire';
import type { NodeReply, NodeRequest } from './node-requests';

/**
 * Every message on the wire, one schema each. A decoder refuses what its schema does not describe (a wrong type, a
 * missing field, a field it does not know), so such a message is dead-lettered with the reason instead of being
 * acted on half-read.
 */

const jobId = required(text({ maxLength: 128 }), 'The job the message is about.');
const nodeId = required(text({ maxLength: 128 }), 'The host that reports.');
const spec = required(object(JOB_SPEC), 'The job as stored.');
const namespace = namespaceField("The job's namespace: its dependencies resolve only there.");
const count = (doc: string) => required(integer(0, Number.MAX_SAFE_INTEGER), doc);

/** A moment on the wire, in microseconds since the epoch: the per-hop timestamps of a job's trace. */
export function traceNow(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

const hop = (doc: string) => optional(integer(0, Number.MAX_SAFE_INTEGER), doc);

/**
 * Where a job's time goes, hop by hop (microseconds since the epoch, see traceNow): set by each service as the
 * job passes, carried from the job's message to its host's create. Only for measuring; nothing decides by it.
 */
const trace = optional(
  object({
    acceptedUs: hop('The gateway accepted the job: its record is written and its message is being published.'),
    consumedUs: hop('A scheduler took the delivery.'),
    reservedUs: hop("The job's reservation was taken on its host."),
    dispatchedUs: hop("The create was handed to the broker for the host's queue."),
  }),
  'Per-hop timestamps, for measuring where the time between submission and placement goes.',
);

/** The most of a container's output one logs request returns (its end), and what it returns unless told. */
export const LOGS_MAX_BYTES = 8 * 1024 * 1024;
export const LOGS_DEFAULT_BYTES = 1024 * 1024;
/** The most output one logs message carries: a tail travels as many small messages, never one big one. */
export const LOGS_CHUNK_BYTES = 64 * 1024;
/** The most entries (lines) from the end one logs request may ask for. */
export const LOGS_MAX_TAIL = 10_000;

/** Gateway → scheduler, on the jobs queue. */
const JOBS_MESSAGES = {
  'place-job': {
    type: kind('place-job', 'A job to place.'),
    jobId,
    namespace,
    spec,
    submittedAt: required(text({ maxLength: 64 }), 'When the job was submitted (ISO 8601).'),
    attempt: defaulted(
      integer(0, 1_000_000),
      0,
      "The job's placement try this message carries: a copy older than the job's current one is dropped.",
    ),
    gang: optional(
      object({
        id: required(text({ maxLength: 64 }), 'The group.'),
        members: required(textList({ maxItems: MAX_REPLICAS, maxItemLength: 64 }), 'Its jobs, this one first.'),
      }),
      'On the first job of an all-or-nothing group: the group, so its records can be rebuilt if Redis loses them.',
    ),
    trace,
  },
} as const;

/** Scheduler or gateway → agent, on the host's own queue. */
const NODE_MESSAGES = {
  'create-container': {
    type: kind('create-container', "Create and start the job's container."),
    jobId,
    namespace,
    spec,
    seal: defaulted(
      text({ minLength: 0, maxLength: 64, pattern: /^([0-9a-f]{64})?$/ }),
      '',
      "The scheduler's seal on this create (see sealOf): shown again if the job's record must be rebuilt.",
    ),
    trace,
  },
  'remove-container': {
    type: kind('remove-container', "Stop and remove the job's container."),
    jobId,
  },
  'fetch-logs': {
    type: kind('fetch-logs', "A request (reply-to): the container's recent output."),
    jobId,
    tail: required(integer(1, LOGS_MAX_TAIL), 'Lines from the end.'),
    limitBytes: required(integer(1, LOGS_MAX_BYTES), 'Of those lines, at most this many bytes, from the end.'),
    stdout: defaulted(boolean(), true, 'Include what the container wrote to stdout.'),
    stderr: defaulted(boolean(), true, 'Include what the container wrote to stderr.'),
    since: defaulted(
      text({ minLength: 0, maxLength: 32, pattern: /^(\d{1,12}(\.\d{1,9})?)?$/ }),
      '',
      "Only what was written from then on (unix seconds, fraction allowed; '' for all).",
    ),
    timestamps: defaulted(boolean(), false, "Prefix each entry with Docker's RFC 3339 timestamp."),
    framed: defaulted(
      boolean(),
      false,
      "Keep Docker's multiplexed frames (8-byte header per entry), base64 in each chunk's data: the Engine API's form.",
    ),
  },
  'stop-container': {
    type: kind('stop-container', 'A request (reply-to): stop the container, as `docker stop`.'),
    jobId,
    timeoutSeconds: required(integer(0, 600), 'Seconds between SIGTERM and SIGKILL.'),
  },
  'restart-container': {
    type: kind('restart-container', 'A request (reply-to): stop and start the container again, as `docker restart`.'),
    jobId,
    timeoutSeconds: required(integer(0, 600), 'Seconds between SIGTERM and SIGKILL.'),
  },
  'kill-container': {
    type: kind('kill-container', "A request (reply-to): signal the container's main process, as `docker kill`."),
    jobId,
    signal: required(
      text({
        maxLength: 16,
        pattern: /^(SIG)?[A-Z0-9+-]{1,12}$|^\d{1,2}$/,
        message: 'must be a signal name or number',
      }),
      'SIGTERM, KILL, 9, ...',
    ),
  },
  'inspect-container': {
    type: kind('inspect-container', "A request (reply-to): Docker's inspect of the container."),
    jobId,
  },
  'pull-image': {
    type: kind('pull-image', 'A request (reply-to): pull an image onto the host, answered with its progress.'),
    image: required(
      text({ maxLength: 512, pattern: IMAGE_REFERENCE, message: 'must be an image reference' }),
      'What to pull.',
    ),
  },
} as const;

/** The commands that ask for an answer (reply-to): answered at once, never handed over or retried later. */
export const HOST_REQUEST_KINDS = [
  'fetch-logs',
  'stop-container',
  'kill-container',
  'restart-container',
  'inspect-container',
  'pull-image',
] as const;

/** Agent → scheduler, on the outcomes queue: what happened to a job on a host. */
const OUTCOME_MESSAGES = {
  'container-running': {
    type: kind('container-running', 'The container runs.'),
    jobId,
    nodeId,
    containerId: required(text({ maxLength: 128 }), "Docker's id of the container."),
  },
  'container-failed': {
    type: kind('container-failed', 'Docker refused the job, or the container vanished.'),
    jobId,
    nodeId,
    reason: required(text({ maxLength: 64 * 1024 }), "Why, in Docker's words where it said."),
  },
  'container-removed': {
    type: kind('container-removed', 'The container is gone from the host.'),
    jobId,
    nodeId,
  },
  'image-pulling': {
    type: kind('image-pulling', "The host is pulling the job's image."),
    jobId,
    nodeId,
    progress: required(
      object({
        layersDone: count('Layers downloaded.'),
        layers: count('Layers seen so far.'),
        bytesDone: count('Bytes downloaded.'),
        bytesTotal: count('Bytes of the layers whose size is known so far.'),
      }),
      'How far the pull has got.',
    ),
  },
  'container-exited': {
    type: kind('container-exited', 'Docker reported the container ended: its own exit, a crash, or the OOM killer.'),
    jobId,
    nodeId,
    exitCode: required(integer(-(2 ** 31), 2 ** 31), "The container's exit code."),
    oomKilled: required(boolean(), 'Whether the kernel killed it at its memory limit.'),
  },
} as const;

/** Agent → gateway, the replies to fetch-logs: the output in chunks, in order, or why there is none. */
const LOGS_REPLIES = {
  'logs-chunk': {
    type: kind('logs-chunk', "A piece of the container's recent output."),
    seq: count('Its place among the chunks, from 0.'),
    data: required(text({ minLength: 0, maxLength: LOGS_CHUNK_BYTES }), 'stdout and stderr, interleaved.'),
    droppedBytes: count('Bytes of the asked lines left out at the front, to stay within limitBytes.'),
    last: required(boolean(), 'Whether this chunk ends the output.'),
  },
  'logs-unavailable': {
    type: kind('logs-unavailable', 'The host could not read them.'),
    error: required(text({ maxLength: 64 * 1024 }), "Docker's answer."),
  },
} as const;

/** Agent → gateway, the replies to pull-image: Docker's progress events, in order, then how it ended. */
const PULL_REPLIES = {
  'pull-progress': {
    type: kind('pull-progress', "One of Docker's progress events."),
    seq: count('Its place among the replies, from 0.'),
    status: required(text({ minLength: 0, maxLength: 256 }), 'Pulling fs layer, Downloading, Pull complete, ...'),
    layer: defaulted(text({ minLength: 0, maxLength: 128 }), '', 'The layer it is about, if any.'),
    progress: defaulted(text({ minLength: 0, maxLength: 256 }), '', "Docker's progress bar text, if any."),
  },
  'pull-done': {
    type: kind('pull-done', 'The image is on the host.'),
    seq: count('Its place among the replies, from 0.'),
  },
  'pull-failed': {
    type: kind('pull-failed', 'Docker could not pull it.'),
    seq: count('Its place among the replies, from 0.'),
    error: required(text({ maxLength: 64 * 1024 }), "Docker's answer."),
  },
} as const;

/** Agent → gateway, the replies to stop-, kill- and inspect-container. */
const CONTAINER_REPLIES = {
  'container-done': {
    type: kind('container-done', 'Done.'),
    changed: required(boolean(), 'False when there was nothing to do (already stopped).'),
  },
  'container-inspect': {
    type: kind('container-inspect', "Docker's inspect of the container."),
    inspect: required(text({ maxLength: 1024 * 1024 }), 'As Docker answered it, JSON.'),
  },
  'container-refused': {
    type: kind('container-refused', 'Docker said no, or the host could not ask it.'),
    status: required(integer(400, 599), "Docker's status (404: no such container, 409: not running, ...)."),
    error: required(text({ maxLength: 64 * 1024 }), "Docker's answer."),
  },
} as const;

export type PlaceJob = MessageOf<typeof JOBS_MESSAGES>;
export type JobTrace = NonNullable<PlaceJob['trace']>;
export type AgentCommand = MessageOf<typeof NODE_MESSAGES>;
export type CreateContainer = Extract<AgentCommand, { type: 'create-container' }>;
export type RemoveContainer = Extract<AgentCommand, { type: 'remove-container' }>;
export type FetchLogs = Extract<AgentCommand, { type: 'fetch-logs' }>;
export type HostRequest = Extract<AgentCommand, { type: (typeof HOST_REQUEST_KINDS)[number] }>;
/** What changes a host's containers for the scheduler's books: handed over when slow, retried when it fails. */
export type HostCommand = Exclude<AgentCommand, HostRequest>;
export type ContainerRequest = Exclude<HostRequest, FetchLogs | { type: 'pull-image' }>;
export type ContainerReply = MessageOf<typeof CONTAINER_REPLIES>;
export type PullImage = Extract<AgentCommand, { type: 'pull-image' }>;
export type PullReply = MessageOf<typeof PULL_REPLIES>;
/** What an agent answers the gateway's requests with. */
export type HostReply = LogsReply | ContainerReply | PullReply;
export type JobOutcome = MessageOf<typeof OUTCOME_MESSAGES>;
export type LogsReply = MessageOf<typeof LOGS_REPLIES>;
export type PullProgress = Extract<JobOutcome, { type: 'image-pulling' }>['progress'];

/** Anything Berth puts on a queue. */
export type WireMessage = PlaceJob | AgentCommand | JobOutcome | HostReply | NodeRequest | NodeReply;

export const decodePlaceJob = decoderOf(JOBS_MESSAGES);
export const decodeAgentCommand = decoderOf(NODE_MESSAGES);
export const decodeJobOutcome = decoderOf(OUTCOME_MESSAGES);
export const decodeLogsReply = decoderOf(LOGS_REPLIES);
export const decodeContainerReply = decoderOf(CONTAINER_REPLIES);
export const decodePullReply = decoderOf(PULL_REPLIES);

export function encode(message: WireMessage): Buffer {
  return Buffer.from(JSON.stringify(message));
}

/** A delivery of the dead-letter queue: whatever body it has (the consumer reads it raw). */
export interface DeadLetterDelivery {
  type: 'dead-letter';
}

export const JOBS_QUEUE = contract<PlaceJob>('jobs', JOBS_MESSAGES, decodePlaceJob);
export const NODE_QUEUE = contract<AgentCommand>('host commands', NODE_MESSAGES, decodeAgentCommand);
export const OUTCOMES_QUEUE = contract<JobOutcome>('outcomes', OUTCOME_MESSAGES, decodeJobOutcome);
export const DEAD_LETTERS_QUEUE: QueueContract<DeadLetterDelivery> = {
  name: 'dead letters',
  kinds: ['dead-letter'],
  decode: () => ({ type: 'dead-letter' }),
};

export { MalformedMessage };
export type { QueueContract };
