import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

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
