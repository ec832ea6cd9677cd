/**
 * Swarm's placement expressions, as classic Swarm documented them:
 *   key==value   key!=value            (`==` is tried first)
 *   key==~value  key!=~value           `~` makes the expression soft: preferred, not required
 *   value: a glob anchored at both ends (`us-*`), or a regular expression between slashes (`/node\d/`)
 * `==` holds when any candidate string matches; `!=` holds when none does.
 */
export type Operator = '==' | '!=';

export interface Expression {
  key: string;
  operator: Operator;
  value: string;
  soft: boolean;
  /** The expression as written, for explanations. */
  text: string;
  /** null when the value is a regular expression that does not compile: it then matches nothing, as in Swarm. */
  pattern: RegExp | null;
}

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

/** Letters, digits, `-`, `_` and `.`, at least two characters (Swarm's rule, plus `.` for label keys). */
const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]+$/;

export function parseExpression(text: string): Expression {
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

/** Whether a value is a regular expression that will not compile (Swarm would silently match nothing). */
export function invalidRegex(value: string): string | null {
  if (!isRegex(value)) {
    return null;
  }
  try {
    new RegExp(value.slice(1, -1));
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Why a pattern could make matching slow (catastrophic backtracking), or null. Expressions come from users and run
 * in the scheduler against every host, so the gateway refuses these: regular expressions that repeat a group
 * holding a repetition or an alternation (`(a+)+`, `(a|aa)+`), back-references, or over 256 characters, and globs with more than 8 `*`.
 */
export function unsafePattern(value: string): string | null {
  if (isRegex(value)) {
    const body = value.slice(1, -1);
    if (body.length > 256) {
      return 'regular expressions are limited to 256 characters';
    }
    if (/\([^)]*[+*}|][^)]*\)\s*[+*{]/.test(body)) {
      return 'a repeated group or an alternation inside a repetition, such as (a+)+ or (a|aa)+, can make matching take forever';
    }
    if (/\\[1-9]/.test(body)) {
      return 'back-references are not supported';
    }
    return null;
  }
  return (value.match(/\*/g) ?? []).length > 8 ? 'globs are limited to 8 * wildcards' : null;
}

function isRegex(value: string): boolean {
  return value.length >= 2 && value.startsWith('/') && value.endsWith('/');
}

function compile(value: string): RegExp | null {
  if (isRegex(value)) {
    try {
      // Not anchored, as in Swarm: /us/ matches "us-east".
      return new RegExp(value.slice(1, -1));
    } catch {
      return null;
    }
  }
  const glob = value
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${glob}$`);
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
