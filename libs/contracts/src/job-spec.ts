import { collectSwarmExpressions, expressionProblem, LabelArrayError, SwarmExpressions } from '@berth/expressions';
import {
  applyDefaults,
  boolean,
  checkedList,
  decodeObject,
  defaulted,
  defaultOf,
  Input,
  integer,
  integerList,
  object,
  oneOf,
  optional,
  required,
  Stored,
  text,
  textList,
  textMap,
} from './schema';

export const RESCHEDULE_POLICIES = ['no', 'on-node-failure'] as const;
export type ReschedulePolicy = (typeof RESCHEDULE_POLICIES)[number];

export const STRATEGIES = ['spread', 'binpack', 'random'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** Labels Berth puts on every container it creates; user labels may not use the `berth.` prefix. */
export const RESERVED_LABEL_PREFIX = 'berth.';

/**
 * A Docker image reference: [registry[:port]/]path[:tag][@digest], lowercase path components.
 * Checked at submission so a typo fails with a 400, not minutes later on a host.
 */
export const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export const JOB_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** Another job, by name, and what to do with it: `data:ro`, `db:alias`. */
export const DEPENDENCY_REFERENCE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}(?::[a-zA-Z0-9_.-]{1,63})?$/;

/** Placement expressions a job may carry in each of its lists. */
const MAX_EXPRESSIONS = 32;

const expressionList = (examples: readonly string[]) =>
  checkedList({ maxItems: MAX_EXPRESSIONS, items: 'expressions', examples, problem: expressionProblem });

/**
 * The capabilities a job may add back after every container drops them all: Docker's default set without those
 * that reach past the container (NET_RAW spoofs packets, MKNOD makes devices, SETFCAP and SETPCAP hand out
 * capabilities, AUDIT_WRITE writes the host's audit log, SYS_CHROOT helps escapes).
 */
export const ALLOWED_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'NET_BIND_SERVICE',
  'SETGID',
  'SETUID',
] as const;

function capabilityProblem(name: string): string | null {
  return (ALLOWED_CAPABILITIES as readonly string[]).includes(name)
    ? null
    : `${name} is not a capability a job may add (allowed: ${ALLOWED_CAPABILITIES.join(', ')})`;
}

/** Processes a container may run at once unless the job says otherwise; the agent caps it (BERTH_MAX_PIDS). */
export const DEFAULT_PIDS_LIMIT = 512;

const RESOURCES = {
  cpuMillis: defaulted(
    integer(1, 1_024_000),
    250,
    'Thousandths of a CPU core the job needs: a request, given to Docker as a relative weight.',
  ),
  memoryMiB: defaulted(
    integer(6, 16 * 1024 * 1024),
    64,
    "Memory limit in MiB: a hard limit, no swap beyond it. Docker's floor is 6 MiB.",
  ),
};

/**
 * Every field of a job, once: its type, bounds, default and meaning. The HTTP validation, the wire decoder, the
 * job view and the rebuild from a container all read this; `containerConfigFor` (@berth/container) maps it to
 * Docker and must name every field (the compiler checks).
 */
