import { decodeJobSpec, JOB_SPEC, MalformedMessage, RuleShape, Schema } from '@berth/contracts';
import { BadRequestException } from '@nestjs/common';
import fc from 'fast-check';
import { CreateJobDto } from '../jobs/dto/create-job.dto';
import { Problem } from './problem';
import { requestValidation } from './schema-validation';

const pipe = requestValidation();

/** What the HTTP edge says of a body: null when it passes, else the fields its 400 names. */
async function httpVerdict(body: unknown): Promise<string[] | null> {
  try {
    await pipe.transform(body, { type: 'body', metatype: CreateJobDto });
    return null;
  } catch (err) {
    if (err instanceof BadRequestException) {
      return ((err.getResponse() as Problem).errors ?? []).map((e) => e.field);
    }
    throw err;
  }
}

/** What the wire decoder says of the same value as a job spec: null when it decodes, else the message. */
function wireVerdict(body: unknown): string | null {
  try {
    decodeJobSpec(body, '');
    return null;
  } catch (err) {
    if (err instanceof MalformedMessage) {
      return err.message;
    }
    throw err;
  }
}

/** Mostly good values of a rule, sometimes one at or past its edges, sometimes one of the wrong type. */
function valuesFor(rule: RuleShape): fc.Arbitrary<unknown> {
  const wrongType = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.string({ maxLength: 3 }),
    fc.constant([]),
    fc.double(),
  );
  const mostly = (good: fc.Arbitrary<unknown>, edges: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 40, arbitrary: good }, { weight: 2, arbitrary: edges }, { weight: 1, arbitrary: wrongType });
  switch (rule.kind) {
    case 'text':
      // Good values come from the rule itself, so a new text field needs nothing here.
      return mostly(
        (rule.pattern ? fc.stringMatching(rule.pattern) : fc.string()).filter((v) => v.length <= rule.maxLength),
        fc.oneof(fc.constantFrom('Web/X', '', 'a'.repeat(rule.maxLength + 1)), fc.string({ maxLength: 8 })),
      );
    case 'integer':
      return mostly(
        fc.integer({ min: rule.min, max: rule.max }),
        fc.constantFrom(rule.min, rule.max, rule.min - 1, rule.max + 1, 1.5),
      );
    case 'boolean':
      return mostly(fc.boolean(), fc.constant('true'));
    case 'literal':
    case 'oneOf':
      return mostly(fc.constantFrom(...(rule.kind === 'literal' ? [rule.value] : rule.values)), fc.constant('other'));
    case 'textList':
      return mostly(
        fc.array(fc.constantFrom('data', 'db:ro'), { maxLength: 3 }),
        fc.oneof(
          fc.array(fc.oneof(fc.constantFrom('x y', '/etc', 'a'.repeat(rule.maxItemLength + 1)), fc.integer()), {
            minLength: 1,
            maxLength: 2,
          }),
          fc.constant(Array.from({ length: rule.maxItems + 1 }, () => 'a')),
        ),
      );
    case 'integerList':
      return mostly(
        fc.uniqueArray(fc.integer({ min: rule.min, max: rule.max }), { maxLength: 3 }),
        fc.oneof(fc.constantFrom([80, 80], [1.5], ['80'], [rule.min - 1], [rule.max + 1])),
      );
    case 'textMap':
      return mostly(
        fc.dictionary(fc.constantFrom('A', 'team', 'PATH'), fc.string({ maxLength: 4 }), { maxKeys: 3 }),
        fc.dictionary(
          fc.constantFrom('A', 'berth.job', 'A=B', '1x', 'constraint:zone'),
          fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant('a\0b')),
          { minKeys: 1, maxKeys: 2 },
        ),
      );
    case 'checkedList':
      return mostly(
        fc.array(fc.constantFrom(...rule.examples), { maxLength: 3 }),
        fc.array(
          fc.oneof(fc.constantFrom('zone=a', 'c==web', 'node==/(/', 'node==/(a)\\1/', 'SYS_ADMIN'), fc.integer()),
          {
            minLength: 1,
            maxLength: 2,
          },
        ),
      );
    case 'object':
      return mostly(bodies(rule.fields), fc.constant({ unknown: 1 }));
    case 'objectList':
      throw new Error('no job spec field is a list of objects');
  }
}

/** Objects with some of a schema's fields, sometimes one it does not know. */
function bodies(schema: Schema): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(Object.entries(schema).map(([key, field]) => [key, valuesFor(field.rule)]));
  const required = Object.keys(schema).filter((key) => schema[key].presence === 'required');
  return fc
    .tuple(
      fc.record(fields, { requiredKeys: required }),
      fc.oneof(
        { weight: 9, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom('privileged', 'gpus') },
      ),
    )
    .map(([body, extra]) => (extra === null ? body : { ...body, [extra]: 1 }));
}

describe('the HTTP edge reads JOB_SPEC as the wire decoder does', () => {
  it('accepts exactly the bodies the decoder accepts, and names a field whenever it refuses', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(bodies(JOB_SPEC), async (body) => {
        const http = await httpVerdict(body);
        const wire = wireVerdict(body);
        accepted += wire === null ? 1 : 0;
        expect({ body, httpAccepts: http === null, wire }).toEqual({ body, httpAccepts: wire === null, wire });
        if (http !== null) {
          expect(http.length).toBeGreaterThan(0);
          // The decoder names one of the fields the HTTP answer names.
          expect(http.some((field) => wire?.startsWith(field))).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    // Both verdicts are exercised: a generator that made only bad bodies would prove nothing.
    expect(accepted).toBeGreaterThan(200);
    expect(accepted).toBeLessThan(1800);
  });

  it('refuses a wrong type as a wrong type, not as a bound', async () => {
    expect(await httpVerdict({ image: 'x', resources: { memoryMiB: '64m' } })).toEqual(['resources.memoryMiB']);
    const problem = await pipe
      .transform({ image: 'x', resources: { memoryMiB: '64m' } }, { type: 'body', metatype: CreateJobDto })
      .catch((err: BadRequestException) => err.getResponse() as Problem);
    expect(problem).toMatchObject({ detail: 'resources.memoryMiB must be an integer number' });
  });
});
