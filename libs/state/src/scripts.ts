import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';

/**
 * Berth's Lua scripts: each checks and changes in one step inside Redis, so concurrent schedulers and agents
 * never interleave inside them and no process-wide lock is needed. Each lives in `lua/<name>.lua`; this file
 * declares its keys and arguments by name, in order. The loader binds them as `KEY.<name>` and `ARG.<name>` in
 * Lua, so a script and its caller cannot disagree about positions, and every key a script touches is one it was
 * given in KEYS (a test runs every script under an ACL that allows only those).
 */

/**
 * Shared Lua functions, in `lua/lib/`, in the order a script includes them: a helper may call those before it (a Lua
 * local is visible only after its definition).
 */
const HELPERS = [
  'server-clock',
  'set-status',
  'host-changed',
  'take',
  'give-back',
  'retention',
  'events',
  'new-job',
  'host-fits',
] as const;
type Helper = (typeof HELPERS)[number];

export interface ScriptDefinition<K extends string = string, A extends string = string, R = unknown> {
  readonly name: string;
  readonly keys: readonly K[];
  /** A trailing list of keys of any length, bound as the Lua list `KEY.<rest>`. */
  readonly restKeys?: string;
  readonly args: readonly A[];
  readonly uses: readonly Helper[];
  /** The script's result, as Redis returns it (a type only). */
  readonly __result?: R;
}

function define<R>() {
  return <K extends string, A extends string>(definition: {
    name: string;
    keys: readonly K[];
    restKeys?: string;
    args: readonly A[];
    uses?: readonly Helper[];
  }): ScriptDefinition<K, A, R> => ({ uses: [], ...definition });
}

const HOST_KEYS = ['node', 'workloads', 'ports', 'changes'] as const;

