import { decodeAgentCommand, encode } from './messages';
import { jobSpecFrom } from './job-spec';
import { hasValidSeal, sealOf } from './seal';

describe('the seal on a create', () => {
  const key = Buffer.from('k');
  const job = {
    jobId: 'j1',
    namespace: 'team-a',
    spec: jobSpecFrom({ image: 'berth/busybox:latest', env: { A: '1', B: '2' }, constraints: ['node==h1'] }),
  };

  it('survives the trip to a host and back: the same job, however its fields were ordered', () => {
    const seal = sealOf(key, job);
    const sent = decodeAgentCommand(encode({ type: 'create-container', ...job, seal }));
    const reverse = (value: unknown): unknown =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
              .reverse()
              .map(([k, v]) => [k, reverse(v)]),
          )
        : value;
    const reordered = reverse(sent.type === 'create-container' ? sent.spec : null) as typeof job.spec;
    expect(hasValidSeal(key, { ...job, spec: reordered }, seal)).toBe(true);
  });

  it('holds for nothing else: another job, namespace, spec or key', () => {
    const seal = sealOf(key, job);
    expect(hasValidSeal(key, { ...job, jobId: 'j2' }, seal)).toBe(false);
    expect(hasValidSeal(key, { ...job, namespace: 'team-b' }, seal)).toBe(false);
    expect(hasValidSeal(key, { ...job, spec: { ...job.spec, constraints: ['node==h2'] } }, seal)).toBe(false);
    expect(hasValidSeal(Buffer.from('other'), job, seal)).toBe(false);
    expect(hasValidSeal(key, job, 'not hex')).toBe(false);
  });
});
