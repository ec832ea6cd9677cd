/**
 * bench:scheduler: the whole placement path through the real RabbitMQ and Redis, with a SIMULATED fleet of
 * 1,000 hosts (bench/simulated-fleet.ts) in place of agents and Docker. Redis is the bench's own, with an
 * append-only file synced every second (`appendfsync everysec`); the schedulers run with their default settings.
 * Jobs are submitted as the gateway does (job record in Redis, then a confirmed publish), or through the gateway
 * itself over HTTP, placed by real scheduler processes, counted as placed when the simulated host receives the
 * create command, and reported running by the host as its agent does.
 *
 * Phases: the broker's own ceiling for the same message pattern (no Berth logic); throughput with 1 and 2
 * scheduler replicas; latency at offered rates; the same through the HTTP gateway; and a Swarm-style serialized
 * baseline (one job at a time: choose, reserve, dispatch, wait for the host's answer). Between phases every
 * queue's depth is recorded, then the queues are purged and Redis is emptied.
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  DEFAULT_PLACEMENT_TIMEOUT_SECONDS,
  JobSpec,
  JobTrace,
  RETRY_DELAYS_MS,
  topologyFor,
  traceNow,
} from '@berth/contracts';
import { Messaging } from '@berth/messaging';
import { BerthState } from '@berth/state';
import { BenchServices, benchFleetUser, cpuSecondsOf, pidsOf, rssMiBOf } from './bench-services';
import { measureBrokerCeiling } from './broker-ceiling';
import { percentile, printTable, round, writeResult } from './report';
import { SimulatedFleet } from './simulated-fleet';
import { AMQP_URL, RABBITMQ_MANAGEMENT_URL } from '../test/support/cluster';
import { OwnRedis } from '../test/support/redis-server';

const HOSTS = Number(process.env.BENCH_HOSTS ?? 1000);
const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const HTTP_JOBS = Number(process.env.BENCH_HTTP_JOBS ?? 5_000);
const OFFERED_RATES = (process.env.BENCH_RATES ?? '500,1000').split(',').map(Number);
const OFFERED_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const SERIAL_JOBS = Number(process.env.BENCH_SERIAL_JOBS ?? 500);
/** Only the phases whose names (with ` x<replicas>`) start with one of these, comma-separated: for a quick look. */
const ONLY = process.env.BENCH_ONLY?.split(',');
/** Submissions in flight at once in the throughput phases (the gateway's clients, together). */
const IN_FLIGHT = 256;
// A fixed prefix: a run cleans up what an interrupted run left behind before it starts.
const PREFIX = 'bench';
// Room for 32 jobs of the average 250 millicores / 64 MiB per host: 32,000 slots for 20,000 jobs.
const CAPACITY = { cpuMillis: 8000, memoryMiB: 2048 };
/** Jobs of several sizes, a quarter of them bound to a zone, so hosts fill unevenly, as they do. */
const SPECS: JobSpec[] = [
  { cpuMillis: 100, memoryMiB: 32 },
  { cpuMillis: 250, memoryMiB: 64 },
  { cpuMillis: 400, memoryMiB: 96 },
  { cpuMillis: 250, memoryMiB: 64 },
].map((resources, i) => ({
  image: 'simulated/app:1',
  env: { SIZE: String(i) },
  labels: { tier: i % 2 === 0 ? 'web' : 'worker' },
  resources,
  placementTimeoutSeconds: DEFAULT_PLACEMENT_TIMEOUT_SECONDS,
  ...(i === 3 ? { constraints: [`zone==zone-${i}`] } : {}),
}));

const log = { log: () => undefined, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };

/** Milliseconds between two trace stamps (µs), when both are there. */
function hopMs(from: number | undefined, to: number | undefined): number | null {
  return from === undefined || to === undefined ? null : (to - from) / 1000;
}

interface HopFigures {
  p50Ms: number;
  p99Ms: number;
}

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
  benchEventLoopP99Ms: number;
  schedulerEventLoopP99Ms: number | null;
  /** The largest scheduler's resident memory as the phase ended (its view holds every host and what runs there). */
  schedulerRssMiB: number;
  gatewayEventLoopP99Ms?: number | null;
  /** Where the time went, hop by hop, from the messages' traces. */
  hops: Record<string, HopFigures>;
  /** Messages left in each queue when the phase ended (before the purge). */
  queuesAtEnd: Record<string, number>;
  /** How long the schedulers took after the last placement to have acted on every host's report. */
  outcomesDrainedMs: number;
  /** CPU seconds each part used during the phase, per 1,000 placements (the machine has 2 cores). */
  cpuPer1000: Record<string, number>;
}

