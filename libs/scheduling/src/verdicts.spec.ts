import { parseExpression } from '@berth/expressions';
import { copiesThatFit, describeVerdicts, verdicts } from './verdicts';
import { NodeSnapshot, PlacementRequest } from './types';

function host(
  id: string,
  free: { cpuMillis: number; memoryMiB: number },
  labels: Record<string, string> = {},
): NodeSnapshot {
  return {
    id,
    ready: true,
    schedulable: true,
    capacity: { cpuMillis: 1000, memoryMiB: 256 },
    allocated: { cpuMillis: 1000 - free.cpuMillis, memoryMiB: 256 - free.memoryMiB },
    labels: { node: id, ...labels },
    containers: 0,
    workloads: [],
    images: [],
  };
}

function job(overrides: Partial<PlacementRequest> = {}): PlacementRequest {
  return {
    jobId: 'j',
    namespace: 'default',
    resources: { cpuMillis: 100, memoryMiB: 64 },
    strategy: 'spread',
    constraints: [],
    affinities: [],
    ports: [],
    dependencies: [],
    ...overrides,
  };
}

describe('per-host verdicts', () => {
  it('names every reason a host refuses, with the numbers, and not only the first filter', () => {
    const request = job({ constraints: [parseExpression('zone==a')] });
    const [h1] = verdicts(request, [host('h1', { cpuMillis: 50, memoryMiB: 48 }, { zone: 'b' })], 10);
    expect(h1).toEqual({
      node: 'h1',
      fits: false,
      reasons: [
        'insufficient memory, 48 of 64 MiB free',
        'insufficient cpu, 50 of 100 millicores free',
        'constraint zone==a not met',
      ],
    });
  });

  it('puts the closest fits first, and keeps at most the limit', () => {
    const nodes = [
      host('far', { cpuMillis: 0, memoryMiB: 0 }),
      host('fits', { cpuMillis: 500, memoryMiB: 128 }),
      host('close', { cpuMillis: 500, memoryMiB: 60 }),
      host('cordoned', { cpuMillis: 500, memoryMiB: 128 }),
    ];
    nodes[3] = { ...nodes[3], schedulable: false };
    const list = verdicts(job(), nodes, 3);
    expect(list.map((v) => [v.node, v.fits])).toEqual([
      ['fits', true],
      ['cordoned', false],
      ['close', false],
    ]);
    expect(describeVerdicts(list)).toBe('cordoned: host cordoned; close: insufficient memory, 60 of 64 MiB free');
  });
});

describe('copies that would fit', () => {
  it('adds what each eligible host can take, bounded by memory, cpu, slots and ports', () => {
    const nodes = [
      host('h1', { cpuMillis: 1000, memoryMiB: 256 }), // memory allows 4
      host('h2', { cpuMillis: 250, memoryMiB: 256 }, { containerslots: '1' }), // slots allow 1
      host('h3', { cpuMillis: 1000, memoryMiB: 256 }, { zone: 'b' }),
    ];
    expect(copiesThatFit(job(), nodes, 1000)).toBe(4 + 1 + 4);
    expect(copiesThatFit(job({ constraints: [parseExpression('zone==b')] }), nodes, 1000)).toBe(4);
    expect(copiesThatFit(job({ ports: [8080] }), nodes, 1000)).toBe(3);
    expect(copiesThatFit(job({ resources: { cpuMillis: 0, memoryMiB: 0 } }), nodes, 50)).toBe(50);
  });
});
