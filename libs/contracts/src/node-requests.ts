import { JOB_STATUSES } from './job';
import { JOB_SPEC } from './job-spec';
import {
  boolean,
  defaulted,
  integer,
  object,
  objectList,
  oneOf,
  optional,
  required,
  Stored,
  text,
  textList,
  textMap,
} from './schema';
import { contract, decoderOf, kind, MessageOf, namespaceField } from './wire';

/**
 * What an agent asks the control plane about its own host, and the answers. Agents hold no Redis credential: the
 * scheduler keeps every host's books and answers these on the node-requests queue, each only for the host whose
 * agent (by its RabbitMQ user) asks, so one host's credential reads and changes nothing of another's.
 */

const nodeId = required(text({ maxLength: 128 }), 'The host that asks (its agent is the only one allowed to).');
const jobId = required(text({ maxLength: 128 }), 'The job.');
const instance = required(text({ maxLength: 1024 }), "Which agent this is: its machine's boot and Docker endpoint.");
const namespace = namespaceField("The job's namespace.");
const images = required(
  textList({ maxItems: 10_000, maxItemLength: 1024 }),
  'The images the host holds, for `image==` affinities.',
);
const timestamp = (doc: string) => required(text({ maxLength: 64 }), `${doc} (ISO 8601).`);

const NODE_REQUESTS = {
  'claim-node': {
    type: kind('claim-node', 'Take the node id before anything of the host is touched.'),
    nodeId,
    instance,
    conflict: required(text({ maxLength: 1024 }), 'What to record on the host when a live agent holds the id.'),
  },
  'register-node': {
    type: kind('register-node', 'Register the host as restoring (it takes work once its books are rebuilt).'),
    nodeId,
    instance,
    address: required(text({ maxLength: 512 }), 'Where its Docker engine listens.'),
    capacity: required(
      object({
        cpuMillis: required(integer(0, 10_000_000), 'CPU it offers, in millicores.'),
        memoryMiB: required(integer(0, 1_000_000_000), 'Memory it offers, in MiB.'),
      }),
      'What the host offers.',
    ),
    labels: required(
      textMap({
        keyPattern: /^[^\s=,]{1,256}$/,
        keyDescription: 'a label name without spaces, = or ,',
        maxEntries: 512,
        maxValueLength: 1024,
      }),
      'Labels constraints match.',
    ),
    images,
    evidence: required(boolean(), 'The host has seen this cluster before (its containers, an earlier registration).'),
  },
  heartbeat: {
    type: kind('heartbeat', 'The host is alive (stamped with the control plane clock, never the agent).'),
    nodeId,
    instance,
  },
  'set-node-status': {
    type: kind('set-node-status', 'Ready once its books are rebuilt; down when the agent stops.'),
    nodeId,
    status: required(oneOf(['ready', 'down'] as const), 'The new status.'),
  },
  'set-images': { type: kind('set-images', 'The images the host holds now.'), nodeId, images },
  'host-jobs': {
    type: kind('host-jobs', 'The records of jobs whose containers the host holds or that are placed on it.'),
    nodeId,
    jobIds: required(textList({ maxItems: 500, maxItemLength: 128 }), 'The jobs.'),
  },
  'jobs-placed-on': { type: kind('jobs-placed-on', 'The jobs holding a reservation on the host.'), nodeId },
  'release-leak': {
    type: kind('release-leak', "Give back the reservation an ended job still holds on the host's books."),
    nodeId,
    jobId,
  },
  'recompute-books': {
    type: kind('recompute-books', "Set the host's books to the sum of the reservations it holds."),
    nodeId,
  },
  'restore-job': {
    type: kind('restore-job', "Rebuild, from the host's container, the record of a job Redis lost."),
    nodeId,
    jobId,
    namespace,
    spec: required(object(JOB_SPEC), 'The job as its container describes it.'),
    containerId: required(text({ maxLength: 128 }), "Docker's id of the container."),
    containerState: required(oneOf(['running', 'created', 'exited'] as const), 'What Docker says of it.'),
    exitCode: required(integer(-(2 ** 31), 2 ** 31), 'Its exit code (0 unless it ended).'),
    oomKilled: required(boolean(), 'Whether the kernel killed it at its memory limit.'),
    createdAt: timestamp('When Docker created the container'),
    submittedAt: timestamp('When the job was submitted, from its label'),
  },
  'requeue-lost-job': {
    type: kind(
      'requeue-lost-job',
      'A create reached the host after Redis lost its record, before any container: record it queued and place it ' +
        'again, so its capacity is reserved as any placement is.',
    ),
    nodeId,
    jobId,
    namespace,
    spec: required(object(JOB_SPEC), 'The job as the create carried it.'),
    seal: required(
      text({ minLength: 0, maxLength: 64 }),
      "The create's seal: the control plane requeues only a job it sent itself.",
    ),
  },
  'job-dependencies': {
    type: kind('job-dependencies', 'The container names of the jobs a job placed on the host depends on.'),
    nodeId,
    jobId,
  },
} as const;