class Bench {
  private readonly submittedAt = new Map<string, number>();
  private readonly loop = monitorEventLoopDelay({ resolution: 5 });
  private gatewayUrl = '';
  private sequence = 0;

  constructor(
    readonly state: BerthState,
    readonly amqp: Messaging,
    readonly fleet: SimulatedFleet,
    readonly services: BenchServices,
    readonly redisPid: () => number | undefined,
  ) {
    this.loop.enable();
  }

  /** CPU seconds used so far by RabbitMQ, Redis, the schedulers, the gateway, and this process (bench and fleet). */
  private cpu(): Record<string, number> {
    const ofServices = (prefix: string) =>
      this.services.running
        .filter((s) => s.name.startsWith(prefix))
        .reduce((sum, s) => sum + cpuSecondsOf(s.child.pid), 0);
    const own = process.cpuUsage();
    return {
      rabbitmq: pidsOf('beam.smp').reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
      redis: cpuSecondsOf(this.redisPid()),
      schedulers: ofServices('scheduler'),
      gateway: ofServices('gateway'),
      benchAndFleet: (own.user + own.system) / 1e6,
    };
  }

  private nextSpec(): JobSpec {
    return SPECS[this.sequence++ % SPECS.length];
  }

  /** What the gateway does for one job: record it, then publish with a confirm. The clock starts before both. */
  async submit(): Promise<string> {
    const id = randomUUID();
    const spec = this.nextSpec();
    this.submittedAt.set(id, performance.now());
    const now = new Date();
    await this.state.jobs.create(id, 'default', spec, now);
    await this.amqp.publisher.sendJob({
      type: 'place-job',
      jobId: id,
      namespace: 'default',
      spec,
      submittedAt: now.toISOString(),
      attempt: 0,
      trace: { acceptedUs: traceNow() },
    });
    return id;
  }

