import { decodeJobSpec, dependenciesOf, InvalidJobField, jobSpecFrom } from './job-spec';

describe('jobSpecFrom', () => {
  it('fills every default from the schema and keeps only what the job says', () => {
    expect(jobSpecFrom({ image: 'berth/busybox:latest', resources: { memoryMiB: 16 } })).toEqual({
      image: 'berth/busybox:latest',
      env: {},
      labels: {},
      resources: { cpuMillis: 250, memoryMiB: 16 },
      placementTimeoutSeconds: 300,
    });
  });

  it("folds Swarm's env entries and labels into the expression lists, out of the container's env and labels", () => {
    const spec = jobSpecFrom({
      image: 'x',
      constraints: ['zone==a'],
      env: { 'constraint:disk': '=ssd', 'affinity:container': '=~web', PATH: '/bin' },
      labels: { 'com.docker.swarm.constraints': '["node!=h3"]', team: 'x' },
    });
    expect(spec).toMatchObject({
      constraints: ['zone==a', 'disk==ssd', 'node!=h3'],
      affinities: ['container==~web'],
      env: { PATH: '/bin' },
      labels: { team: 'x' },
    });
  });

  it('names the field an invalid Swarm expression came from', () => {
    const fieldOf = (request: Parameters<typeof jobSpecFrom>[0]): string => {
      try {
        jobSpecFrom(request);
      } catch (err) {
        return err instanceof InvalidJobField ? err.field : 'not InvalidJobField';
      }
      return 'accepted';
    };
    expect(fieldOf({ image: 'x', env: { 'constraint:zone': 'a' } })).toBe('env');
    expect(fieldOf({ image: 'x', labels: { 'com.docker.swarm.affinities': 'web' } })).toBe('labels');
    expect(fieldOf({ image: 'x', labels: { 'com.docker.swarm.affinities': '["c==web"]' } })).toBe('labels');
  });

  it('makes a spec the wire decoder reads back unchanged', () => {
    const spec = jobSpecFrom({ image: 'x', name: 'web', ports: [80], env: { 'constraint:zone': '==a' } });
    expect(decodeJobSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });
});

describe('dependenciesOf', () => {
  it('derives dependencies from volumes-from, links and a container network', () => {
    expect(
      dependenciesOf({ volumesFrom: ['data:ro'], links: ['db:database', 'data'], network: 'container:vpn' }),
    ).toEqual(['data', 'db', 'vpn']);
  });
});
