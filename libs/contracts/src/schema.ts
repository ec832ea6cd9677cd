import { MalformedMessage } from './decode';

/**
 * A small schema language for what travels on the wire and what users send: each field is defined once, with its
 * type, bounds, default and meaning, and everything else reads it. The wire decoder below interprets it; the
 * gateway turns the same rules into class-validator decorators at the HTTP edge.
 */

/** How a field may be left out: never (`required`), with a default (`defaulted`), or entirely (`optional`). */
export type Presence = 'required' | 'defaulted' | 'optional';

/** The rules of a string map such as `env` or `labels`. */
export interface StringMapRules {
  keyPattern: RegExp;
  keyDescription: string;
  maxEntries: number;
  maxValueLength: number;
  reservedPrefix?: string;
}

/** What a value must be. `Stored` and `Input` are the TypeScript types it decodes to and is written as. */
export type Rule<Stored = unknown, Input = Stored> = RuleShape & { readonly __types?: [Stored, Input] };

export type RuleShape =
  /** `minLength` 1 unless said: an empty string is no value. */
  | { kind: 'text'; minLength?: number; maxLength: number; pattern?: RegExp; message?: string }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'literal'; value: string }
  | { kind: 'oneOf'; values: readonly string[] }
  | { kind: 'textList'; maxItems: number; maxItemLength: number; pattern?: RegExp; message?: string }
  | { kind: 'integerList'; maxItems: number; min: number; max: number; message: string; unique: boolean }
  | { kind: 'textMap'; rules: StringMapRules }
  /** Swarm placement expressions: the check comes with the rule, so this module stays free of their grammar. */
  | {
      kind: 'checkedList';
      maxItems: number;
      /** What the items are, in the plural (`expressions`), for the answers. */
      items: string;
      /** Good items: the first is shown in answers, all of them in the docs. */
      examples: readonly string[];
      problem: (text: string) => string | null;
    }
  | { kind: 'object'; fields: Schema }
  /** On the wire only (agents' requests and their answers): the HTTP edge takes no lists of objects. */
  | { kind: 'objectList'; maxItems: number; fields: Schema };

export interface Field<Stored = unknown, P extends Presence = Presence, Input = Stored> {
  readonly rule: Rule<Stored, Input>;
  readonly presence: P;
  /** What the field means, for people: documentation, API descriptions. */
  readonly doc: string;
  /** The value a `defaulted` field takes when left out (nested defaults are applied to it too). */
  readonly default?: Input;
}

export type Schema = Readonly<Record<string, Field<unknown, Presence, unknown>>>;

// ---- rules

export const text = (options: {
  minLength?: number;
  maxLength: number;
  pattern?: RegExp;
  message?: string;
}): Rule<string> => ({
  kind: 'text',
  ...options,
});
export const integer = (min: number, max: number): Rule<number> => ({ kind: 'integer', min, max });
export const boolean = (): Rule<boolean> => ({ kind: 'boolean' });
export const literal = <V extends string>(value: V): Rule<V> => ({ kind: 'literal', value });
export const oneOf = <V extends string>(values: readonly V[]): Rule<V> => ({ kind: 'oneOf', values });
export const textList = (options: {
  maxItems: number;
  maxItemLength: number;
  pattern?: RegExp;
  message?: string;
}): Rule<string[]> => ({ kind: 'textList', ...options });
export const integerList = (options: {
  maxItems: number;
  min: number;
  max: number;
  message: string;
  unique: boolean;
}): Rule<number[]> => ({ kind: 'integerList', ...options });
export const textMap = (rules: StringMapRules): Rule<Record<string, string>> => ({ kind: 'textMap', rules });
/** A list of texts, each checked by a function that says what is wrong with it (an expression, a capability). */
export const checkedList = (options: {
  maxItems: number;
  items: string;
  examples: readonly string[];
  problem: (text: string) => string | null;
}): Rule<string[]> => ({ kind: 'checkedList', ...options });
export const object = <S extends Schema>(fields: S): Rule<Stored<S>, Input<S>> => ({ kind: 'object', fields });
export const objectList = <S extends Schema>(maxItems: number, fields: S): Rule<Stored<S>[], Input<S>[]> => ({
  kind: 'objectList',
  maxItems,
  fields,
});

// ---- fields