export const SCRIPTS = {
  reserveCapacity: define<[string, string, string?]>()({
    name: 'reserve-capacity',
    keys: [...HOST_KEYS, 'reservation', 'job', 'events'],
    args: [
      'nodeId',
      'cpuMillis',
      'memoryMiB',
      'timeoutMs',
      'nowIso',
      'slots',
      'ports',
      'workload',
      'schedule',
      'jobId',
    ],
    uses: ['set-status', 'host-changed', 'take', 'server-clock', 'events', 'host-fits'],
  }),
  reserveGroup: define<string[]>()({
    name: 'reserve-group',
    keys: ['events', 'changes'],
    restKeys: 'members',
    args: ['members', 'timeoutMs', 'nowIso'],
    uses: ['set-status', 'host-changed', 'take', 'server-clock', 'events', 'host-fits'],
  }),
  releaseCapacity: define<number>()({
    name: 'release-capacity',
    keys: [...HOST_KEYS, 'reservation'],
    args: ['jobId', 'nodeId', 'expectNode'],
    uses: ['host-changed', 'give-back'],
  }),
  transitionJob: define<[string, string]>()({
    name: 'transition-job',
    keys: ['job', 'name', 'expiring', 'events'],
    args: ['status', 'nowIso', 'allowedFrom', 'fields', 'expectNode', 'name'],
    uses: ['set-status', 'server-clock', 'retention', 'events'],
  }),
  createJob: define<[string, string]>()({
    name: 'create-job',
    keys: ['job', 'index', 'name', 'idempotency', 'events'],
    args: [
      'id',
      'namespace',
      'spec',
      'name',
      'nowIso',
      'nowMs',
      'history',
      'idempotencyKey',
      'fingerprint',
      'keyLifetimeSeconds',
    ],
    uses: ['events', 'new-job'],
  }),
  createGroup: define<[string, string]>()({
    name: 'create-group',
    keys: ['index', 'idempotency', 'events', 'group'],
    restKeys: 'members',
    args: [
      'groupId',
      'groupName',
      'namespace',
      'allOrNothing',
      'members',
      'nowIso',
      'nowMs',
      'history',
      'idempotencyKey',
      'fingerprint',
      'keyLifetimeSeconds',
    ],
    uses: ['events', 'new-job'],
  }),
  expireJob: define<string>()({
    name: 'expire-job',
    keys: [
      ...HOST_KEYS,
      'job',
      'index',
      'expiring',
      'waiting',
      'reservation',
      'name',
      'idempotency',
      'tombstone',
      'group',
    ],
    args: ['jobId', 'nodeId', 'name', 'idempotencyKey', 'group', 'retentionMs', 'tombstoneSeconds'],
    uses: ['server-clock', 'host-changed', 'give-back', 'retention'],
  }),
  takeBackJob: define<number>()({
    name: 'take-back-job',
    keys: [...HOST_KEYS, 'job', 'index', 'tombstone', 'reservation', 'name'],
    args: ['jobId', 'nodeId', 'hasName'],
    uses: ['host-changed', 'give-back'],
  }),
  markAccepted: define<number>()({ name: 'mark-accepted', keys: ['job'], args: [] }),
  rescheduleJob: define<number>()({
    name: 'reschedule-job',
    keys: [...HOST_KEYS, 'job', 'reservation', 'waiting', 'events'],
    args: ['jobId', 'nodeId', 'nowIso', 'reason', 'graceMs'],
    uses: ['set-status', 'host-changed', 'give-back', 'server-clock', 'events'],
  }),
  recomputeBooks: define<[number, number, number]>()({
    name: 'recompute-books',
    keys: HOST_KEYS,
    restKeys: 'reservations',
    args: ['nodeId', 'jobIds'],
    uses: ['host-changed'],
  }),
  registerNode: define<[number, number]>()({
    name: 'register-node',
    keys: ['node', 'index', 'epoch', 'recovery', 'events', 'changes'],
    args: [
      'id',
      'address',
      'cpuMillis',
      'memoryMiB',
      'labels',
      'nowIso',
      'instance',
      'images',
      'evidence',
      'recoveryWindowMs',
      'newEpoch',
    ],
    uses: ['server-clock', 'events', 'host-changed'],
  }),
  claimNode: define<number>()({
    name: 'claim-node',
    keys: ['node'],
    args: ['instance', 'timeoutMs', 'conflict'],
    uses: ['server-clock'],
  }),
  heartbeat: define<number>()({
    name: 'heartbeat',
    keys: ['node', 'events', 'changes'],
    args: ['instance'],
    uses: ['server-clock', 'events', 'host-changed'],
  }),
  updateNode: define<number>()({
    name: 'update-node',
    keys: ['node', 'events', 'changes'],
    args: ['fields'],
    uses: ['events', 'host-changed'],
  }),
  restoreJob: define<string>()({
    name: 'restore-job',
    keys: [...HOST_KEYS, 'job', 'index', 'tombstone', 'reservation', 'name', 'events'],
    args: [
      'id',
      'namespace',
      'spec',
      'name',
      'status',
      'nodeId',
      'containerId',
      'createdAtIso',
      'createdAtMs',
      'nowIso',
      'history',
      'reason',
      'exitCode',
      'holds',
      'cpuMillis',
      'memoryMiB',
      'ports',
      'workload',
      'attempt',
      'group',
      'gang',
    ],
    uses: ['host-changed', 'take', 'events'],
  }),
  deferJob: define<[string, string]>()({
    name: 'defer-job',
    keys: ['job', 'waiting', 'parked', 'events'],
    args: ['jobId', 'attempt', 'delayMs', 'graceMs', 'reason', 'placingSince', 'verdicts', 'park', 'sinceMs'],
    uses: ['server-clock', 'events'],
  }),
  wakeParked: define<number>()({
    name: 'wake-parked',
    keys: ['parked', 'waiting'],
    restKeys: 'jobs',
    args: ['jobIds'],
  }),
  claimOverdueJobs: define<string[]>()({
    name: 'claim-overdue-jobs',
    keys: ['waiting'],
    restKeys: 'jobs',
    args: ['jobIds', 'leaseMs'],
    uses: ['server-clock'],
  }),
  noteNodeDown: define<number>()({
    name: 'note-node-down',
    keys: ['node', 'events', 'changes'],
    args: ['timeoutMs'],
    uses: ['server-clock', 'events', 'host-changed'],
  }),
  admitJob: define<[string, string, string, string, string]>()({
    name: 'admit-job',
    keys: ['epoch', 'recovery', 'job'],
    args: ['knownEpoch', 'recoveryWindowMs'],
  }),
  addDeadLetter: define<number>()({
    name: 'add-dead-letter',
    keys: ['record', 'index', 'bytes'],
    restKeys: 'evicted',
    args: ['id', 'atMs', 'cap', 'maxBytes', 'bytes', 'fields', 'evictedIds'],
  }),
  deleteDeadLetter: define<number>()({
    name: 'delete-dead-letter',
    keys: ['record', 'index', 'bytes'],
    args: ['id'],
  }),
} as const;