export const JOB_SPEC = {
  image: required(
    text({
      maxLength: 255,
      pattern: IMAGE_REFERENCE,
      message: 'must be a Docker image reference such as berth/busybox:latest',
    }),
    'The Docker image to run: [registry[:port]/]path[:tag][@sha256:digest].',
  ),
  name: optional(
    text({
      maxLength: 63,
      pattern: JOB_NAME,
      message: 'must be 1-63 letters, digits, _ . -, starting with a letter or digit',
    }),
    'Unique within its namespace while the job exists; other jobs of the namespace refer to it by this name.',
  ),
  cmd: optional(
    textList({ maxItems: 256, maxItemLength: 4096 }),
    "The command and its arguments; the image's own when absent.",
  ),
  entrypoint: optional(
    textList({ maxItems: 256, maxItemLength: 4096 }),
    `Docker's Entrypoint, which cmd is appended to; the image's own when absent, and [""] clears it.`,
  ),
  user: optional(
    text({
      maxLength: 65,
      pattern: /^(?:[a-z_][a-z0-9_-]{0,31}|[0-9]{1,10})(?::(?:[a-z_][a-z0-9_-]{0,31}|[0-9]{1,10}))?$/,
      message: 'must be user, uid, user:group or uid:gid',
    }),
    "The user the command runs as (Docker's User); the image's own when absent.",
  ),
  readOnlyRootFilesystem: optional(boolean(), "Mount the container's root filesystem read-only."),
  capAdd: optional(
    checkedList({
      maxItems: ALLOWED_CAPABILITIES.length,
      items: 'capabilities',
      examples: ALLOWED_CAPABILITIES,
      problem: capabilityProblem,
    }),
    'Capabilities to add back (every container drops all of them first); only those of the allow-list.',
  ),
  // Optional rather than defaulted, so specs stored and queued before the field existed still decode.
  pidsLimit: optional(
    integer(16, 4_194_304),
    `How many processes the container may run at once: ${DEFAULT_PIDS_LIMIT} when absent; the host caps it at BERTH_MAX_PIDS.`,
  ),
  workingDir: optional(
    text({ maxLength: 4096, pattern: /^\/.*$/, message: 'must be an absolute path such as /app' }),
    "The directory the command runs in; the image's own when absent.",
  ),
  env: defaulted(
    textMap({
      // `constraint:` and `affinity:` entries are Swarm's placement expressions; they never reach the container.
      keyPattern: /^(?:(?:constraint|affinity):)?[A-Za-z_][A-Za-z0-9_.-]{0,255}!?$/,
      keyDescription: 'a valid environment variable name',
      maxEntries: 256,
      maxValueLength: 32 * 1024,
    }),
    {},
    'Environment variables of the container.',
  ),
  labels: defaulted(
    textMap({
      keyPattern: /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,254}$/,
      keyDescription: 'a valid label key',
      maxEntries: 128,
      maxValueLength: 4096,
      reservedPrefix: RESERVED_LABEL_PREFIX,
    }),
    {},
    'Labels of the container; affinities match them. The berth. prefix is reserved.',
  ),
  resources: defaulted(object(RESOURCES), {}, 'What the job needs on its host; the scheduler books it there.'),
  strategy: optional(
    oneOf(STRATEGIES),
    "How to rank hosts: spread, binpack or random; the scheduler's default when absent.",
  ),
  constraints: optional(
    expressionList(['zone==a', 'node!=~h1', 'disk==/ssd|nvme/']),
    'Swarm expressions on host attributes: zone==a, node!=h1, disk==~ssd (soft).',
  ),
  affinities: optional(
    expressionList(['container==web', 'image==redis*', 'team!=~ops']),
    'Swarm expressions on what runs on a host: container==web, image==redis*, team!=ops.',
  ),
  ports: optional(
    integerList({ maxItems: 64, min: 1, max: 65535, unique: true, message: 'must be between 1 and 65535' }),
    'Host ports the container binds; no two jobs on a host share one.',
  ),
  volumesFrom: optional(
    textList({
      maxItems: 16,
      maxItemLength: 127,
      pattern: DEPENDENCY_REFERENCE,
      message: 'must look like name or name:ro',
    }),
    'Jobs (by name) whose volumes this one mounts: data or data:ro. Places the job beside them.',
  ),
  links: optional(
    textList({
      maxItems: 16,
      maxItemLength: 127,
      pattern: DEPENDENCY_REFERENCE,
      message: 'must look like name or name:alias',
    }),
    'Jobs (by name) this one links to: db or db:alias. Places the job beside them.',
  ),
  network: optional(
    text({
      maxLength: 73,
      pattern: /^container:[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/,
      message: 'must be container:<job name>',
    }),
    "Only container:<job name>: share that job's network namespace (and its host).",
  ),
  placementTimeoutSeconds: defaulted(
    integer(0, 86_400),
    300,
    'How long the job may wait for room before it becomes unschedulable; 0 to fail at once.',
  ),
  reschedule: optional(
    oneOf(RESCHEDULE_POLICIES),
    "Swarm's reschedule policy: on-node-failure moves the job when its host is down or drained.",
  ),
} as const;