  /** One job through the HTTP gateway, as a client posts it: the clock starts before the request. */
  async submitOverHttp(): Promise<string> {
    const spec = this.nextSpec();
    const started = performance.now();
    const body = JSON.stringify({
      image: spec.image,
      env: spec.env,
      labels: spec.labels,
      resources: spec.resources,
      ...(spec.constraints ? { constraints: spec.constraints } : {}),
    });
    // As a careful client does: a key per job, so a request retried after a dropped connection is not a second job.
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${this.services.adminToken}`,
      'idempotency-key': randomUUID(),
    };
    const post = () => fetch(`${this.gatewayUrl}/v1/jobs`, { method: 'POST', headers, body });
    const response = await post().catch(() => post());
    if (response.status !== 202) {
      throw new Error(`POST /v1/jobs: ${response.status} ${await response.text()}`);
    }
    const { id } = (await response.json()) as { id: string };
    this.submittedAt.set(id, started);
    return id;
  }

  async submitMany(count: number, inFlight: number, submit: () => Promise<string>): Promise<number> {
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < count) {
          next++;
          await submit();
        }
      }),
    );
    return count;
  }

  async submitAtRate(rate: number, seconds: number, submit: () => Promise<string>): Promise<number> {
    const total = rate * seconds;
    const start = performance.now();
    const pending: Promise<string>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) {
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      pending.push(submit());
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

  /** Submission to the jobs queue, the wait there, the scheduler's decision and reservation, the host's queue. */
  hops(): Record<string, HopFigures> {
    const spans: Record<string, (t: JobTrace, receivedUs: number) => number | null> = {
      jobQueue: (t) => hopMs(t.acceptedUs, t.consumedUs),
      admitDecideReserve: (t) => hopMs(t.consumedUs, t.reservedUs),
      dispatch: (t) => hopMs(t.reservedUs, t.dispatchedUs),
      hostQueue: (t, received) => hopMs(t.dispatchedUs, received),
    };
    const figures: Record<string, HopFigures> = {};
    for (const [name, span] of Object.entries(spans)) {
      const values = [...this.fleet.placements.values()]
        .map((p) => span(p.trace, p.receivedUs))
        .filter((v): v is number => v !== null);
      figures[name] = { p50Ms: round(percentile(values, 50), 2), p99Ms: round(percentile(values, 99), 2) };
    }
    return figures;
  }

  /** Jobs whose record says running: the schedulers have acted on their host's report. */
  async runningJobs(): Promise<number> {
    const ids = await this.state.redis.zrange(this.state.keys.jobIndex, 0, -1);
    const pipeline = this.state.redis.pipeline();
    ids.forEach((id) => pipeline.hget(this.state.keys.job(id), 'status'));
    const statuses = (await pipeline.exec()) ?? [];
    return statuses.filter(([, status]) => status === 'running').length;
  }

  private queues(): Record<string, string[]> {
    const t = this.amqp.topology;
    return {
      jobs: [t.jobs],
      waiting: RETRY_DELAYS_MS.map((d) => t.jobsRetry(d)),
      outcomes: [t.outcomes],
      nodeRequests: [t.nodeRequests],
      deadLetters: [t.deadLetters],
      hosts: this.fleet.hostIds.map((id) => t.nodeQueue(id)),
    };
  }

  /** Messages in each group of queues now. */
  async queueDepths(): Promise<Record<string, number>> {
    const depths: Record<string, number> = {};
    for (const [role, names] of Object.entries(this.queues())) {
      const counts = await Promise.all(names.map((name) => this.amqp.declarations.stats(name)));
      depths[role] = counts.reduce((sum, c) => sum + (c?.messages ?? 0), 0);
    }
    return depths;
  }

  /** Fresh books and empty queues for the next phase: no jobs, no reservations, nothing allocated. */
  async reset(): Promise<void> {
    this.fleet.reset();
    this.submittedAt.clear();
    const model = this.amqp.broker.model;
    if (model) {
      const channel = await model.createChannel();
      for (const name of Object.values(this.queues()).flat()) {
        await channel.purgeQueue(name).catch(() => undefined);
      }
      await channel.close();
    }
    await this.state.redis.flushdb();
    await this.fleet.register();
  }

  async measure(
    phase: string,
    options: { replicas: number; http?: boolean },
    run: () => Promise<number>,
  ): Promise<PhaseResult | null> {
    if (ONLY && !ONLY.some((name) => `${phase} x${options.replicas}`.startsWith(name))) {
      return null;
    }
    await this.reset();
    const schedulers = Array.from({ length: options.replicas }, (_, i) => this.services.scheduler(`scheduler-${i}`));
    const gateway = options.http ? this.services.gateway() : null;
    if (gateway) {
      this.gatewayUrl = gateway.url;
      const ready = await waitUntil(
        async () => (await fetch(`${gateway.url}/readyz`).catch(() => null))?.ok === true,
        30_000,
      );
      if (!ready) {
        throw new Error(`the gateway did not become ready:\n${gateway.service.output.slice(-2000)}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1500)); // schedulers connect and read the fleet
    await Promise.all(schedulers.map((s) => this.services.eventLoopP99Ms(s))); // resets their histograms
    if (gateway) {
      await this.services.eventLoopP99Ms(gateway.service);
    }
    this.loop.reset();
    const cpuBefore = this.cpu();
    const start = performance.now();
    const jobs = await run();
    const allPlaced = await this.fleet.waitForPlacements(jobs, 180_000);
    const placedTimes = [...this.fleet.placements.values()].map((p) => p.at);
    const lastPlaced = Math.max(...placedTimes);
    const elapsed = (lastPlaced - start) / 1000;
    const benchLoop = this.loop.percentile(99) / 1e6;
    const cpuAfter = this.cpu();
    const cpuPer1000 = Object.fromEntries(
      Object.entries(cpuAfter).map(([part, seconds]) => [
        part,
        round(((seconds - cpuBefore[part]) / this.fleet.placements.size) * 1000, 3),
      ]),
    );
    const schedulerLoops = await Promise.all(schedulers.map((s) => this.services.eventLoopP99Ms(s)));
    const gatewayLoop = gateway ? await this.services.eventLoopP99Ms(gateway.service) : undefined;
    // Every host's report acted on (the job marked running) before the schedulers stop.
    await waitUntil(async () => (await this.runningJobs()) >= this.fleet.placements.size, 60_000);
    const outcomesDrainedMs = performance.now() - lastPlaced;
    const latencies = this.latencies();
    const schedulerRssMiB = Math.max(...schedulers.map((s) => rssMiBOf(s.child.pid)));
    const queuesAtEnd = await this.queueDepths();
    const conflicts = await this.services.stopAll();
    const nodes = await this.state.nodes.list();
    const overBooks = nodes.filter(
      (n) => n.allocated.cpuMillis > n.capacity.cpuMillis || n.allocated.memoryMiB > n.capacity.memoryMiB,
    ).length;
    const known = schedulerLoops.filter((v): v is number => v !== null);
    const result: PhaseResult = {
      phase,
      replicas: options.replicas,
      jobs,
      placed: this.fleet.placements.size,
      placementsPerSec: round(this.fleet.placements.size / elapsed, 0),
      p50Ms: round(percentile(latencies, 50), 1),
      p99Ms: round(percentile(latencies, 99), 1),
      conflicts,
      overcommits: this.fleet.overcommittedHosts().length + overBooks,
      duplicateDispatches: this.fleet.duplicateDispatches,
      benchEventLoopP99Ms: round(benchLoop, 1),
      schedulerEventLoopP99Ms: known.length > 0 ? round(Math.max(...known), 1) : null,
      schedulerRssMiB: round(schedulerRssMiB, 0),
      ...(gateway ? { gatewayEventLoopP99Ms: gatewayLoop === null ? null : round(gatewayLoop ?? NaN, 1) } : {}),
      hops: this.hops(),
      queuesAtEnd,
      outcomesDrainedMs: round(outcomesDrainedMs, 0),
      cpuPer1000,
    };
    if (!allPlaced) {
      console.warn(`${phase}: only ${this.fleet.placements.size} of ${jobs} placed within the time limit`);
    }
    console.log(`  ${phase}: ${JSON.stringify(result)}`);
    return result;
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