export const required = <T, I>(rule: Rule<T, I>, doc: string): Field<T, 'required', I> => ({
  rule,
  presence: 'required',
  doc,
});
export const optional = <T, I>(rule: Rule<T, I>, doc: string): Field<T, 'optional', I> => ({
  rule,
  presence: 'optional',
  doc,
});
export const defaulted = <T, I>(rule: Rule<T, I>, value: I, doc: string): Field<T, 'defaulted', I> => ({
  rule,
  presence: 'defaulted',
  doc,
  default: value,
});

// ---- the types a schema describes

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type KeysWith<S extends Schema, P extends Presence> = {
  [K in keyof S]: S[K] extends Field<unknown, P, unknown> ? K : never;
}[keyof S];
type StoredOf<F> = F extends Field<infer T, Presence, unknown> ? T : never;
type InputOf<F> = F extends Field<unknown, Presence, infer I> ? I : never;

/** A value as decoded: defaults applied, optional fields present or absent. */
export type Stored<S extends Schema> = Simplify<
  { [K in KeysWith<S, 'required' | 'defaulted'>]: StoredOf<S[K]> } & {
    [K in KeysWith<S, 'optional'>]?: StoredOf<S[K]>;
  }
>;

/** A value as a client writes it: only required fields must be there. */
export type Input<S extends Schema> = Simplify<
  { [K in KeysWith<S, 'required'>]: InputOf<S[K]> } & {
    [K in KeysWith<S, 'defaulted' | 'optional'>]?: InputOf<S[K]>;
  }
>;

// ---- checks, shared by the wire decoder and the HTTP edge

/** Why a value is not an acceptable string map, or null when it is. */
export function textMapProblem(value: unknown, rules: StringMapRules): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'must be an object of string values';
  }
  const entries = Object.entries(value);
  if (entries.length > rules.maxEntries) {
    return `must have at most ${rules.maxEntries} entries`;
  }
  for (const [key, item] of entries) {
    if (!rules.keyPattern.test(key)) {
      return `key '${key}' is not ${rules.keyDescription}`;
    }
    if (rules.reservedPrefix && key.startsWith(rules.reservedPrefix)) {
      return `key '${key}' uses the reserved prefix '${rules.reservedPrefix}'`;
    }
    if (typeof item !== 'string') {
      return `value of '${key}' must be a string`;
    }
    if (item.length > rules.maxValueLength) {
      return `value of '${key}' is longer than ${rules.maxValueLength} characters`;
    }
    if (item.includes('\0')) {
      return `value of '${key}' contains a NUL character`;
    }
  }
  return null;
}

/** Why a checked list is not acceptable, or null; `field` names it in the answer. */
export function checkedListProblem(
  value: unknown,
  rule: Extract<RuleShape, { kind: 'checkedList' }>,
  field: string,
): string | null {
  if (!Array.isArray(value)) {
    return `${field} must be an array of ${rule.items} such as "${rule.examples[0]}"`;
  }
  if (value.length > rule.maxItems) {
    return `${field} must have at most ${rule.maxItems} ${rule.items}`;
  }
  for (let i = 0; i < value.length; i++) {
    const problem = typeof value[i] === 'string' ? rule.problem(value[i] as string) : 'must be a string';
    if (problem !== null) {
      return `${field}[${i}] ${problem}`;
    }
  }
  return null;
}

// ---- the wire decoder

