import { invalidRegex, parseExpression } from './expressions';

/** An expression longer than this is refused: it is matched against every host. */
export const MAX_EXPRESSION_LENGTH = 512;

/**
 * Why a text is not an acceptable expression, or null: it must parse, and its `/regex/` must compile on RE2 (which
 * matches any pattern in linear time). The same rule wherever an expression comes in (a field, an env entry, a
 * Swarm label).
 */
export function expressionProblem(text: unknown): string | null {
  if (typeof text !== 'string' || text.length > MAX_EXPRESSION_LENGTH) {
    return `must be a string of at most ${MAX_EXPRESSION_LENGTH} characters`;
  }
  try {
    const expression = parseExpression(text);
    // Only a regular expression that did not compile leaves no pattern: ask RE2 why only then.
    return expression.pattern !== null
      ? null
      : `'${text}': invalid regular expression: ${invalidRegex(expression.value) ?? 'does not compile'}`;
  } catch (err) {
    return (err as Error).message;
  }
}
