/**
 * bench:placement: the pure scheduling core's decision time, no I/O. For each fleet size, hosts carry 10
 * containers each and a mix of jobs is placed: plain spread, binpack, and jobs with a constraint and an affinity.
 * Then the cost of the strict wire decode of a place-job message (what every delivery pays before placement),
 * next to the decision it precedes.
 */
import { decodePlaceJob, PlaceJob } from '@berth/contracts';
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
    namespace: 'default',
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

/** A place-job as the gateway publishes it, with most fields of a job set (the decoder checks every one). */
function placeJobBody(i: number): Buffer {
  const message: PlaceJob = {
    type: 'place-job',
    jobId: `0b6f1c2e-8d4a-4f7b-9c3e-${String(i).padStart(12, '0')}`,
    namespace: 'default',
    spec: {
      image: 'registry.local:5000/team/web:1.25',
      name: `web-${i}`,
      cmd: ['sh', '-c', 'exec nginx -g "daemon off;"'],
      workingDir: '/srv/app',
      env: { MODE: 'production', LOG_LEVEL: 'info', WORKERS: '4' },
      labels: { team: 'front', tier: 'web' },
      resources: { cpuMillis: 250, memoryMiB: 256 },
      strategy: 'spread',
      constraints: ['zone==zone-1', 'disk==~/ssd|nvme/'],
      affinities: ['image!=redis*'],
      ports: [8080],
      placementTimeoutSeconds: 300,
    },
    submittedAt: new Date(1_700_000_000_000 + i).toISOString(),
    attempt: 0,
  };
  return Buffer.from(JSON.stringify(message));
}

/** Decode time per message, p50 and p99 over many, with JSON.parse included: the body arrives as bytes. */
function decodeCost(): { p50Ms: number; p99Ms: number; meanMs: number } {
  const bodies = Array.from({ length: 1_000 }, (_, i) => placeJobBody(i));
  for (let i = 0; i < 5_000; i++) {
    decodePlaceJob(bodies[i % bodies.length]); // warm-up
  }
  const timings: number[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < 30_000; i++) {
    const start = process.hrtime.bigint();
    decodePlaceJob(bodies[i % bodies.length]);
    timings.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const meanMs = Number(process.hrtime.bigint() - started) / 1e6 / timings.length;
  return {
    p50Ms: round(percentile(timings, 50), 4),
    p99Ms: round(percentile(timings, 99), 4),
    meanMs: round(meanMs, 4),
  };
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
  const decode = decodeCost();
  const decodeRows = results.map((r) => ({
    hosts: r.hosts,
    decodeP50Ms: decode.p50Ms,
    decisionP50Ms: r.p50Ms,
    decodeShareOfDecision: `${round((100 * decode.p50Ms) / r.p50Ms, 1)}%`,
  }));
  printTable('decodePlaceJob (strict wire decode of one place-job, JSON.parse included) next to the decision', [
    ...decodeRows,
  ]);
  console.log(`decode: p50 ${decode.p50Ms} ms, p99 ${decode.p99Ms} ms, mean ${decode.meanMs} ms per message`);
  console.log(
    `\nwrote ${writeResult('placement', { measuredAt: new Date().toISOString(), results, decode, decodeRows })}`,
  );
}

const baselineHeap = process.memoryUsage().heapUsed;
main();
