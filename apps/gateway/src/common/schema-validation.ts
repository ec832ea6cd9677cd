import { checkedListProblem, Input, RuleShape, Schema, textMapProblem } from '@berth/contracts';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  registerDecorator,
  ValidateIf,
  ValidateNested,
  ValidationArguments,
} from 'class-validator';
import { BadRequestException, ValidationPipe } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { openApiFieldOf } from '../openapi/schema-openapi';
import { fieldErrors, problem } from './problem';

/**
 * The HTTP edge's reading of a schema (@berth/contracts): class-validator decorators made from each field's rule,
 * so a request is checked by the same bounds the wire decoder uses, and the ValidationPipe answers 400 naming the
 * field. Decorators are applied in the order class-validator checks them: the type first, so a wrong type is
 * called a wrong type and not a bound. The same rules describe the field in the OpenAPI document (ApiProperty).
 */
export function RequestDto<S extends Schema>(schema: S, name: string): new () => Input<S> {
  const dto = { [name]: class {} }[name];
  for (const [property, field] of Object.entries(schema)) {
    const nestedName = `${name}_${property}`;
    const required = field.presence === 'required';
    const rule = field.rule as RuleShape;
    const nested = rule.kind === 'object' ? RequestDto(rule.fields, nestedName) : null;
    const decorators = [
      ...(required ? [] : [Optional()]),
      ...(nested ? [IsObject(), ValidateNested(), Type(() => nested)] : decoratorsFor(rule, nestedName)),
      nested
        ? ApiProperty({ type: () => nested, required, description: field.doc })
        : ApiProperty({ ...(openApiFieldOf(field) as object), required }),
    ];
    for (const decorate of decorators) {
      decorate(dto.prototype, property);
    }
  }
  return dto as unknown as new () => Input<S>;
}

/**
 * The gateway's one validation pipe: unknown fields are refused anywhere (never dropped), the first broken rule
 * of each field is reported, and the answer is a 400 problem naming every wrong field by its dotted path.
 */
export function requestValidation(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const fields = fieldErrors(errors);
      return new BadRequestException(problem(400, fields.map((f) => f.message).join('; '), fields));
    },
  });
}

/**
 * The field may be left out, but not sent as null: class-validator's IsOptional lets null through, and a null
 * that reached the job spec would be refused later by the scheduler instead of now by the gateway.
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined);
}

function withField(message: string) {
  return (args: ValidationArguments) => `${args.property} ${message}`;
}

function decoratorsFor(rule: RuleShape, nestedName: string): PropertyDecorator[] {
  switch (rule.kind) {
    case 'text':
      return [
        IsString(),
        Length(rule.minLength ?? 1, rule.maxLength),
        ...(rule.pattern ? [Matches(rule.pattern, { message: withField(rule.message ?? 'has the wrong form') })] : []),
      ];
    case 'integer':
      return [IsInt(), Min(rule.min), Max(rule.max)];
    case 'boolean':
      return [IsBoolean()];
    case 'literal':
    case 'oneOf': {
      const values = rule.kind === 'literal' ? [rule.value] : rule.values;
      return [IsIn(values, { message: withField(`must be one of ${values.join(', ')}`) })];
    }
    case 'textList':
      return [
        IsArray(),
        IsString({ each: true }),
        ArrayMaxSize(rule.maxItems),
        MaxLength(rule.maxItemLength, { each: true }),
        ...(rule.pattern
          ? [Matches(rule.pattern, { each: true, message: withField(rule.message ?? 'entries have the wrong form') })]
          : []),
      ];
    case 'integerList':
      return [
        IsArray(),
        IsInt({ each: true, message: withField('must be whole numbers') }),
        ArrayMaxSize(rule.maxItems),
        Min(rule.min, { each: true, message: withField(rule.message) }),
        Max(rule.max, { each: true, message: withField(rule.message) }),
        ...(rule.unique ? [ArrayUnique({ message: withField('must not repeat a value') })] : []),
      ];
    case 'textMap':
      return [
        custom('textMap', (value) => {
          const problem = textMapProblem(value, rule.rules);
          return problem === null ? null : (property) => `${property} ${problem}`;
        }),
      ];
    case 'checkedList':
      return [
        custom('checkedList', (value) => {
          const problem = (property: string) => checkedListProblem(value, rule, property);
          return problem('') === null ? null : (property) => problem(property) ?? '';
        }),
      ];
    case 'objectList':
      throw new Error(`${nestedName}: lists of objects are for the wire only, not for HTTP requests`);
    case 'object':
      throw new Error(`${nestedName}: an object field is read by RequestDto itself`);
  }
}

/** A check of the schema's own (string maps, expressions): the same function the wire decoder calls. */
function custom(name: string, check: (value: unknown) => ((property: string) => string) | null): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => check(value) === null,
        defaultMessage: (args: ValidationArguments) => check(args.value)?.(args.property) ?? '',
      },
    });
  };
}
