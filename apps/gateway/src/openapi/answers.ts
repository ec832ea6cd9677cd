import {
  DEAD_LETTER_KINDS,
  EVENT_TYPES,
  JOB_SPEC,
  JOB_STATUSES,
  NODE_STATUSES,
  QUEUE_ROLES,
  SCOPES,
} from '@berth/contracts';
import { openApiFieldOf, SchemaObject } from './schema-openapi';

/**
 * What the API answers, as OpenAPI component schemas (requests come from their DTOs). Enumerations and the job's
 * own fields are read from @berth/contracts, so they cannot drift from what the gateway sends.
 */

const ref = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` }) as SchemaObject;
const string: SchemaObject = { type: 'string' };
const nullableString: SchemaObject = { type: 'string', nullable: true };
const integer: SchemaObject = { type: 'integer' };
const time: SchemaObject = { type: 'string', format: 'date-time' };
const stringMap: SchemaObject = { type: 'object', additionalProperties: { type: 'string' } };
const resources: SchemaObject = {
  type: 'object',
  properties: { cpuMillis: integer, memoryMiB: integer },
  required: ['cpuMillis', 'memoryMiB'],
};
const object = (properties: Record<string, SchemaObject>, optional: readonly string[] = []): SchemaObject => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((name) => !optional.includes(name)),
});
const list = (item: string, extra: Record<string, SchemaObject> = {}): SchemaObject =>
  object({ items: { type: 'array', items: ref(item) }, count: integer, ...extra });

/** What a dead letter and its summary in a listing share (the letter adds its body and headers). */
const DEAD_LETTER_FIELDS: Record<string, SchemaObject> = {
  id: string,
  queue: nullableString,
  reason: string,
  kind: { type: 'string', enum: [...DEAD_LETTER_KINDS] },
  at: time,
  storedAt: time,
  bodyEncoding: { type: 'string', enum: ['utf8', 'base64'] },
  bodyBytes: integer,
  bodyTruncated: { type: 'boolean' },
  messageId: nullableString,
};

const VERDICT = object({ node: string, fits: { type: 'boolean' }, reasons: { type: 'array', items: string } });

/** A job's spec fields as the job view shows them: each one, null where the job does not say. */
const specFields = Object.fromEntries(
  Object.entries(JOB_SPEC).map(([name, field]) => [name, { ...openApiFieldOf(field), nullable: true }]),
);

export const ANSWER_SCHEMAS = {
  Problem: {
    ...object(
      {
        type: { type: 'string', format: 'uri' },
        title: string,
        status: integer,
        detail: string,
        errors: {
          type: 'array',
          description: 'The wrong fields, by dotted path (resources.memoryMiB), each with what is wrong.',
          items: object({ field: string, message: string }),
        },
        correlationId: string,
      },
      ['errors', 'correlationId'],
    ),
    description: 'RFC 9457 problem details: every error the API answers.',
  },
  Job: object({
    id: string,
    namespace: string,
    status: { type: 'string', enum: [...JOB_STATUSES] },
    ...specFields,
    node: nullableString,
    containerId: nullableString,
    reason: nullableString,
    exitCode: { type: 'integer', nullable: true },
    progress: {
      ...object({ layersDone: integer, layers: integer, bytesDone: integer, bytesTotal: integer }),
      nullable: true,
      description: "How far the host's image pull has got, while the job is pulling.",
    },
    verdicts: {
      type: 'array',
      nullable: true,
      items: VERDICT,
      description: 'While the job waits for room: the hosts at its last try, the closest fits first (at most 10).',
    },
    group: { ...nullableString, description: 'The group it was created in (replicas), if any.' },
    createdAt: time,
    updatedAt: time,
    history: { type: 'array', items: object({ status: { type: 'string', enum: [...JOB_STATUSES] }, at: time }) },
  }),
  JobAccepted: object({ id: string, status: { type: 'string', enum: ['queued'] } }),
  JobPage: list('Job', { next: { ...nullableString, description: 'The cursor of the next page; null at the end.' } }),
  Group: object({
    id: string,
    namespace: string,
    name: nullableString,
    allOrNothing: { type: 'boolean' },
    replicas: integer,
    members: { type: 'array', items: string },
    createdAt: time,
    counts: {
      type: 'object',
      additionalProperties: integer,
      description: 'Jobs by status (and `expired` for those already gone).',
    },
    jobs: {
      type: 'array',
      items: object({
        id: string,
        name: nullableString,
        status: { type: 'string', enum: [...JOB_STATUSES, 'expired'] },
        node: nullableString,
      }),
    },
  }),
  PlacementPreview: object({
    dryRun: { type: 'boolean', enum: [true] },
    node: { ...nullableString, description: 'Where the job would go now; null when no host would take it.' },
    explanation: nullableString,
    copies: { ...integer, description: 'How many copies the hosts would take now, up to 10,000.' },
    hosts: integer,
    verdicts: { type: 'array', items: VERDICT },
  }),
  JobEvent: object({
    id: string,
    at: time,
    type: { type: 'string', enum: ['job'] },
    job: string,
    namespace: string,
    status: { type: 'string', enum: [...JOB_STATUSES] },
    node: nullableString,
    reason: nullableString,
  }),
  JobEvents: list('JobEvent', { complete: { type: 'boolean' } }),
  Event: {
    oneOf: [
      ref('JobEvent'),
      object({
        id: string,
        at: time,
        type: { type: 'string', enum: ['node'] },
        node: string,
        status: { type: 'string', enum: [...NODE_STATUSES] },
        schedulable: { type: 'boolean' },
        drain: { type: 'string', enum: ['none', 'draining', 'drained'] },
      }),
    ],
    description: `The data of one SSE frame; the frame's event is its type (${EVENT_TYPES.join(', ')}), or gap.`,
  },
  Node: object({
    id: string,
    address: string,
    status: { type: 'string', enum: [...NODE_STATUSES] },
    schedulable: { type: 'boolean' },
    drain: { type: 'string', enum: ['none', 'draining', 'drained'] },
    conflict: nullableString,
    capacity: resources,
    allocated: resources,
    labels: stringMap,
    containers: integer,
    heartbeatAt: time,
    registeredAt: time,
  }),
  NodeList: list('Node'),
  AgentEnvironment: object({
    nodeId: string,
    user: string,
    env: stringMap,
    envFile: { ...string, description: 'The same as the lines of an environment file (mode 0600).' },
  }),
  Queues: object({
    items: {
      type: 'array',
      items: object({
        name: string,
        role: { type: 'string', enum: [...QUEUE_ROLES] },
        messages: { type: 'integer', nullable: true },
        ready: { type: 'integer', nullable: true },
        unacked: { type: 'integer', nullable: true },
        consumers: { type: 'integer', nullable: true },
        publishRate: { type: 'number', nullable: true },
        deliverRate: { type: 'number', nullable: true },
      }),
    },
    deadLetters: integer,
  }),
  DeadLetter: object({ ...DEAD_LETTER_FIELDS, body: string, headers: { type: 'object', additionalProperties: true } }, [
    'headers',
  ]),
  DeadLetterSummary: object({ ...DEAD_LETTER_FIELDS, preview: string }),
  DeadLetterPage: list('DeadLetterSummary', { total: integer }),
  DeadLetterRetried: object({
    id: string,
    action: { type: 'string', enum: ['republished'] },
    queue: string,
    bodyBytes: integer,
    deleted: { type: 'boolean', enum: [true] },
  }),
  Token: object({
    id: string,
    name: string,
    namespace: string,
    scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] } },
    createdAt: time,
    expiresAt: { ...time, nullable: true },
  }),
  NewToken: {
    allOf: [ref('Token'), object({ token: { ...string, description: 'The secret: shown this once.' } })],
  },
  TokenList: list('Token'),
  WhoAmI: object({
    tokenId: string,
    namespace: string,
    scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] } },
  }),
  Health: object({ status: { type: 'string', enum: ['ok'] } }),
  Readiness: object({
    status: { type: 'string', enum: ['ready'] },
    rabbitmq: { type: 'string', enum: ['up'] },
    redis: { type: 'string', enum: ['up'] },
    recovery: { ...object({ placementPausedForMs: integer }), nullable: true },
  }),
} satisfies Record<string, SchemaObject>;

export type AnswerName = keyof typeof ANSWER_SCHEMAS;