/** A job as its host may see it: only a job placed on that host shows more than that it exists elsewhere. */
const HOST_JOB = {
  jobId,
  found: required(boolean(), 'Whether a record exists.'),
  onThisHost: defaulted(boolean(), false, 'Whether the job is placed on the host that asks.'),
  status: optional(oneOf(JOB_STATUSES), "The job's status (only for a job on the host)."),
  namespace: optional(text({ maxLength: 63 }), "The job's namespace (only for a job on the host)."),
  spec: optional(object(JOB_SPEC), 'The job (only for a job on the host).'),
  createdAt: optional(text({ maxLength: 64 }), 'When the job was submitted (only for a job on the host).'),
  updatedAt: optional(text({ maxLength: 64 }), 'When its status last changed (only for a job on the host).'),
} as const;

const NODE_REPLIES = {
  claimed: { type: kind('claimed', 'The answer to claim-node.'), claimed: required(boolean(), 'False: refused.') },
  registered: {
    type: kind('registered', 'The answer to register-node.'),
    existed: required(boolean(), 'Whether the host was known.'),
    recoveryStarted: required(boolean(), "Whether this started the pause after Redis lost the cluster's state."),
  },
  beat: {
    type: kind('beat', 'The answer to heartbeat.'),
    beat: required(oneOf(['alive', 'unknown', 'superseded'] as const), 'unknown: register again; superseded: stop.'),
  },
  found: { type: kind('found', 'The host is known.'), found: required(boolean(), 'Whether it is.') },
  'host-jobs': {
    type: kind('host-jobs', 'The answer to host-jobs.'),
    jobs: required(objectList(500, HOST_JOB), 'One per job asked about.'),
  },
  'job-ids': {
    type: kind('job-ids', 'The answer to jobs-placed-on.'),
    jobIds: required(textList({ maxItems: 1_000_000, maxItemLength: 128 }), 'The jobs.'),
  },
  released: { type: kind('released', 'The answer to release-leak.'), released: required(boolean(), 'Freed now.') },
  books: {
    type: kind('books', 'The answer to recompute-books.'),
    cpuMillis: required(integer(0, Number.MAX_SAFE_INTEGER), 'CPU allocated.'),
    memoryMiB: required(integer(0, Number.MAX_SAFE_INTEGER), 'Memory allocated.'),
    containers: required(integer(0, Number.MAX_SAFE_INTEGER), 'Containers placed.'),
  },
  restored: {
    type: kind('restored', 'The answer to restore-job and requeue-lost-job.'),
    outcome: required(oneOf(['restored', 'exists', 'tombstoned'] as const), 'What became of the record.'),
  },
  dependencies: {
    type: kind('dependencies', 'The answer to job-dependencies.'),
    dependencies: required(
      textMap({ keyPattern: /^.{1,128}$/, keyDescription: 'a reference', maxEntries: 256, maxValueLength: 256 }),
      'Reference → container name, for what resolves.',
    ),
  },
  refused: {
    type: kind('refused', 'The request was not carried out.'),
    error: required(text({ maxLength: 4096 }), 'Why.'),
    retryable: defaulted(boolean(), false, 'True when asking again later may work (Redis was away).'),
  },
} as const;

export type NodeRequest = MessageOf<typeof NODE_REQUESTS>;
export type NodeReply = MessageOf<typeof NODE_REPLIES>;
export type HostJob = Stored<typeof HOST_JOB>;

export const decodeNodeRequest = decoderOf(NODE_REQUESTS);
export const decodeNodeReply = decoderOf(NODE_REPLIES);
export const NODE_REQUEST_KINDS = Object.keys(NODE_REQUESTS) as NodeRequest['type'][];

/** Agents' requests, on the node-requests queue: the scheduler answers each over the request's reply-to. */
export const NODE_REQUESTS_QUEUE = contract<NodeRequest>('node requests', NODE_REQUESTS, decodeNodeRequest);
