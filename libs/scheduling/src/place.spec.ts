import fc from 'fast-check';
import { parseExpression } from '@berth/expressions';
import { defaultFeasibleLimit, explain, place, weightAfter } from './index';
import { nodeSnapshot as node, placementRequestOf as requestOf } from './testing';

const request = requestOf();
const ids = (result: ReturnType<typeof place>): string[] => result.candidates.map((n) => n.id);

describe('place: strategies', () => {
  const busy = node('busy', { allocated: { cpuMillis: 1000, memoryMiB: 100 } });
  const idle = node('idle');
  const half = node('half', { allocated: { cpuMillis: 0, memoryMiB: 512 } });

  it('spread puts the least loaded host first', () => {
    expect(ids(place(request, [busy, half, idle]))).toEqual(['idle', 'half', 'busy']);
  });

  it('binpack puts the most loaded host that still fits first', () => {
    const full = node('full', { allocated: { cpuMillis: 0, memoryMiB: 1000 } });
    expect(ids(place(requestOf({ strategy: 'binpack' }), [idle, busy, half, full]))).toEqual(['busy', 'half', 'idle']);
  });

  it('random gives each job its own order, the same every time for that job', () => {
    const nodes = Array.from({ length: 20 }, (_, i) => node(`n${i}`));
    const orders = new Set<string>();
    for (let j = 0; j < 20; j++) {
      const r = requestOf({ strategy: 'random', jobId: `job-${j}` });
      const first = ids(place(r, nodes, { limit: 20 })).join(',');
      expect(ids(place(r, nodes, { limit: 20 })).join(',')).toBe(first);
      orders.add(first);
    }
    expect(orders.size).toBeGreaterThan(15);
  });

  it('breaks equal load by container count (spread and binpack)', () => {
    const many = node('many', { containers: 5 });
    const few = node('few', { containers: 1 });
    expect(ids(place(request, [many, few]))).toEqual(['few', 'many']);
    expect(ids(place(requestOf({ strategy: 'binpack' }), [many, few]))).toEqual(['few', 'many']);
  });

  it('weighs like Swarm: cpu and memory percentages after placement, added', () => {
    const n = node('n', {
      allocated: { cpuMillis: 750, memoryMiB: 448 },
      capacity: { cpuMillis: 2000, memoryMiB: 1024 },
    });
    expect(weightAfter(request, n)).toBe(50 + 50);
  });

  it('returns at most `limit` candidates, the best ones', () => {
    const nodes = Array.from({ length: 50 }, (_, i) =>
      node(`n${i}`, { allocated: { cpuMillis: i * 10, memoryMiB: i } }),
    );
    expect(ids(place(request, nodes, { limit: 3 }))).toEqual(['n0', 'n1', 'n2']);
  });
});

describe('place: filters and explanations', () => {
  it('rules out hosts that are not ready or lack memory or cpu, and counts why', () => {
    const result = place(request, [
      node('down', { ready: false }),
      node('full-mem', { allocated: { cpuMillis: 0, memoryMiB: 1000 } }),
      node('full-cpu', { allocated: { cpuMillis: 1900, memoryMiB: 0 } }),
      node('ok'),
    ]);
    expect(ids(result)).toEqual(['ok']);
    expect(Object.fromEntries(result.rejections)).toEqual({
      'host not ready': 1,
      'insufficient memory': 1,
      'insufficient cpu': 1,
    });
  });

  it('accepts a request that fills a host exactly', () => {
    expect(place(request, [node('exact', { allocated: { cpuMillis: 1750, memoryMiB: 960 } })]).candidates).toHaveLength(
      1,
    );
  });

  it('explains a refusal per reason, most common first', () => {
    const zone = requestOf({ constraints: [parseExpression('zone==a')] });
    const result = place(zone, [
      node('a', { allocated: { cpuMillis: 0, memoryMiB: 1024 }, labels: { zone: 'a' } }),
      node('b', { allocated: { cpuMillis: 0, memoryMiB: 1024 }, labels: { zone: 'a' } }),
      node('c', { labels: { zone: 'b' } }),
    ]);
    expect(explain(result)).toBe('0/3 hosts available: 2 insufficient memory, 1 constraint zone==a not met');
    expect(explain(place(request, []))).toBe('0/0 hosts available: no host has registered');
  });

  it('honours soft expressions when some host meets them, and sets them aside when none does', () => {
    const soft = requestOf({ constraints: [parseExpression('disk==~ssd')] });
    const hdd = node('hdd', { labels: { disk: 'hdd' } });
    const ssd = node('ssd', { labels: { disk: 'ssd' }, allocated: { cpuMillis: 1500, memoryMiB: 900 } });
    const both = place(soft, [hdd, ssd], { limit: 5 });
    expect(ids(both)).toEqual(['ssd']);
    expect(both.softIgnored).toBe(false);
    const onlyHdd = place(soft, [hdd], { limit: 5 });
    expect(ids(onlyHdd)).toEqual(['hdd']);
    expect(onlyHdd.softIgnored).toBe(true);
  });

  it('never offers a host the request would overfill, keeps spread order, and drops no host silently', () => {
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
      fc.property(arbRequest, fc.array(arbNode, { maxLength: 30 }), (partial, partialNodes) => {
        const req = requestOf(partial);
        const nodes = partialNodes.map((n) => node(n.id, n));
        const result = place(req, nodes, { limit: nodes.length });
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
          expect(weightAfter(req, result.candidates[i - 1])).toBeLessThanOrEqual(
            weightAfter(req, result.candidates[i]),
          );
        }
      }),
    );
  });
});

describe('place: large fleets', () => {
  it('checks every host below 100, and a bounded share above', () => {
    expect(defaultFeasibleLimit(50)).toBe(50);
    expect(defaultFeasibleLimit(1000)).toBe(100);
    expect(defaultFeasibleLimit(10_000)).toBe(100);
    expect(defaultFeasibleLimit(100_000)).toBe(1000);
  });

  it('still scans every host before declaring a job unschedulable', () => {
    const nodes = Array.from({ length: 5000 }, (_, i) =>
      node(`n${i}`, { allocated: { cpuMillis: 0, memoryMiB: 1024 } }),
    );
    const result = place(request, nodes);
    expect(result.candidates).toHaveLength(0);
    expect(result.nodesEvaluated).toBe(5000);
    expect(explain(result)).toBe('0/5000 hosts available: 5000 insufficient memory');
  });
});
