import fc from 'fast-check';
import { ExpressionError, globMatcher, holds, invalidRegex, parseExpression } from './expressions';
import { expressionProblem } from './problems';

describe('parseExpression', () => {
  it.each([
    ['region==us-east', { key: 'region', operator: '==', value: 'us-east', soft: false }],
    ['node!=node1', { key: 'node', operator: '!=', value: 'node1', soft: false }],
    ['region==~us*', { key: 'region', operator: '==', value: 'us*', soft: true }],
    ['Zone!=~a', { key: 'zone', operator: '!=', value: 'a', soft: true }],
    ['com.example.disk==ssd', { key: 'com.example.disk', operator: '==', value: 'ssd', soft: false }],
    ['ab==c==d', { key: 'ab', operator: '==', value: 'c==d', soft: false }],
  ])('parses %s', (text, expected) => {
    expect(parseExpression(text)).toMatchObject(expected);
  });

  it.each([
    ['region=us', /no operator/],
    ['r==us', /key 'r' must be 2 or more/],
    ['==us', /key '' must be/],
    ['region==', /no value/],
    ['region==~', /no value/],
    ['re gion==x', /key 're gion'/],
  ])('rejects %s', (text, message) => {
    expect(() => parseExpression(text)).toThrow(ExpressionError);
    expect(() => parseExpression(text)).toThrow(message);
  });
});

describe('holds', () => {
  const check = (text: string, ...candidates: string[]): boolean => holds(parseExpression(text), candidates);

  it('matches globs anchored at both ends', () => {
    expect(check('region==us-*', 'us-east')).toBe(true);
    expect(check('region==us-*', 'eu-us-east')).toBe(false);
    expect(check('region==us', 'us-east')).toBe(false);
    expect(check('region==*east', 'us-east')).toBe(true);
    expect(check('region!=us*', 'us-east')).toBe(false);
    expect(check('region!=us*', 'eu-west')).toBe(true);
  });

  it('treats glob text literally apart from *', () => {
    expect(check('version==1.2', '1x2')).toBe(false);
    expect(check('version==1.2', '1.2')).toBe(true);
  });

  it('matches /regular expressions/ without anchoring', () => {
    expect(check('node==/node\\d/', 'mynode7')).toBe(true);
    expect(check('node==/^node\\d$/', 'mynode7')).toBe(false);
    expect(check('node!=/node\\d/', 'node3')).toBe(false);
  });

  it('lets an invalid regular expression match nothing, as Swarm did', () => {
    expect(check('node==/(/', 'anything')).toBe(false);
    expect(check('node!=/(/', 'anything')).toBe(true);
    expect(invalidRegex('/(/')).toMatch(/missing closing \)/);
    expect(invalidRegex('/ok/')).toBeNull();
    expect(invalidRegex('plain')).toBeNull();
  });

  it('== holds when any candidate matches, != when none does', () => {
    expect(check('container==web', 'db', 'web')).toBe(true);
    expect(check('container!=web', 'db', 'web')).toBe(false);
    expect(check('container==web')).toBe(false);
    expect(check('container!=web')).toBe(true);
  });

  it('!= is always the negation of == on the same candidates', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z*]{1,6}$/),
        fc.array(fc.stringMatching(/^[a-z-]{0,8}$/)),
        (value, candidates) => {
          const eq = holds(parseExpression(`key==${value}`), candidates);
          const ne = holds(parseExpression(`key!=${value}`), candidates);
          expect(ne).toBe(!eq);
        },
      ),
    );
  });

  it('a glob without * matches exactly itself', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9.+()-]{1,10}$/),
        fc.stringMatching(/^[a-z0-9.+()-]{0,10}$/),
        (value, other) => {
          expect(holds(parseExpression(`key==${value}`), [other])).toBe(value === other);
        },
      ),
    );
  });
});

describe('matching that cannot backtrack', () => {
  // A regular expression built the naive way: the reference the glob matcher must agree with on small inputs.
  const reference = (glob: string) =>
    new RegExp(
      `^${glob
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );

  it('matches globs exactly as the anchored regular expression would', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ab*]{0,8}$/), fc.stringMatching(/^[ab]{0,12}$/), (glob, candidate) => {
        expect(globMatcher(glob).test(candidate)).toBe(reference(glob).test(candidate));
      }),
      { numRuns: 5000 },
    );
  });

  // The attack pair of a label value at its 4,096-character limit and patterns that backtrack catastrophically in
  // a backtracking engine (`*a*a*a*b` took 5 s against 400 characters): each must simply answer.
  const attack = `${'a'.repeat(4095)}c`;
  it.each([
    ['*a*a*a*b', false],
    ['/((a)+)+$/', false],
    ['/a*a*a*a*a*a*a*a*b/', false],
    ['/(a|aa)+c$/', true],
    ['*a*a*a*c', true],
  ])('answers %s against a 4,096-character value (%s)', (value, expected) => {
    expect(holds(parseExpression(`team==${value}`), [attack])).toBe(expected);
  });

  it.each(['/(.)\\1/', '/(?=a)b/', '/a(?!b)/'])('refuses %s: RE2 has no back-references or look-arounds', (value) => {
    expect(invalidRegex(value)).not.toBeNull();
  });

  it.each(['/node\\d+/', '/^(eu|us)-[a-z]+$/', '/(a+)+$/', 'us-*', '*east*', 'plain'])('accepts %s', (value) => {
    expect(invalidRegex(value)).toBeNull();
  });
});

describe('parsing once', () => {
  it('hands out the same parsed expression for the same text, compiled once', () => {
    const first = parseExpression('disk==/ssd|nvme/');
    expect(parseExpression('disk==/ssd|nvme/')).toBe(first);
    expect(parseExpression('disk==/ssd|nvme/').pattern?.test('nvme0')).toBe(true);
  });

  it('still says why a regular expression does not compile', () => {
    expect(expressionProblem('node==/(/')).toBe(
      "'node==/(/': invalid regular expression: error parsing regexp: missing closing ): `(`",
    );
    expect(expressionProblem('node==/ok/')).toBeNull();
  });
});
