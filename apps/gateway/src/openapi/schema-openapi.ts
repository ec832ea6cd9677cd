import { Field, Presence, RuleShape, Schema } from '@berth/contracts';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

export type { SchemaObject };

/**
 * The OpenAPI reading of a schema (@berth/contracts), beside the class-validator one (schema-validation.ts): the
 * document states the same bounds the gateway enforces, because both come from one definition.
 */
export function openApiSchemaOf(rule: RuleShape): SchemaObject {
  switch (rule.kind) {
    case 'text':
      return {
        type: 'string',
        minLength: rule.minLength ?? 1,
        maxLength: rule.maxLength,
        ...(rule.pattern ? { pattern: rule.pattern.source } : {}),
      };
    case 'integer':
      return { type: 'integer', minimum: rule.min, maximum: rule.max };
    case 'boolean':
      return { type: 'boolean' };
    case 'literal':
      return { type: 'string', enum: [rule.value] };
    case 'oneOf':
      return { type: 'string', enum: [...rule.values] };
    case 'textList':
      return {
        type: 'array',
        maxItems: rule.maxItems,
        items: {
          type: 'string',
          maxLength: rule.maxItemLength,
          ...(rule.pattern ? { pattern: rule.pattern.source } : {}),
        },
      };
    case 'integerList':
      return {
        type: 'array',
        maxItems: rule.maxItems,
        uniqueItems: rule.unique,
        items: { type: 'integer', minimum: rule.min, maximum: rule.max },
      };
    case 'textMap':
      // OpenAPI 3.0 has no propertyNames: the key rule is stated in words.
      return {
        type: 'object',
        maxProperties: rule.rules.maxEntries,
        additionalProperties: { type: 'string', maxLength: rule.rules.maxValueLength },
        description: `Keys: ${rule.rules.keyDescription} (${rule.rules.keyPattern.source})${
          rule.rules.reservedPrefix ? `, not starting with ${rule.rules.reservedPrefix}` : ''
        }.`,
      };
    case 'checkedList':
      return { type: 'array', maxItems: rule.maxItems, items: { type: 'string' }, example: [...rule.examples] };
    case 'object':
      return openApiObjectOf(rule.fields);
    case 'objectList':
      return { type: 'array', maxItems: rule.maxItems, items: openApiObjectOf(rule.fields) };
  }
}

/** An object of the schema's fields: required ones listed, each described by its `doc`, defaults shown. */
export function openApiObjectOf(schema: Schema): SchemaObject {
  const required = Object.entries(schema)
    .filter(([, field]) => field.presence === 'required')
    .map(([name]) => name);
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(schema).map(([name, field]) => [name, openApiFieldOf(field)])),
    ...(required.length > 0 ? { required } : {}),
  };
}

/** One field: its rule's schema, with its meaning and its default. */
export function openApiFieldOf(field: Field<unknown, Presence, unknown>): SchemaObject {
  const schema = openApiSchemaOf(field.rule);
  return {
    ...schema,
    description: schema.description ? `${field.doc} ${schema.description}` : field.doc,
    ...(field.default !== undefined ? { default: field.default } : {}),
  };
}
