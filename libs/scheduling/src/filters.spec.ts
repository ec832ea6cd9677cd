import { parseExpression } from '@berth/expressions';
import {
  affinityCandidates,
  affinityFilter,
  constraintFilter,
  containerSlots,
  containerSlotsFilter,
  dependencyFilter,
  healthFilter,
  portFilter,
  resourcesFilter,
  Workload,
} from './index';
import { nodeSnapshot as node, placementRequestOf as requestOf } from './testing';

const strict = { enforceSoft: true };
const lenient = { enforceSoft: false };
const web: Workload = { jobId: 'j-web', name: 'web', image: 'nginx:1.25', labels: { team: 'front' }, ports: [8080] };

describe('health', () => {
  it('rules out a host that is not ready', () => {
    expect(healthFilter.reject(requestOf(), node('n', { ready: false }), strict)).toBe('host not ready');
    expect(healthFilter.reject(requestOf(), node('n'), strict)).toBeNull();
    expect(healthFilter.reject(requestOf(), node('n', { schedulable: false }), strict)).toBe('host cordoned');
  });
});

describe('resources', () => {
  it('names the dimension that is short, memory first', () => {
    const both = node('n', { allocated: { cpuMillis: 2000, memoryMiB: 1024 } });
    expect(resourcesFilter.reject(requestOf(), both, strict)).toBe('insufficient memory');
    const cpu = node('n', { allocated: { cpuMillis: 1800, memoryMiB: 0 } });
    expect(resourcesFilter.reject(requestOf(), cpu, strict)).toBe('insufficient cpu');
  });
});

describe('containerslots', () => {
  it('caps containers by the host label; a missing or non-numeric label means no cap', () => {
    expect(containerSlots(node('n', { labels: { containerslots: '3' } }))).toBe(3);
    expect(containerSlots(node('n', { labels: { containerslots: 'many' } }))).toBeNull();
    expect(containerSlots(node('n'))).toBeNull();
    const full = node('n', { labels: { containerslots: '2' }, containers: 2 });
    expect(containerSlotsFilter.reject(requestOf(), full, strict)).toBe('container slots full');
    expect(containerSlotsFilter.reject(requestOf(), { ...full, containers: 1 }, strict)).toBeNull();
  });
});

describe('port', () => {
  it('rules out a host where a container already binds the port', () => {
    const host = node('n', { workloads: [web] });
    expect(portFilter.applies(requestOf())).toBe(false);
    expect(portFilter.reject(requestOf({ ports: [8080] }), host, strict)).toBe('port 8080 in use');
    expect(portFilter.reject(requestOf({ ports: [9090] }), host, strict)).toBeNull();
  });
});

describe('dependency', () => {
  it('keeps a job with what it depends on', () => {
    const host = node('n', { workloads: [web] });
    expect(dependencyFilter.reject(requestOf({ dependencies: ['web'] }), host, strict)).toBeNull();
    expect(dependencyFilter.reject(requestOf({ dependencies: ['web', 'db'] }), host, strict)).toBe(
      'dependency db not on host',
    );
  });

  it("never counts another namespace's job of that name (or id)", () => {
    const theirs = { ...web, namespace: 'team-a' };
    const host = node('n', { workloads: [theirs] });
    for (const dependency of ['web', theirs.jobId]) {
      expect(
        dependencyFilter.reject(requestOf({ namespace: 'team-b', dependencies: [dependency] }), host, strict),
      ).toBe(`dependency ${dependency} not on host`);
    }
    expect(dependencyFilter.reject(requestOf({ namespace: 'team-a', dependencies: ['web'] }), host, strict)).toBeNull();
  });
});

describe('affinity', () => {
  const host = node('n', { workloads: [web], images: ['sha256:abc', 'redis:7', 'redis'] });
  const check = (text: string, options = strict): string | null =>
    affinityFilter.reject(requestOf({ affinities: [parseExpression(text)] }), host, options);

  it('matches containers by job name, job id and container name, of its own namespace only', () => {
    expect(affinityCandidates('container', host, 'default')).toEqual(['j-web', 'berth-j-web', 'web']);
    expect(affinityCandidates('container', host, 'team-b')).toEqual([]);
    expect(
      affinityFilter.reject(
        requestOf({ namespace: 'team-b', affinities: [parseExpression('container==web')] }),
        host,
        strict,
      ),
    ).toBe('affinity container==web not met');
    expect(affinityCandidates('image', host, 'default')).toEqual([
      'sha256:abc',
      'redis:7',
      'redis',
      'nginx:1.25',
      'nginx',
    ]);
    expect(check('container==web')).toBeNull();
    expect(check('container==berth-j-*')).toBeNull();
    expect(check('container==db')).toBe('affinity container==db not met');
    expect(check('container!=web')).toBe('affinity container!=web not met');
  });

  it('matches images present on the host or used by its containers, with and without tag', () => {
    expect(check('image==redis')).toBeNull();
    expect(check('image==nginx')).toBeNull();
    expect(check('image==nginx:1.25')).toBeNull();
    expect(check('image==postgres*')).toBe('affinity image==postgres* not met');
  });

  it('matches any other key against the labels of the containers on the host', () => {
    expect(check('team==front')).toBeNull();
    expect(check('team==back')).toBe('affinity team==back not met');
    expect(check('team!=back')).toBeNull();
  });

  it('skips a soft affinity in the lenient pass', () => {
    expect(check('container==~db')).toBe('affinity container==~db not met');
    expect(check('container==~db', lenient)).toBeNull();
  });
});

describe('constraint', () => {
  const host = node('h1', { labels: { node: 'h1', zone: 'us-east', storagedriver: 'overlay2' } });
  const check = (text: string, options = strict): string | null =>
    constraintFilter.reject(requestOf({ constraints: [parseExpression(text)] }), host, options);

  it('matches node by id and any other key by host label', () => {
    expect(check('node==h1')).toBeNull();
    expect(check('node!=h1')).toBe('constraint node!=h1 not met');
    expect(check('node==/h\\d/')).toBeNull();
    expect(check('zone==us-*')).toBeNull();
    expect(check('zone!=us*')).toBe('constraint zone!=us* not met');
    expect(check('storagedriver==overlay2')).toBeNull();
  });

  it('reads a missing label as the empty string', () => {
    expect(check('rack==r1')).toBe('constraint rack==r1 not met');
    expect(check('rack!=r1')).toBeNull();
  });

  it('skips a soft constraint in the lenient pass', () => {
    expect(check('zone==~eu-*')).toBe('constraint zone==~eu-* not met');
    expect(check('zone==~eu-*', lenient)).toBeNull();
  });
});