export type KeysOf<D> = D extends ScriptDefinition<infer K, string, unknown> ? K : never;
export type ArgsOf<D> = D extends ScriptDefinition<string, infer A, unknown> ? A : never;
export type ResultOf<D> = D extends ScriptDefinition<string, string, infer R> ? R : never;

const LUA_DIR = join(__dirname, 'lua');

function luaName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `["${name}"]`;
}

/** The script's Lua as Redis runs it: the bindings of its keys and arguments, its helpers, then its own body. */
export function sourceOf(definition: ScriptDefinition): string {
  const keys = definition.keys.map((key, i) => `${luaName(key)} = KEYS[${i + 1}]`).join(', ');
  const args = definition.args.map((arg, i) => `${luaName(arg)} = ARGV[${i + 1}]`).join(', ');
  const rest = definition.restKeys
    ? `KEY.${definition.restKeys} = {}\nfor i = ${definition.keys.length + 1}, #KEYS do table.insert(KEY.${definition.restKeys}, KEYS[i]) end\n`
    : '';
  const helpers = HELPERS.filter((helper) => definition.uses.includes(helper)).map((helper) =>
    readFileSync(join(LUA_DIR, 'lib', `${helper}.lua`), 'utf8'),
  );
  const body = readFileSync(join(LUA_DIR, `${definition.name}.lua`), 'utf8');
  return [`local KEY = {${keys}}\nlocal ARG = {${args}}\n${rest}`, ...helpers, body].join('\n');
}

type ScriptName = keyof typeof SCRIPTS;

/**
 * Runs a script call: by default straight through; a test passes one that checks the keys first (an ACL that
 * allows only the keys passed).
 */
export type ScriptGuard = (script: string, keys: readonly string[], run: () => Promise<unknown>) => Promise<unknown>;

/** The scripts on one Redis connection, loaded once (ioredis defineCommand: EVALSHA, EVAL on NOSCRIPT). */
export class Scripts {
  private static sources: Map<ScriptName, string> | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly guard: ScriptGuard = (_script, _keys, run) => run(),
  ) {
    Scripts.sources ??= new Map((Object.keys(SCRIPTS) as ScriptName[]).map((name) => [name, sourceOf(SCRIPTS[name])]));
    for (const [name, lua] of Scripts.sources) {
      // No fixed key count: each call passes its own (some scripts take a list of keys).
      redis.defineCommand(commandOf(name), { lua });
    }
  }

  /** Calls a script with its keys and arguments by name, and any `rest` keys after them. */
  run<N extends ScriptName>(
    name: N,
    keys: Record<KeysOf<(typeof SCRIPTS)[N]>, string>,
    args: Record<ArgsOf<(typeof SCRIPTS)[N]>, string | number>,
    rest: readonly string[] = [],
  ): Promise<ResultOf<(typeof SCRIPTS)[N]>> {
    const definition: ScriptDefinition = SCRIPTS[name];
    const keyList = [...definition.keys.map((key) => (keys as Record<string, string>)[key]), ...rest];
    const argList = definition.args.map((arg) => (args as Record<string, string | number>)[arg]);
    const command = (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[commandOf(name)];
    return this.guard(definition.name, keyList, () =>
      command.call(this.redis, keyList.length, ...keyList, ...argList),
    ) as Promise<ResultOf<(typeof SCRIPTS)[N]>>;
  }
}

function commandOf(name: string): string {
  return `berth_${name}`;
}