function fail(path: string, problem: string): never {
  throw new MalformedMessage(`${path} ${problem}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Decodes a value by its schema, or throws MalformedMessage naming the first wrong field by its path
 * (`spec.resources.memoryMiB`). A field the schema does not know is refused, never dropped: a sender newer than
 * this reader must not lose what it said on the way.
 */
export function decodeObject<S extends Schema>(schema: S, value: unknown, path: string): Stored<S> {
  if (!isPlainObject(value)) {
    fail(path, 'must be an object');
  }
  const out: Record<string, unknown> = {};
  for (const key in schema) {
    const field = schema[key];
    const at = path === '' ? key : `${path}.${key}`;
    const raw = value[key];
    if (raw === undefined) {
      if (field.presence === 'required') {
        fail(at, 'is required');
      }
      if (field.presence === 'defaulted') {
        out[key] = withDefaultsOf(field.rule, field.default);
      }
      continue;
    }
    out[key] = decodeValue(field.rule, raw, at);
  }
  // What is wrong with the fields it knows is said first; then what it does not know.
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(schema, key)) {
      fail(path === '' ? key : `${path}.${key}`, 'is not a known field');
    }
  }
  return out as Stored<S>;
}

function decodeValue(rule: RuleShape, value: unknown, path: string): unknown {
  switch (rule.kind) {
    case 'object':
      return decodeObject(rule.fields, value, path);
    case 'objectList':
      if (!Array.isArray(value) || value.length > rule.maxItems) {
        fail(path, `must be an array of at most ${rule.maxItems} objects`);
      }
      return value.map((item, i) => decodeObject(rule.fields, item, `${path}[${i}]`));
    case 'text':
      if (typeof value !== 'string' || value.length < (rule.minLength ?? 1) || value.length > rule.maxLength) {
        fail(path, `must be a string of ${rule.minLength ?? 1} to ${rule.maxLength} characters`);
      }
      if (rule.pattern && !rule.pattern.test(value)) {
        fail(path, rule.message ?? `must match ${String(rule.pattern)}`);
      }
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > rule.max) {
        fail(path, `must be an integer from ${rule.min} to ${rule.max}`);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') {
        fail(path, 'must be a boolean');
      }
      return value;
    case 'literal':
    case 'oneOf': {
      const allowed = rule.kind === 'literal' ? [rule.value] : rule.values;
      if (typeof value !== 'string' || !allowed.includes(value)) {
        fail(path, `must be one of ${allowed.join(', ')}`);
      }
      return value;
    }
    case 'textList':
      if (!Array.isArray(value) || value.length > rule.maxItems) {
        fail(path, `must be an array of at most ${rule.maxItems} strings`);
      }
      value.forEach((item, i) => {
        if (typeof item !== 'string' || item.length > rule.maxItemLength) {
          fail(`${path}[${i}]`, `must be a string of at most ${rule.maxItemLength} characters`);
        }
        if (rule.pattern && !rule.pattern.test(item)) {
          fail(`${path}[${i}]`, rule.message ?? `must match ${String(rule.pattern)}`);
        }
      });
      return value;
    case 'integerList':
      if (!Array.isArray(value) || value.length > rule.maxItems) {
        fail(path, `must be an array of at most ${rule.maxItems} integers`);
      }
      value.forEach((item, i) => {
        if (typeof item !== 'number' || !Number.isInteger(item) || item < rule.min || item > rule.max) {
          fail(`${path}[${i}]`, rule.message);
        }
      });
      if (rule.unique && new Set(value).size !== value.length) {
        fail(path, 'must not repeat a value');
      }
      return value;
    case 'textMap': {
      const problem = textMapProblem(value, rule.rules);
      if (problem !== null) {
        fail(path, problem);
      }
      return value;
    }
    case 'checkedList': {
      const problem = checkedListProblem(value, rule, path);
      if (problem !== null) {
        throw new MalformedMessage(problem);
      }
      return value;
    }
  }
}

// ---- defaults

function withDefaultsOf(rule: RuleShape, value: unknown): unknown {
  if (rule.kind === 'object') {
    return applyDefaults(rule.fields, isPlainObject(value) ? value : {});
  }
  // A fresh copy: a default is never shared between two values.
  return Array.isArray(value) ? [...(value as unknown[])] : isPlainObject(value) ? { ...value } : value;
}

/**
 * A checked input as it is stored: every `defaulted` field filled (nested ones too), optional fields left out
 * when absent, and nothing the schema does not name.
 */
export function applyDefaults<S extends Schema>(schema: S, input: Record<string, unknown>): Stored<S> {
  const out: Record<string, unknown> = {};
  for (const key in schema) {
    const field = schema[key];
    const value = input[key];
    if (value === undefined) {
      if (field.presence === 'defaulted') {
        out[key] = withDefaultsOf(field.rule, field.default);
      }
    } else {
      out[key] = field.rule.kind === 'object' && isPlainObject(value) ? applyDefaults(field.rule.fields, value) : value;
    }
  }
  return out as Stored<S>;
}

/** The default of a field, as stored. */
export function defaultOf<T>(field: Field<T, 'defaulted', unknown>): T {
  return withDefaultsOf(field.rule, field.default) as T;
}