/** What a user asks Berth to run, after validation and defaults. */
export type JobSpec = Stored<typeof JOB_SPEC>;
/** A job as a client writes it in POST /v1/jobs: only `image` is required. */
export type JobRequest = Input<typeof JOB_SPEC>;
export type Resources = JobSpec['resources'];
export type JobSpecField = keyof typeof JOB_SPEC;

/** The fields of a job, in the schema's order. */
export const JOB_SPEC_FIELDS = Object.keys(JOB_SPEC) as JobSpecField[];

/** Defaults for a job that does not say what it needs. */
export const DEFAULT_RESOURCES: Readonly<Resources> = Object.freeze(defaultOf(JOB_SPEC.resources));
export const DEFAULT_PLACEMENT_TIMEOUT_SECONDS = defaultOf(JOB_SPEC.placementTimeoutSeconds);

/** A field of a request that cannot become a job: the gateway answers 400 naming `field`. */
export class InvalidJobField extends Error {
  override readonly name = 'InvalidJobField';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The job as Berth stores it, from a request that passed the schema's checks: defaults applied, and Swarm's
 * `constraint:`/`affinity:` env entries and `com.docker.swarm.*` labels folded into the expression lists (they
 * never reach the container). Throws InvalidJobField naming `env` or `labels` when an expression found there is
 * not valid.
 */
export function jobSpecFrom(request: JobRequest): JobSpec {
  // Each source is read on its own, so an invalid expression is reported against the field it came from.
  const fromEnv = collectSwarmExpressions({}, request.env ?? {}, {});
  let fromLabels: SwarmExpressions;
  try {
    fromLabels = collectSwarmExpressions({}, {}, request.labels ?? {});
  } catch (err) {
    if (err instanceof LabelArrayError) {
      throw new InvalidJobField('labels', err.message);
    }
    throw err;
  }
  checkExpressions('env', fromEnv);
  checkExpressions('labels', fromLabels);
  const constraints = [...(request.constraints ?? []), ...fromEnv.constraints, ...fromLabels.constraints];
  const affinities = [...(request.affinities ?? []), ...fromEnv.affinities, ...fromLabels.affinities];
  return applyDefaults(JOB_SPEC, {
    ...request,
    env: fromEnv.env,
    labels: fromLabels.labels,
    constraints: constraints.length > 0 ? constraints : undefined,
    affinities: affinities.length > 0 ? affinities : undefined,
  });
}

function checkExpressions(field: 'env' | 'labels', found: SwarmExpressions): void {
  for (const [kind, list] of [
    ['constraint', found.constraints],
    ['affinity', found.affinities],
  ] as const) {
    for (const expression of list) {
      const problem = expressionProblem(expression);
      if (problem !== null) {
        throw new InvalidJobField(field, `${field} ${kind} ${problem}`);
      }
    }
  }
}

/** A job spec from the wire (a message, a container's label); throws MalformedMessage naming the field. */
export function decodeJobSpec(value: unknown, path = 'spec'): JobSpec {
  return decodeObject(JOB_SPEC, value, path);
}

/** The jobs that tie a job to a host, by name: volumes it borrows, containers it links to or shares a network with. */
export function dependenciesOf(spec: Pick<JobSpec, 'volumesFrom' | 'links' | 'network'>): string[] {
  const names = new Set<string>();
  for (const entry of spec.volumesFrom ?? []) {
    names.add(entry.split(':')[0]);
  }
  for (const entry of spec.links ?? []) {
    names.add(entry.split(':')[0]);
  }
  if (spec.network?.startsWith('container:')) {
    names.add(spec.network.slice('container:'.length));
  }
  return [...names];
}
