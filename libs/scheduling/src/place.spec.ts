import fc from 'fast-check';
import { explain, loadAfter, NodeSnapshot, place, PlacementRequest } from './index';

function node(id: string, over: Partial<NodeSnapshot> = {}): NodeSnapshot {
  return {
    id,
    ready: true,
    capacity: { cpuMillis: 2000, memoryMiB: 1024 },
    allocated: { cpuMillis: 0, memoryMiB: 0 },
    labels: {},
    containers: 0,
    ...over,
  };
}

const request: PlacementRequest = { jobId: 'job-1', resources: { cpuMillis: 250, memoryMiB: 64 } };

describe('place', () => {
  it('puts the least loaded host first (spread)', () => {
    const busy = node('busy', { allocated: { cpuMillis: 1000, memoryMiB: 100 } });
    const idle = node('idle');
    const half = node('half', { allocated: { cpuMillis: 0, memoryMiB: 512 } });
    expect(place(request, [busy, half, idle]).candidates.map((n) => n.id)).toEqual(['idle', 'half', 'busy']);
  });

  it('breaks equal load by container count', () => {
    const many = node('many', { containers: 5 });
    const few = node('few', { containers: 1 });
    expect(place(request, [many, few]).candidates.map((n) => n.id)).toEqual(['few', 'many']);
  });

  it('rules out hosts that are not ready or lack memory or cpu, and counts why', () => {
    const result = place(request, [
      node('down', { ready: false }),
      node('full-mem', { allocated: { cpuMillis: 0, memoryMiB: 1000 } }),
      node('full-cpu', { allocated: { cpuMillis: 1900, memoryMiB: 0 } }),
      node('ok'),
    ]);
    expect(result.candidates.map((n) => n.id)).toEqual(['ok']);
    expect(Object.fromEntries(result.rejections)).toEqual({
      'host not ready': 1,
      'insufficient memory': 1,
      'insufficient cpu': 1,
    });
  });

  it('accepts a request that fills a host exactly', () => {
    const exact = node('exact', { allocated: { cpuMillis: 1750, memoryMiB: 960 } });
    expect(place(request, [exact]).candidates).toHaveLength(1);
  });

  it('explains a refusal per reason, most common first', () => {
    const result = place(request, [
      node('a', { allocated: { cpuMillis: 0, memoryMiB: 1024 } }),
      node('b', { allocated: { cpuMillis: 0, memoryMiB: 1024 } }),
      node('c', { ready: false }),
    ]);
    expect(explain(result)).toBe('0/3 hosts available: 2 insufficient memory, 1 host not ready');
    expect(explain(place(request, []))).toBe('0/0 hosts available: no host has registered');
  });

  it('never offers a host the request would overfill, and never drops a host silently', () => {
    const arbNode = fc.record({
      id: fc.uuid(),
      ready: fc.boolean(),
      capacity: fc.record({
        cpuMillis: fc.integer({ min: 1, max: 8000 }),
        memoryMiB: fc.integer({ min: 1, max: 8192 }),
      }),
      allocated: fc.record({
        cpuMillis: fc.integer({ min: 0, max: 8000 }),
        memoryMiB: fc.integer({ min: 0, max: 8192 }),
      }),
      labels: fc.constant({}),
      containers: fc.nat(50),
    });
    const arbRequest = fc.record({
      jobId: fc.uuid(),
      resources: fc.record({
        cpuMillis: fc.integer({ min: 1, max: 4000 }),
        memoryMiB: fc.integer({ min: 1, max: 4096 }),
      }),
    });
    fc.assert(
      fc.property(arbRequest, fc.array(arbNode, { maxLength: 30 }), (req, nodes) => {
        const result = place(req, nodes);
        for (const candidate of result.candidates) {
          expect(candidate.ready).toBe(true);
          expect(candidate.allocated.cpuMillis + req.resources.cpuMillis).toBeLessThanOrEqual(
            candidate.capacity.cpuMillis,
          );
          expect(candidate.allocated.memoryMiB + req.resources.memoryMiB).toBeLessThanOrEqual(
            candidate.capacity.memoryMiB,
          );
        }
        const rejected = [...result.rejections.values()].reduce((sum, n) => sum + n, 0);
        expect(rejected + result.candidates.length).toBe(nodes.length);
        for (let i = 1; i < result.candidates.length; i++) {
          expect(loadAfter(req, result.candidates[i - 1])).toBeLessThanOrEqual(loadAfter(req, result.candidates[i]));
        }
      }),
    );
  });
});
