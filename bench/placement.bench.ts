/**
 * bench:placement: the pure scheduling core's decision time, no I/O. For each fleet size, hosts carry 10
 * containers each and a mix of jobs is placed: plain spread, binpack, and jobs with a constraint and an affinity.
 */
import { parseExpression } from '@berth/expressions';
import { NodeSnapshot, place, PlacementRequest } from '@berth/scheduling';
import { percentile, printTable, round, writeResult } from './report';

const SIZES = [100, 1_000, 10_000];
const DECISIONS = 3_000;

function fleet(size: number): NodeSnapshot[] {
  return Array.from({ length: size }, (_, i) => ({
    id: `host-${i}`,
    ready: i % 50 !== 0,
    schedulable: true,
    capacity: { cpuMillis: 32_000, memoryMiB: 65_536 },
    allocated: { cpuMillis: (i * 37) % 30_000, memoryMiB: (i * 997) % 60_000 },
    labels: { node: `host-${i}`, zone: `zone-${i % 4}`, disk: i % 3 === 0 ? 'ssd' : 'hdd' },
    containers: 10,
    workloads: Array.from({ length: 10 }, (_, c) => ({
      jobId: `job-${i}-${c}`,
      name: `svc-${i}-${c}`,
      image: c % 2 === 0 ? 'nginx:1.25' : 'redis:7',
      labels: { team: `team-${c % 5}` },
      ports: c === 0 ? [8000 + (i % 100)] : [],
    })),
    images: ['nginx:1.25', 'nginx', 'redis:7', 'redis'],
  }));
}

function request(i: number): PlacementRequest {
  const base: PlacementRequest = {
    jobId: `bench-${i}`,
    resources: { cpuMillis: 250, memoryMiB: 256 },
    strategy: 'spread',
    constraints: [],
    affinities: [],
    ports: [],
    dependencies: [],
  };
  switch (i % 4) {
    case 0:
      return base;
    case 1:
      return { ...base, strategy: 'binpack' };
    case 2:
      return { ...base, constraints: [parseExpression('zone==zone-1'), parseExpression('disk==~ssd')] };
    default:
      return {
        ...base,
        affinities: [parseExpression('image==redis*')],
        constraints: [parseExpression('node!=host-7')],
      };
  }
}

function main(): void {
  const rows = [];
  const results = [];
  for (const size of SIZES) {
    const nodes = fleet(size);
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) {
      place(request(i), nodes); // warm-up
    }
    const timings: number[] = [];
    let found = 0;
    for (let i = 0; i < DECISIONS; i++) {
      const start = process.hrtime.bigint();
      const result = place(request(i), nodes);
      timings.push(Number(process.hrtime.bigint() - start) / 1e6);
      found += result.candidates.length > 0 ? 1 : 0;
    }
    const heapAfter = process.memoryUsage().heapUsed;
    const entry = {
      hosts: size,
      containers: size * 10,
      decisions: DECISIONS,
      placed: found,
      p50Ms: round(percentile(timings, 50), 4),
      p99Ms: round(percentile(timings, 99), 4),
      maxMs: round(Math.max(...timings), 3),
      fleetHeapMiB: round(Math.max(0, heapBefore - baselineHeap) / 1048576, 1),
      heapGrowthMiB: round((heapAfter - heapBefore) / 1048576, 1),
    };
    results.push(entry);
    rows.push(entry);
  }
  printTable('bench:placement (pure core, one decision = filter + rank, no I/O)', rows);
  console.log(`\nwrote ${writeResult('placement', { measuredAt: new Date().toISOString(), results })}`);
}

const baselineHeap = process.memoryUsage().heapUsed;
main();
