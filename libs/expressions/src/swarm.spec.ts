import { collectSwarmExpressions, collectSwarmReschedule, LabelArrayError } from './swarm';

describe('collectSwarmExpressions', () => {
  it('gathers expressions from job fields, env entries and Swarm labels, and strips them', () => {
    const collected = collectSwarmExpressions(
      { constraints: ['zone==a'], affinities: [] },
      { 'constraint:disk': '=ssd', 'affinity:container': '=~web', PATH: '/bin' },
      { 'com.docker.swarm.constraints': '["node!=h3"]', 'com.docker.swarm.affinities': '["image==redis"]', team: 'x' },
    );
    expect(collected.constraints).toEqual(['zone==a', 'disk==ssd', 'node!=h3']);
    expect(collected.affinities).toEqual(['container==~web', 'image==redis']);
    expect(collected.env).toEqual({ PATH: '/bin' });
    expect(collected.labels).toEqual({ team: 'x' });
  });

  it('reads `constraint:node!=h1` whose = lands in the value', () => {
    expect(collectSwarmExpressions({}, { 'constraint:node!': 'h1' }, {}).constraints).toEqual(['node!=h1']);
  });

  it('rejects a Swarm label that is not a JSON array of strings, naming it', () => {
    expect(() => collectSwarmExpressions({}, {}, { 'com.docker.swarm.constraints': 'zone==a' })).toThrow(
      LabelArrayError,
    );
    expect(() => collectSwarmExpressions({}, {}, { 'com.docker.swarm.affinities': '[1]' })).toThrow(
      /com\.docker\.swarm\.affinities must hold a JSON array of strings/,
    );
  });
});

describe('collectSwarmReschedule', () => {
  it('gathers policies from reschedule: env entries and the Swarm label, and strips them', () => {
    const collected = collectSwarmReschedule(['A=1', 'reschedule:on-node-failure', 'B=reschedule:off'], {
      'com.docker.swarm.reschedule-policies': '["off"]',
      team: 'x',
    });
    expect(collected.policies).toEqual(['on-node-failure', 'off']);
    expect(collected.env).toEqual(['A=1', 'B=reschedule:off']);
    expect(collected.labels).toEqual({ team: 'x' });
  });

  it('finds nothing, and changes nothing, where there is none', () => {
    expect(collectSwarmReschedule(['A=1'], { team: 'x' })).toEqual({
      policies: [],
      env: ['A=1'],
      labels: { team: 'x' },
    });
  });

  it('rejects a reschedule label that is not a JSON array of strings, naming it', () => {
    expect(() => collectSwarmReschedule([], { 'com.docker.swarm.reschedule-policies': 'on-node-failure' })).toThrow(
      /com\.docker\.swarm\.reschedule-policies must hold a JSON array of strings/,
    );
  });
});
