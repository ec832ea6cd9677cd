/**
 * bench:scheduler: the whole placement path through the real RabbitMQ and Redis, with a SIMULATED fleet of
 * 1,000 hosts (bench/simulated-fleet.ts) in place of agents and Docker. Jobs are submitted as the gateway does
 * (job record in Redis, then a confirmed publish), placed by real scheduler processes, and counted as placed when
 * the simulated host receives the create command.
 *
 * Phases: throughput with 1 and 2 scheduler replicas; latency at an offered 1,000 jobs/s; and a Swarm-style
 * serialized baseline (one job at a time: choose, reserve, dispatch, wait for the host's answer).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DEFAULT_PLACEMENT_TIMEOUT_SECONDS, JobSpec, RETRY_DELAYS_MS, topologyFor } from '@berth/contracts';
import { Messaging } from '@berth/messaging';
import { BerthState } from '@berth/state';
import { percentile, printTable, round, writeResult } from './report';
import { SimulatedFleet } from './simulated-fleet';
import { AMQP_URL, REDIS_URL } from '../test/support/cluster';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 1000);
const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const OFFERED_RATES = (process.env.BENCH_RATES ?? '500,1000').split(',').map(Number);
const OFFERED_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const SERIAL_JOBS = Number(process.env.BENCH_SERIAL_JOBS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_SCHEDULER_CONCURRENCY ?? 128);
// A fixed prefix: a run cleans up what an interrupted run left behind before it starts.
const PREFIX = 'bench';
// Room for 24 jobs of 250 millicores / 64 MiB per host: 24,000 slots for 20,000 jobs keeps the books tight.
const CAPACITY = { cpuMillis: 6000, memoryMiB: 1536 };
const SPEC: JobSpec = {
  image: 'simulated/app:1',
  env: {},
  labels: {},
  resources: { cpuMillis: 250, memoryMiB: 64 },
  placementTimeoutSeconds: DEFAULT_PLACEMENT_TIMEOUT_SECONDS,
};

const log = { log: () => undefined, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };

interface PhaseResult {
  phase: string;
  replicas: number;
  jobs: number;
  placed: number;
  placementsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  conflicts: number;
  overcommits: number;
  duplicateDispatches: number;
}

class Bench {
  private schedulers: Array<{ child: ChildProcess; output: string }> = [];
  private readonly submittedAt = new Map<string, number>();

  constructor(
    readonly state: BerthState,
    readonly amqp: Messaging,
    readonly fleet: SimulatedFleet,
  ) {}

  startSchedulers(count: number, concurrency: number): void {
    for (let i = 0; i < count; i++) {
      const child = spawn(process.execPath, [join(__dirname, '..', 'apps', 'scheduler', 'src', 'main.js')], {
        env: {
          ...process.env,
          BERTH_PREFIX: PREFIX,
          BERTH_AMQP_URL: AMQP_URL,
          BERTH_REDIS_URL: REDIS_URL,
          BERTH_SCHEDULER_CONCURRENCY: String(concurrency),
          NO_COLOR: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const entry = { child, output: '' };
      child.stdout?.on('data', (d: Buffer) => (entry.output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (entry.output += d.toString()));
      this.schedulers.push(entry);
    }
  }

  /** Stops the schedulers and returns the conflicts they counted. */
  async stopSchedulers(): Promise<number> {
    let conflicts = 0;
    await Promise.all(
      this.schedulers.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.child.exitCode !== null) {
              return resolve();
            }
            s.child.once('exit', () => resolve());
            s.child.kill('SIGTERM');
          }),
      ),
    );
    for (const s of this.schedulers) {
      conflicts += stoppedStats(s.output)?.conflicts ?? 0;
    }
    this.schedulers = [];
    return conflicts;
  }

  /** What the gateway does for one job: record it, then publish with a confirm. */
  async submit(): Promise<string> {
    const id = randomUUID();
    const now = new Date();
    await this.state.jobs.create(id, 'default', SPEC, now);
    this.submittedAt.set(id, performance.now());
    await this.amqp.publisher.sendJob({
      type: 'place-job',
      jobId: id,
      namespace: 'default',
      spec: SPEC,
      submittedAt: now.toISOString(),
      attempt: 0,
    });
    return id;
  }

  async submitMany(count: number, inFlight: number): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < count) {
          next++;
          await this.submit();
        }
      }),
    );
  }

  async submitAtRate(rate: number, seconds: number): Promise<number> {
    const total = rate * seconds;
    const start = performance.now();
    const pending: Promise<string>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) {
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      pending.push(this.submit());
    }
    await Promise.all(pending);
    return total;
  }

  latencies(): number[] {
    const values: number[] = [];
    for (const [id, placement] of this.fleet.placements) {
      const submitted = this.submittedAt.get(id);
      if (submitted !== undefined) {
        values.push(placement.at - submitted);
      }
    }
    return values;
  }

  /** Fresh books for the next phase: no jobs, no reservations, nothing allocated. */
  async reset(): Promise<void> {
    this.fleet.reset();
    this.submittedAt.clear();
    let cursor = '0';
    do {
      const [next, keys] = await this.state.redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) {
        await this.state.redis.del(...keys);
      }
    } while (cursor !== '0');
    await this.fleet.register();
  }

  async measure(phase: string, replicas: number, run: () => Promise<number>): Promise<PhaseResult> {
    await this.reset();
    this.startSchedulers(replicas, phase.startsWith('serial') ? 1 : CONCURRENCY);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // schedulers connect and read the fleet
    const start = performance.now();
    const jobs = await run();
    const allPlaced = await this.fleet.waitForPlacements(jobs, 120_000);
    const placedTimes = [...this.fleet.placements.values()].map((p) => p.at);
    const elapsed = (Math.max(...placedTimes) - start) / 1000;
    const latencies = this.latencies();
    const conflicts = await this.stopSchedulers();
    const nodes = await this.state.nodes.list();
    const overBooks = nodes.filter(
      (n) => n.allocated.cpuMillis > n.capacity.cpuMillis || n.allocated.memoryMiB > n.capacity.memoryMiB,
    ).length;
    const result: PhaseResult = {
      phase,
      replicas,
      jobs,
      placed: this.fleet.placements.size,
      placementsPerSec: round(this.fleet.placements.size / elapsed, 0),
      p50Ms: round(percentile(latencies, 50), 1),
      p99Ms: round(percentile(latencies, 99), 1),
      conflicts,
      overcommits: this.fleet.overcommittedHosts().length + overBooks,
      duplicateDispatches: this.fleet.duplicateDispatches,
    };
    if (!allPlaced) {
      console.warn(`${phase}: only ${this.fleet.placements.size} of ${jobs} placed within the time limit`);
    }
    console.log(`  ${phase}: ${JSON.stringify(result)}`);
    return result;
  }
}

