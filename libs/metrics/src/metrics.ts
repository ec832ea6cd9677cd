import { createServer, Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Berth's Prometheus metrics, every name defined here once: the `berth_` namespace, base units (seconds, bytes,
 * cores), `_total` on counters, and never a job id in a label (each label's values are a small, fixed set, or the
 * fleet's host ids). The names follow kube-scheduler's where one exists.
 */

/** A registry with the process's default metrics (CPU, memory, event loop, GC), every series labelled `service`. */
export function metricsRegistry(service: 'gateway' | 'scheduler' | 'agent'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  // prom-client names a few gauges `_total` (nodejs_active_handles_total...), which promtool rejects: a `_total`
  // is a counter. Those go; the same counts remain per type (nodejs_active_handles, ...).
  for (const metric of registry.getMetricsAsArray()) {
    if (metric.name.endsWith('_total') && String(metric.type) === 'gauge') {
      registry.removeSingleMetric(metric.name);
    }
  }
  return registry;
}

/** Serves `GET /metrics` (Prometheus' text format) on a port of its own; anything else is a 404. */
export async function serveMetrics(registry: Registry, port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => response.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** Latency buckets from 1 ms to a minute: a placement takes milliseconds, a pull can take a minute. */
const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const SCHEDULE_RESULTS = ['placed', 'waiting', 'unschedulable', 'error'] as const;
export type ScheduleResult = (typeof SCHEDULE_RESULTS)[number];

export class SchedulerMetrics {
  readonly attempts: Counter<'result'>;
  readonly attemptDuration: Histogram<'result'>;
  readonly submitToPlaced: Histogram;
  readonly conflicts: Counter;

  constructor(registry: Registry) {
    this.attempts = new Counter({
      name: 'berth_schedule_attempts_total',
      help: 'Placement attempts by result: placed, waiting (no room yet), unschedulable (gave up), error.',
      labelNames: ['result'],
      registers: [registry],
    });
    this.attemptDuration = new Histogram({
      name: 'berth_scheduling_attempt_duration_seconds',
      help: 'How long one placement attempt took, from its delivery to its decision, by result.',
      labelNames: ['result'],
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    });
    this.submitToPlaced = new Histogram({
      name: 'berth_job_submit_to_placed_seconds',
      help: "From a job's submission (or its rescheduling) to its reservation on a host.",
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    });
    this.conflicts = new Counter({
      name: 'berth_reservation_conflicts_total',
      help: 'Reservations refused because another placement took the room first (this process or another).',
      registers: [registry],
    });
    for (const result of SCHEDULE_RESULTS) {
      this.attempts.inc({ result }, 0); // every series exists from the start, so rate() sees its first increase
    }
  }

  attempted(result: ScheduleResult, seconds: number): void {
    this.attempts.inc({ result });
    this.attemptDuration.observe({ result }, seconds);
  }

  placed(submittedAt: string): void {
    this.submitToPlaced.observe(Math.max(0, (Date.now() - Date.parse(submittedAt)) / 1000));
  }

  conflict(): void {
    this.conflicts.inc();
  }
}

/** What the cluster looks like, read at each scrape (from Redis and the broker), not counted in this process. */
export interface ClusterReadings {
  nodes(): Promise<
    Array<{
      id: string;
      status: string;
      capacity: { cpuMillis: number; memoryMiB: number };
      allocated: { cpuMillis: number; memoryMiB: number };
    }>
  >;
  /** Jobs waiting to be placed: in the jobs queue (active), and between tries (waiting). */
  pending(): Promise<{ active: number; waiting: number }>;
}

export const NODE_STATES = ['ready', 'restoring', 'down'] as const;
const MIB = 1024 * 1024;

/** Gauges of the cluster's state, collected at scrape time: hosts by state, each host's books, pending jobs. */
export function clusterGauges(registry: Registry, readings: ClusterReadings): void {
  let nodes: Awaited<ReturnType<ClusterReadings['nodes']>> = [];
  // One read of the hosts serves every gauge of a scrape: the first gauge collected reads, the others reuse it.
  let read: Promise<void> | null = null;
  const readNodes = (): Promise<void> =>
    (read ??= readings
      .nodes()
      .then((list) => void (nodes = list))
      .finally(() => setImmediate(() => (read = null))));
  const perNode = (name: string, help: string, value: (n: (typeof nodes)[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers: [registry],
      async collect() {
        await readNodes();
        this.reset();
        for (const node of nodes) {
          this.set({ node: node.id }, value(node));
        }
      },
    });
  new Gauge({
    name: 'berth_nodes',
    help: 'Hosts by state.',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      await readNodes();
      for (const state of NODE_STATES) {
        this.set({ state }, nodes.filter((n) => n.status === state).length);
      }
    },
  });
  perNode('berth_node_allocatable_cpu_cores', "A host's CPU Berth may book.", (n) => n.capacity.cpuMillis / 1000);
  perNode('berth_node_allocated_cpu_cores', "A host's CPU booked by jobs.", (n) => n.allocated.cpuMillis / 1000);
  perNode('berth_node_allocatable_memory_bytes', "A host's memory Berth may book.", (n) => n.capacity.memoryMiB * MIB);
  perNode('berth_node_allocated_memory_bytes', "A host's memory booked by jobs.", (n) => n.allocated.memoryMiB * MIB);
  new Gauge({
    name: 'berth_jobs_pending',
    help: 'Jobs not placed yet, by queue: active (in the jobs queue) or waiting (for room, between tries).',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const { active, waiting } = await readings.pending();
      this.set({ queue: 'active' }, active);
      this.set({ queue: 'waiting' }, waiting);
    },
  });
}

export class GatewayMetrics {
  readonly submitted: Counter;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly deadLetters: Counter<'queue'>;

  constructor(readonly registry: Registry) {
    this.submitted = new Counter({
      name: 'berth_jobs_submitted_total',
      help: 'Jobs accepted (answered 202).',
      registers: [registry],
    });
    this.httpDuration = new Histogram({
      name: 'berth_http_request_duration_seconds',
      help: 'HTTP API requests by method, route (its pattern, such as /v1/jobs/:id) and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    });
    this.deadLetters = new Counter({
      name: 'berth_dead_letters_total',
      help: 'Dead letters stored, by the role of the queue they died in (jobs, outcomes, node, ...).',
      labelNames: ['queue'],
      registers: [registry],
    });
  }
}

export class AgentMetrics {
  readonly dockerCalls: Histogram<'operation' | 'outcome'>;
  readonly placedToRunning: Histogram;

  constructor(registry: Registry) {
    this.dockerCalls = new Histogram({
      name: 'berth_agent_docker_call_duration_seconds',
      help: 'Docker Engine calls by operation and outcome (ok or error).',
      labelNames: ['operation', 'outcome'],
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    });
    this.placedToRunning = new Histogram({
      name: 'berth_job_placed_to_running_seconds',
      help: "From a job's create reaching its host's agent to its container running (pull included).",
      buckets: SECONDS_BUCKETS,
      registers: [registry],
    });
  }
}

/**
 * Times every method of `target` that returns a promise, by the method's name: the operation label's values are
 * the target's methods, a fixed set.
 */
export function timed<T extends object>(
  target: T,
  observe: (operation: string, seconds: number, ok: boolean) => void,
): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') {
        return value;
      }
      return (...args: unknown[]) => {
        const started = performance.now();
        const result = (value as (...a: unknown[]) => unknown).apply(object, args);
        if (!(result instanceof Promise)) {
          return result;
        }
        return result.then(
          (ok: unknown) => {
            observe(property, (performance.now() - started) / 1000, true);
            return ok;
          },
          (err: unknown) => {
            observe(property, (performance.now() - started) / 1000, false);
            throw err;
          },
        );
      };
    },
  });
}
