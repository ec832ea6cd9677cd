import { placementRequest } from './request';

describe('placementRequest', () => {
  it('derives dependencies from volumes-from, links and a container network', () => {
    const request = placementRequest(
      'j1',
      'default',
      {
        image: 'x',
        env: {},
        labels: {},
        resources: { cpuMillis: 1, memoryMiB: 6 },
        placementTimeoutSeconds: 1,
        volumesFrom: ['data:ro'],
        links: ['db:database', 'data'],
        network: 'container:vpn',
      },
      'spread',
    );
    expect(request.dependencies).toEqual(['data', 'db', 'vpn']);
  });

  it('applies the default strategy and parses expressions', () => {
    const request = placementRequest(
      'j1',
      'default',
      {
        image: 'x',
        env: {},
        labels: {},
        resources: { cpuMillis: 1, memoryMiB: 6 },
        placementTimeoutSeconds: 1,
        constraints: ['zone==~a'],
      },
      'binpack',
    );
    expect(request.strategy).toBe('binpack');
    expect(request.constraints[0]).toMatchObject({ key: 'zone', value: 'a', soft: true });
  });
});
