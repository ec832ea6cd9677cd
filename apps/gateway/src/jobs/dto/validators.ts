import { invalidRegex, parseExpression, unsafePattern } from '@berth/scheduling';
import { registerDecorator, ValidateIf, ValidationArguments, ValidationOptions } from 'class-validator';

export interface StringMapRules {
  keyPattern: RegExp;
  keyDescription: string;
  maxEntries: number;
  maxValueLength: number;
  reservedPrefix?: string;
}

/** Why a value is not an acceptable string map, or null when it is. */
export function stringMapProblem(value: unknown, rules: StringMapRules): string | null {
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

/** An object of string keys and values, such as `env` or `labels`, checked key by key. */
export function IsStringMap(rules: StringMapRules, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isStringMap',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => stringMapProblem(value, rules) === null,
        defaultMessage: (args: ValidationArguments) => `${args.property} ${stringMapProblem(args.value, rules)}`,
      },
    });
  };
}

/** Why a list of Swarm expressions is not acceptable, or null. Invalid regular expressions are refused here. */
export function expressionListProblem(value: unknown, field: string): string | null {
  if (!Array.isArray(value)) {
    return `${field} must be an array of expressions such as "zone==a"`;
  }
  if (value.length > 32) {
    return `${field} must have at most 32 expressions`;
  }
  for (let i = 0; i < value.length; i++) {
    const problem = expressionProblem(value[i]);
    if (problem !== null) {
      return `${field}[${i}] ${problem}`;
    }
  }
  return null;
}

export function expressionProblem(text: unknown): string | null {
  if (typeof text !== 'string' || text.length > 512) {
    return 'must be a string of at most 512 characters';
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

/** Swarm placement expressions: `key==value`, `key!=value`, `~` for soft, globs and /regular expressions/. */
export function IsExpressionList(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isExpressionList',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown, args: ValidationArguments) => expressionListProblem(value, args.property) === null,
        defaultMessage: (args: ValidationArguments) => expressionListProblem(args.value, args.property) ?? '',
      },
    });
  };
}

/**
 * The field may be left out, but not sent as null: class-validator's IsOptional lets null through, and a null
 * that reaches the job spec would be refused later by the scheduler instead of now by the gateway.
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}
