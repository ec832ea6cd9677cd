import { collectSwarmExpressions, LabelArrayError } from './swarm';

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