async function main(): Promise<void> {
  await cleanUpQueues();
  const redis = new OwnRedis({ appendOnly: true });
  await redis.start();
  const fleetUser = await benchFleetUser(RABBITMQ_MANAGEMENT_URL, AMQP_URL, PREFIX);
  const state = BerthState.connect(redis.url, 'bench', { prefix: PREFIX, nodeTimeoutMs: 30_000 });
  const persistence = (await state.redis.config('GET', 'append*')) as string[];
  const amqp = await Messaging.connect(fleetUser.url, topologyFor(PREFIX), log);
  const fleet = new SimulatedFleet(state, amqp, SimulatedFleet.ids(HOSTS), CAPACITY);
  const services = new BenchServices({
    BERTH_PREFIX: PREFIX,
    BERTH_AMQP_URL: AMQP_URL,
    BERTH_REDIS_URL: redis.url,
    BERTH_RABBITMQ_MANAGEMENT_URL: RABBITMQ_MANAGEMENT_URL,
  });
  const bench = new Bench(state, amqp, fleet, services, () => redis.pid);
  console.log(
    `bench:scheduler: ${HOSTS} SIMULATED hosts (no Docker), ${JOBS} jobs, real RabbitMQ and Redis ` +
      `(${persistence.join(' ')})`,
  );
  await fleet.register();
  const started = performance.now();
  await fleet.start();
  console.log(
    `  the simulated fleet consumes ${HOSTS} host queues (set up in ${round((performance.now() - started) / 1000, 1)} s)`,
  );

  const ceiling =
    ONLY?.includes('ceiling') === false
      ? { perSec: NaN }
      : await measureBrokerCeiling(AMQP_URL, {
          jobs: JOBS,
          hosts: HOSTS,
          inFlight: IN_FLIGHT,
          prefix: `${PREFIX}-ceiling`,
        });
  console.log(`  broker ceiling (the same messages, no Berth logic): ${JSON.stringify(ceiling)}`);

  const direct = () => bench.submit();
  const http = () => bench.submitOverHttp();
  const phases: Array<PhaseResult | null> = [];
  try {
    phases.push(await bench.measure('throughput', { replicas: 1 }, () => bench.submitMany(JOBS, IN_FLIGHT, direct)));
    phases.push(await bench.measure('throughput', { replicas: 2 }, () => bench.submitMany(JOBS, IN_FLIGHT, direct)));
    for (const rate of OFFERED_RATES) {
      phases.push(
        await bench.measure(`offered ${rate}/s`, { replicas: 1 }, () =>
          bench.submitAtRate(rate, OFFERED_SECONDS, direct),
        ),
      );
    }
    phases.push(
      await bench.measure('http throughput', { replicas: 1, http: true }, () =>
        bench.submitMany(HTTP_JOBS, IN_FLIGHT, http),
      ),
    );
    phases.push(
      await bench.measure('http offered 1000/s', { replicas: 1, http: true }, () =>
        bench.submitAtRate(1000, OFFERED_SECONDS, http),
      ),
    );
    phases.push(
      await bench.measure('serial (Swarm-style)', { replicas: 1 }, async () => {
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
    await services.stopAll();
  }
  const results = phases.filter((r): r is PhaseResult => r !== null);

  printTable(
    `bench:scheduler (${HOSTS} SIMULATED hosts, real RabbitMQ and Redis with appendfsync everysec, 2-core machine)`,
    results.map(({ hops, queuesAtEnd, cpuPer1000, ...r }) => ({
      ...r,
      schedulerEventLoopP99Ms: r.schedulerEventLoopP99Ms ?? '-',
      gatewayEventLoopP99Ms: r.gatewayEventLoopP99Ms ?? '-',
      decideP99Ms: hops.admitDecideReserve.p99Ms,
      jobQueueP99Ms: hops.jobQueue.p99Ms,
      hostQueueP99Ms: hops.hostQueue.p99Ms,
      leftInQueues: Object.values(queuesAtEnd).reduce((a, b) => a + b, 0),
      cpuSecondsPer1000: Object.entries(cpuPer1000)
        .map(([part, s]) => `${part} ${s}`)
        .join(', '),
    })),
  );
  const best = results
    .filter((r) => r.phase === 'throughput')
    .sort((a, b) => b.placementsPerSec - a.placementsPerSec)[0];
  const offered =
    results.find((r) => r.phase === 'offered 1000/s') ?? results.find((r) => r.phase.startsWith('offered'));
  const overHttp = results.find((r) => r.phase === 'http throughput');
  const overHttpOffered = results.find((r) => r.phase === 'http offered 1000/s');
  const serial = results.find((r) => r.phase.startsWith('serial'));
  const file = writeResult(ONLY ? 'scheduler-partial' : 'scheduler', {
    measuredAt: new Date().toISOString(),
    simulatedHosts: HOSTS,
    jobs: JOBS,
    redis: Object.fromEntries(persistence.flatMap((v, i, a) => (i % 2 === 0 ? [[v, a[i + 1]]] : []))),
    placementsPerSec: best?.placementsPerSec,
    p50Ms: offered?.p50Ms,
    p99Ms: offered?.p99Ms,
    placementsPerSecViaHttp: overHttp?.placementsPerSec,
    p50MsViaHttp: overHttpOffered?.p50Ms,
    p99MsViaHttp: overHttpOffered?.p99Ms,
    brokerCeilingPerSec: ceiling.perSec,
    brokerCeiling: ceiling,
    ratioToBrokerCeiling: best ? round(best.placementsPerSec / ceiling.perSec, 2) : undefined,
    overcommits: results.reduce((sum, r) => sum + r.overcommits, 0),
    duplicateDispatches: results.reduce((sum, r) => sum + r.duplicateDispatches, 0),
    benchEventLoopP99Ms: Math.max(...results.map((r) => r.benchEventLoopP99Ms)),
    serialPlacementsPerSec: serial?.placementsPerSec,
    phases: results,
  });
  console.log(`\nwrote ${file}`);
  await amqp.close();
  await cleanUpQueues();
  await fleetUser.remove();
  await state.close();
  await redis.stop();
}

/** Deletes the benchmark's queues so they do not linger in the broker. */
async function cleanUpQueues(): Promise<void> {
  const { connect } = await import('amqplib');
  const connection = await connect(AMQP_URL);
  const t = topologyFor(PREFIX);
  const names = [
    t.jobs,
    t.outcomes,
    t.nodeRequests,
    t.deadLetters,
    ...RETRY_DELAYS_MS.map((d) => t.jobsRetry(d)),
    ...SimulatedFleet.ids(HOSTS).map((id) => t.nodeQueue(id)),
  ];
  const channel = await connection.createChannel();
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
