import { RE2JS } from 're2js';

/**
 * Swarm's placement expressions, as classic Swarm documented them:
 *   key==value   key!=value            (`==` is tried first)
 *   key==~value  key!=~value           `~` makes the expression soft: preferred, not required
 *   value: a glob anchored at both ends (`us-*`), or a regular expression between slashes (`/node\d/`)
 * `==` holds when any candidate string matches; `!=` holds when none does.
 *
 * Expressions come from users and are matched in the scheduler against every host, so matching must take time
 * linear in the input, whatever the pattern: regular expressions run on RE2 (re2js, no backtracking; it refuses
 * back-references and look-arounds), globs on a matcher of their own that never backtracks.
 */
export type Operator = '==' | '!=';

/** Shared between every job that writes the same text (see parseExpression): never changed once parsed. */
export interface Expression {
  readonly key: string;
  readonly operator: Operator;
  readonly value: string;
  readonly soft: boolean;
  /** The expression as written, for explanations. */
  readonly text: string;
  /** null when the value is a regular expression that does not compile: it then matches nothing, as in Swarm. */
  readonly pattern: Matcher | null;
}

/** A compiled value: whether one candidate string matches it. */
export interface Matcher {
  test(candidate: string): boolean;
}

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

/** Letters, digits, `-`, `_` and `.`, at least two characters (Swarm's rule, plus `.` for label keys). */
const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]+$/;

/**
 * Expressions already parsed, by text. RE2 compiles slowly (about 20 µs a pattern, a hundred times RegExp), and the
 * same texts come back with every job: the gateway checks them, the scheduler decodes and places them. Expressions
 * are immutable, so they are shared; the cache starts over when full, so it never grows without bound.
 */
const parsed = new Map<string, Expression>();
const PARSED_LIMIT = 4096;

export function parseExpression(text: string): Expression {
  let expression = parsed.get(text);
  if (!expression) {
    expression = parse(text);
    if (parsed.size >= PARSED_LIMIT) {
      parsed.clear();
    }
    parsed.set(text, expression);
  }
  return expression;
}

function parse(text: string): Expression {
  const trimmed = text.trim();
  const at = trimmed.indexOf('==') >= 0 ? trimmed.indexOf('==') : trimmed.indexOf('!=');
  if (at < 0) {
    throw new ExpressionError(`'${text}' has no operator: expected key==value or key!=value`);
  }
  const operator = trimmed.slice(at, at + 2) as Operator;
  const key = trimmed.slice(0, at).trim();
  let value = trimmed.slice(at + 2).trim();
  if (!KEY.test(key)) {
    throw new ExpressionError(`'${text}': key '${key}' must be 2 or more letters, digits, '-', '_' or '.'`);
  }
  const soft = value.startsWith('~');
  if (soft) {
    value = value.slice(1);
  }
  if (value === '') {
    throw new ExpressionError(`'${text}' has no value`);
  }
  return { key: key.toLowerCase(), operator, value, soft, text: trimmed, pattern: compile(value) };
}

/** Why a value is a regular expression RE2 will not compile (Swarm would silently match nothing), or null. */
export function invalidRegex(value: string): string | null {
  if (!isRegex(value)) {
    return null;
  }
  try {
    RE2JS.compile(value.slice(1, -1));
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function isRegex(value: string): boolean {
  return value.length >= 2 && value.startsWith('/') && value.endsWith('/');
}

function compile(value: string): Matcher | null {
  if (isRegex(value)) {
    try {
      // Not anchored, as in Swarm: /us/ matches "us-east".
      return RE2JS.compile(value.slice(1, -1));
    } catch {
      return null;
    }
  }
  return globMatcher(value);
}

/**
 * A glob anchored at both ends, `*` for any run of characters. The parts between the stars are literals: the first
 * must start the candidate, the last end it, and each one between is taken at its leftmost place after the one
 * before (leftmost is always safe for a `*` gap), so no choice is ever undone.
 */
export function globMatcher(glob: string): Matcher {
  const parts = glob.split('*');
  if (parts.length === 1) {
    return { test: (candidate) => candidate === glob };
  }
  const first = parts[0];
  const last = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  const least = first.length + last.length;
  return {
    test(candidate) {
      if (candidate.length < least || !candidate.startsWith(first) || !candidate.endsWith(last)) {
        return false;
      }
      let at = first.length;
      const end = candidate.length - last.length;
      for (const part of middle) {
        const found = candidate.indexOf(part, at);
        if (found < 0 || found + part.length > end) {
          return false;
        }
        at = found + part.length;
      }
      return true;
    },
  };
}

/** `==`: some candidate matches. `!=`: none does. A missing label is the empty string. */
export function holds(expression: Expression, candidates: readonly string[]): boolean {
  const pattern = expression.pattern;
  let any = false;
  if (pattern !== null) {
    for (let i = 0; i < candidates.length && !any; i++) {
      any = pattern.test(candidates[i]);
    }
  }
  return expression.operator === '==' ? any : !any;
}

/** `holds` for a single candidate, without building a list (the hot path of constraints). */
export function holdsFor(expression: Expression, candidate: string): boolean {
  const any = expression.pattern !== null && expression.pattern.test(candidate);
  return expression.operator === '==' ? any : !any;
}
