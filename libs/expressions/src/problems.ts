import { invalidRegex, parseExpression, unsafePattern } from './expressions';

/** An expression longer than this is refused: it is matched against every host. */
export const MAX_EXPRESSION_LENGTH = 512;

/**
 * Why a text is not an acceptable expression, or null: it must parse, its `/regex/` must compile, and its pattern
 * must be safe to match. The same rule wherever an expression comes in (a field, an env entry, a Swarm label).
 */
export function expressionProblem(text: unknown): string | null {
  if (typeof text !== 'string' || text.length > MAX_EXPRESSION_LENGTH) {
    return `must be a string of at most ${MAX_EXPRESSION_LENGTH} characters`;
  }
  try {
    const expression = parseExpression(text);
    const regex = invalidRegex(expression.value);
    if (regex !== null) {
      return `'${text}': invalid regular expression: ${regex}`;
    }
    const unsafe = unsafePattern(expression.value);
    return unsafe === null ? null : `'${text}': ${unsafe}`;
  } catch (err) {
    return (err as Error).message;
  }
}