/** The stats a scheduler logs as it stops (`stopped: {...}`), from its JSON log lines. */
function stoppedStats(output: string): { conflicts: number } | null {
  for (const line of output.split('\n')) {
    if (line.includes('"msg":"stopped: ')) {
      const { msg } = JSON.parse(line) as { msg: string };
      return JSON.parse(msg.slice('stopped: '.length)) as { conflicts: number };
    }
  }
  return null;
}

async function main(): Promise<void> {
  await cleanUpQueues();
  const state = BerthState.connect(REDIS_URL, 'bench', { prefix: PREFIX, nodeTimeoutMs: 30_000 });
  const amqp = await Messaging.connect(AMQP_URL, topologyFor(PREFIX), log);
  const fleet = new SimulatedFleet(state, amqp, SimulatedFleet.ids(HOSTS), CAPACITY);
  const bench = new Bench(state, amqp, fleet);
  console.log(`bench:scheduler: ${HOSTS} SIMULATED hosts (no Docker), ${JOBS} jobs, real RabbitMQ and Redis`);
  await fleet.register();
  const started = performance.now();
  await fleet.start();
  console.log(
    `  the simulated fleet consumes ${HOSTS} host queues (set up in ${round((performance.now() - started) / 1000, 1)} s)`,
  );

  const results: PhaseResult[] = [];
  try {
    results.push(await bench.measure('throughput', 1, async () => (await bench.submitMany(JOBS, 256), JOBS)));
    results.push(await bench.measure('throughput', 2, async () => (await bench.submitMany(JOBS, 256), JOBS)));
    for (const rate of OFFERED_RATES) {
      results.push(await bench.measure(`offered ${rate}/s`, 1, () => bench.submitAtRate(rate, OFFERED_SECONDS)));
    }
    results.push(
      await bench.measure('serial (Swarm-style)', 1, async () => {
        // One job at a time: the next is submitted only when the host has answered for the previous one.
        for (let i = 0; i < SERIAL_JOBS; i++) {
          await bench.submit();
          await fleet.waitForPlacements(i + 1, 10_000);
        }
        return SERIAL_JOBS;
      }),
    );
  } finally {
    fleet.stop();
    await bench.stopSchedulers();
  }

  printTable(
    `bench:scheduler (${HOSTS} SIMULATED hosts, real RabbitMQ and Redis, 2-core machine)`,
    results.map((r) => ({ ...r })),
  );
  const best = results
    .filter((r) => r.phase === 'throughput')
    .sort((a, b) => b.placementsPerSec - a.placementsPerSec)[0];
  const offered =
    results.find((r) => r.phase === 'offered 1000/s') ?? results.find((r) => r.phase.startsWith('offered'));
  const serial = results.find((r) => r.phase.startsWith('serial'));
  const file = writeResult('scheduler', {
    measuredAt: new Date().toISOString(),
    simulatedHosts: HOSTS,
    jobs: JOBS,
    placementsPerSec: best.placementsPerSec,
    p50Ms: offered?.p50Ms,
    p99Ms: offered?.p99Ms,
    overcommits: results.reduce((sum, r) => sum + r.overcommits, 0),
    serialPlacementsPerSec: serial?.placementsPerSec,
    phases: results,
  });
  console.log(`\nwrote ${file}`);
  await amqp.close();
  await cleanUpQueues();
  await state.close();
}

/** Deletes the benchmark's queues so they do not linger in the broker. */
async function cleanUpQueues(): Promise<void> {
  const { connect } = await import('amqplib');
  const connection = await connect(AMQP_URL);
  const channel = await connection.createChannel();
  const t = topologyFor(PREFIX);
  const names = [
    t.jobs,
    t.outcomes,
    t.deadLetters,
    ...RETRY_DELAYS_MS.map((d) => t.jobsRetry(d)),
    ...SimulatedFleet.ids(HOSTS).map((id) => t.nodeQueue(id)),
  ];
  await Promise.all(names.map((name) => channel.deleteQueue(name)));
  await connection.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
