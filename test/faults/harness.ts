import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { LABEL_CPU, LABEL_JOB, LABEL_MEMORY, NodeRecord } from '@berth/contracts';
import type { JobView } from '../../apps/gateway/src/jobs/job.view';
import { TestCluster, testHosts } from '../support/cluster';

const run = promisify(execFile);
export const ROOT = join(__dirname, '..', '..');

/** The suite's own broker and Redis (scripts/faults-infra.sh), never the shared ones. */
export const FAULTS_AMQP_URL = process.env.BERTH_FAULTS_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5673';
export const FAULTS_REDIS_URL = process.env.BERTH_FAULTS_REDIS_URL ?? 'redis://127.0.0.1:6380';
/** The suite's node's management API (scripts/faults-infra.sh), through which its agents get their users. */
export const FAULTS_MANAGEMENT_URL = process.env.BERTH_FAULTS_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15673';
const RABBIT_NODE = process.env.BERTH_FAULTS_RABBIT_NODE ?? 'berth-faults@localhost';
const AMQP_PORT = Number(new URL(FAULTS_AMQP_URL).port || 5672);

export const JOBS = Number(process.env.BERTH_FAULTS_JOBS ?? 300);
/** Submissions in flight at once, like a busy client. */
const CONCURRENCY = 25;
/** A job's needs and a host's capacity: 120 jobs fit on a host, so 300 need all three, or wait. */
export const JOB_CPU = 100;
export const JOB_MEMORY = 16;
export const SLOTS_PER_HOST = 120;
export const HOST_CPU = JOB_CPU * SLOTS_PER_HOST;
export const HOST_MEMORY = JOB_MEMORY * SLOTS_PER_HOST;
/** How long every accepted job gets, after the last submission, to be running or failed with a reason. */
const SETTLE_TIMEOUT_MS = 90_000;
/** How often each agent reconciles its books with Docker (removing leftover containers). */
const RECONCILE_SECONDS = 2;
/** Once settled, how long the agents get to remove leftovers: several reconciliation rounds. */
const LEFTOVERS_TIMEOUT_MS = 10 * RECONCILE_SECONDS * 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A small seeded generator (mulberry32): a failing run can be replayed with BERTH_FAULTS_SEED. */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: T[]): T {
    return items[this.int(0, items.length - 1)];
  }
}

export function newCluster(): TestCluster {
  return new TestCluster({
    hosts: testHosts(3),
    amqpUrl: FAULTS_AMQP_URL,
    redisUrl: FAULTS_REDIS_URL,
    managementUrl: FAULTS_MANAGEMENT_URL,
    commonEnv: { BERTH_NODE_TIMEOUT_SECONDS: '4' },
    agentEnv: {
      BERTH_NODE_CPU_MILLIS: String(HOST_CPU),
      BERTH_NODE_MEMORY_MIB: String(HOST_MEMORY),
      BERTH_NODE_LABELS: `containerslots=${SLOTS_PER_HOST}`,
      BERTH_HEARTBEAT_SECONDS: '1',
      BERTH_RECONCILE_SECONDS: String(RECONCILE_SECONDS),
    },
  });
}

// ---- the client

export interface Submissions {
  /** Ids from 202 answers, in order. */
  accepted: string[];
  /** Answers other than 202, by status (`network` for a request that got no answer). */
  refused: Record<string, number>;
  /** Logical submissions that were never accepted before the client gave up. */
  abandoned: number;
}

/**
 * Submits `count` jobs, `CONCURRENCY` at a time, as a careful client would, each with its own Idempotency-Key kept
 * across its retries: a 503 is retried after its Retry-After, a 409 (the first request with the key still in
 * flight) after a second, a request that got no answer (connection refused or reset while the gateway is away)
 * after a moment. Only a 202 counts as accepted. `onAccepted` sees the running total, to time a fault.
 */
export async function submitAll(
  cluster: TestCluster,
  count: number,
  onAccepted: (total: number) => void,
): Promise<Submissions> {
  const result: Submissions = { accepted: [], refused: {}, abandoned: 0 };
  const body = JSON.stringify({
    image: 'berth/busybox:latest',
    cmd: ['sleep', '3600'],
    resources: { cpuMillis: JOB_CPU, memoryMiB: JOB_MEMORY },
  });
  let next = 0;
  const count1 = (key: string) => (result.refused[key] = (result.refused[key] ?? 0) + 1);
  const worker = async (): Promise<void> => {
    while (next < count) {
      // One key per logical submission, kept across its retries: a request whose 202 was lost (the gateway killed
      // after the broker's confirm) is answered with the job it made, not turned into a second job.
      const key = `submission-${next}`;
      next++;
      const giveUpAt = Date.now() + 120_000;
      for (;;) {
        if (Date.now() > giveUpAt) {
          result.abandoned++;
          break;
        }
        let response: Response;
        try {
          response = await cluster.fetch(`/v1/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': key },
            body,
            signal: AbortSignal.timeout(30_000),
          });
        } catch {
          count1('network');
          await sleep(250);
          continue;
        }
        if (response.status === 202) {
          result.accepted.push(((await response.json()) as { id: string }).id);
          onAccepted(result.accepted.length);
          break;
        }
        count1(String(response.status));
        const retryAfter = Number(response.headers.get('retry-after') ?? 1);
        await response.text().catch(() => '');
        await sleep((Number.isFinite(retryAfter) ? retryAfter : 1) * 1000);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return result;
}

// ---- what Berth and Docker say

interface Container {
  host: string;
  id: string;
  jobId: string;
  running: boolean;
  cpu: number;
  memory: number;
}

async function allContainers(cluster: TestCluster): Promise<Container[]> {
  const lists = await Promise.all(
    cluster.hosts.map(async (host) =>
      (await cluster.containersOn(host)).map((c) => ({
        host: host.id,
        id: c.Id,
        jobId: c.Labels[LABEL_JOB],
        running: c.State === 'running',
        cpu: Number(c.Labels[LABEL_CPU]),
        memory: Number(c.Labels[LABEL_MEMORY]),
      })),
    ),
  );
  return lists.flat();
}

/** Every job's record from the API; null when the API does not know the job (404). */
async function jobRecords(cluster: TestCluster, ids: string[]): Promise<Map<string, JobView | null>> {
  const records = new Map<string, JobView | null>();
  const queue = [...ids];
  const worker = async (): Promise<void> => {
    for (let id = queue.pop(); id; id = queue.pop()) {
      const response = await cluster.fetch(`/v1/jobs/${id}`);
      if (response.status === 404) {
        await response.text();
        records.set(id, null);
      } else if (response.ok) {
        records.set(id, (await response.json()) as JobView);
      } else {
        throw new Error(`GET /v1/jobs/${id}: ${response.status} ${await response.text()}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  return records;
}

const FAILED = ['failed', 'unschedulable', 'exited'];

function hasReason(job: JobView): boolean {
  return typeof job.reason === 'string' && job.reason.trim() !== '';
}

export interface Counts {
  accepted: number;
  running: number;
  failed: number;
  lost: number;
  duplicated: number;
  orphaned: number;
  overCommitted: number;
  /** Failed jobs without a reason (also counted as lost: they are not "failed with a reason"). */
  failedWithoutReason: number;
  /**
   * Failed jobs (with a reason) that the fault does not explain. Every job of the scenario fits, so none should
   * fail: a fault that failed every job in flight would count here, not pass.
   */
  failedUnexplained: number;
  /** What explains each non-zero count: a few examples per kind. */
  details: string[];
  /** What else was seen, for the report only: hosts not ready, records never answered with a 202. */
  notes: string[];
}

/**
 * Counts from the 202 answers, every host's `docker ps -a` and the job API:
 * - running: Berth says running and Docker runs its container; failed: failed/unschedulable with a reason;
 * - lost: accepted, neither of those (including a record Berth no longer has, or "running" with no container);
 * - duplicated: jobs with more than one container across the hosts;
 * - orphaned: containers of jobs never accepted, or running containers of jobs Berth has failed, removed or
 *   forgotten;
 * - over-committed: hosts whose running containers (by their labels) need more CPU or memory than the host
 *   offers, or outnumber its slots, or whose books say so.
 */
export async function count(cluster: TestCluster, accepted: string[], fault: Fault): Promise<Counts> {
  const containers = await allContainers(cluster);
  const records = await jobRecords(cluster, accepted);
  const byJob = new Map<string, Container[]>();
  for (const c of containers) {
    byJob.set(c.jobId, [...(byJob.get(c.jobId) ?? []), c]);
  }
  const acceptedSet = new Set(accepted);
  // Jobs that have containers but were never answered with a 202: what Berth knows of them, for the report.
  const strangers = await jobRecords(
    cluster,
    [...byJob.keys()].filter((id) => !acceptedSet.has(id)),
  );
  const details: string[] = [];
  const example = (kind: string, text: string, limit = 5) => {
    if (details.filter((d) => d.startsWith(`${kind}: `)).length < limit) {
      details.push(`${kind}: ${text}`);
    }
  };
  const counts: Counts = {
    accepted: accepted.length,
    running: 0,
    failed: 0,
    lost: 0,
    duplicated: 0,
    orphaned: 0,
    overCommitted: 0,
    failedWithoutReason: 0,
    failedUnexplained: 0,
    details,
    notes: [],
  };
  const lostStatuses: Record<string, number> = {};
  for (const id of accepted) {
    const job = records.get(id) ?? null;
    const running = (byJob.get(id) ?? []).filter((c) => c.running);
    if (job?.status === 'running' && running.length > 0) {
      counts.running++;
    } else if (job && FAILED.includes(job.status) && hasReason(job)) {
      counts.failed++;
      if (!fault.explainsFailure?.(job)) {
        counts.failedUnexplained++;
        example(
          `failed (${job.status}) without the fault to explain it`,
          `${id} on ${job.node ?? '-'}: ${job.reason}`,
          3,
        );
      }
    } else {
      counts.lost++;
      if (job && FAILED.includes(job.status)) {
        counts.failedWithoutReason++;
      }
      const what = job ? `${job.status}${job.status === 'running' ? ' without a running container' : ''}` : '404';
      lostStatuses[what] = (lostStatuses[what] ?? 0) + 1;
      example(
        `lost (${what})`,
        `${id} ${what} on ${job?.node ?? '-'} (containers: ${(byJob.get(id) ?? []).length}${job?.reason ? `; reason: ${job.reason}` : ''})`,
        3,
      );
    }
  }
  if (counts.lost > 0) {
    details.push(`lost by status: ${JSON.stringify(lostStatuses)}`);
  }
  for (const [jobId, list] of byJob) {
    if (list.length > 1) {
      counts.duplicated++;
      example('duplicated', `${jobId} on ${list.map((c) => `${c.host}${c.running ? '' : '(stopped)'}`).join(', ')}`);
    }
    for (const c of list) {
      const job = records.get(jobId);
      let why: string | null = null;
      if (!acceptedSet.has(jobId)) {
        const known = strangers.get(jobId);
        why = `never accepted (no 202); Berth ${known ? `has it as ${known.status}, created ${known.createdAt}` : 'does not know it'}`;
      } else if (job === null || job === undefined) {
        why = 'job unknown to Berth (404)';
      } else if (c.running && job.status !== 'running') {
        why = `job is ${job.status}`;
      } else if (c.running && job.node !== c.host) {
        why = `job is on ${job.node}`;
      }
      if (why) {
        counts.orphaned++;
        example(
          'orphaned',
          `container ${c.id.slice(0, 12)} on ${c.host}${c.running ? '' : ' (stopped)'} (job ${jobId}): ${why}`,
        );
      }
    }
  }
  // Records Berth keeps as queued that no client was told about (e.g. written before a crash, never published).
  const queued = await cluster
    .getJson<{ items: JobView[] }>('/v1/jobs?status=queued&limit=500')
    .then((list) => list.items.filter((j) => !acceptedSet.has(j.id)))
    .catch(() => [] as JobView[]);
  if (queued.length > 0) {
    counts.notes.push(
      `${queued.length} queued record(s) never answered with a 202, e.g. ${queued[0].id} created ${queued[0].createdAt}`,
    );
  }
  const nodes = await cluster
    .getJson<{ items: NodeRecord[] }>('/v1/nodes')
    .then((n) => n.items)
    .catch(() => [] as NodeRecord[]);
  if (nodes.length !== cluster.hosts.length || nodes.some((n) => n.status !== 'ready')) {
    counts.notes.push(
      `GET /v1/nodes lists ${nodes.map((n) => `${n.id} ${n.status}`).join(', ') || 'none'} (of ${cluster.hosts.length})`,
    );
  }
  for (const host of cluster.hosts) {
    const running = containers.filter((c) => c.host === host.id && c.running);
    const cpu = running.reduce((sum, c) => sum + c.cpu, 0);
    const memory = running.reduce((sum, c) => sum + c.memory, 0);
    const books = nodes.find((n) => n.id === host.id);
    const overBooks =
      books !== undefined &&
      (books.allocated.cpuMillis > books.capacity.cpuMillis ||
        books.allocated.memoryMiB > books.capacity.memoryMiB ||
        books.containers > SLOTS_PER_HOST);
    if (cpu > HOST_CPU || memory > HOST_MEMORY || running.length > SLOTS_PER_HOST || overBooks) {
      counts.overCommitted++;
      example(
        'over-committed',
        `${host.id}: docker runs ${running.length} containers, ${cpu}/${HOST_CPU} cpu millis, ${memory}/${HOST_MEMORY} MiB; ` +
          `books ${books ? `${books.containers} containers, ${books.allocated.cpuMillis} millis, ${books.allocated.memoryMiB} MiB` : 'missing'}`,
      );
    }
  }
  return counts;
}

/**
 * Waits until every accepted job is running (with its container) or failed with a reason, then until the agents'
 * reconciliation has removed what is left over (no container beside its job's one running container), for at most
 * `LEFTOVERS_TIMEOUT_MS`: what remains then is counted. Returns false if the jobs did not settle in time.
 */
export async function settle(cluster: TestCluster, accepted: string[]): Promise<boolean> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let pending = [...accepted];
  while (Date.now() < deadline) {
    try {
      const records = await jobRecords(cluster, pending);
      pending = pending.filter((id) => {
        const job = records.get(id);
        return !job || !(job.status === 'running' || (FAILED.includes(job.status) && hasReason(job)));
      });
      if (pending.length === 0) {
        const containers = await allContainers(cluster);
        const running = new Set(containers.filter((c) => c.running).map((c) => c.jobId));
        const final = await jobRecords(cluster, accepted);
        if ([...final.values()].every((j) => j && (j.status !== 'running' || running.has(j.id)))) {
          await untilNoLeftovers(cluster, final);
          return true;
        }
      }
    } catch {
      // The gateway may still be coming back: ask again.
    }
    await sleep(2000);
  }
  return false;
}

/** A container is left over when its job is not running, runs elsewhere, or already has another container. */
async function untilNoLeftovers(cluster: TestCluster, records: Map<string, JobView | null>): Promise<void> {
  const deadline = Date.now() + LEFTOVERS_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const containers = await allContainers(cluster);
    const perJob = new Map<string, number>();
    const leftovers = containers.filter((c) => {
      perJob.set(c.jobId, (perJob.get(c.jobId) ?? 0) + 1);
      const job = records.get(c.jobId);
      if (!job) {
        return true;
      }
      return job.status === 'running' ? job.node !== c.host : c.running;
    });
    if (leftovers.length === 0 && [...perJob.values()].every((n) => n === 1)) {
      return;
    }
    await sleep(500);
  }
}

// ---- faults

export interface Fault {
  name: string;
  /** Injects the fault and undoes it (restarts what it stopped); returns what it did, for the report. */
  inject(cluster: TestCluster, random: Random): Promise<string>;
  /**
   * Whether the fault explains this failed job (a fault that takes a host away for good would explain the jobs
   * it failed there). None of the scenarios below does: each fault is undone, so every job must end running.
   */
  explainsFailure?(job: JobView): boolean;
}

async function killAndRestart(cluster: TestCluster, name: string, random: Random): Promise<string> {
  const downMs = random.int(500, 3000);
  const at = new Date().toISOString();
  await cluster.kill(name, 'SIGKILL');
  await sleep(downMs);
  cluster.restart(name);
  return `kill -9 ${name} at ${at}, restarted after ${downMs} ms`;
}

export async function faultsInfra(command: string): Promise<void> {
  await run('bash', [join(ROOT, 'scripts', 'faults-infra.sh'), command], { timeout: 180_000 });
}

/** The local ports of a process's connections to a port, from `ss` (its TCP connections, by pid). */
async function localPorts(pid: number, remotePort: number): Promise<number[]> {
  const { stdout } = await run('ss', ['-tnpH', 'state', 'established', `( dport = :${remotePort} )`]);
  return stdout
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => Number(/127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:\d+/.exec(line)?.[1]))
    .filter((port) => Number.isInteger(port));
}

/** Closes, on the broker's side, every AMQP connection a process has (`rabbitmqctl close_connection`). */
async function dropAmqp(cluster: TestCluster, name: string): Promise<number> {
  const pid = cluster.pid(name);
  if (pid === undefined) {
    return 0;
  }
  const ports = new Set(await localPorts(pid, AMQP_PORT));
  const { stdout } = await run('rabbitmqctl', ['-n', RABBIT_NODE, '-q', 'list_connections', 'pid', 'peer_port']);
  const connections = stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([connection, port]) => connection?.startsWith('<') && ports.has(Number(port)));
  for (const [connection] of connections) {
    await run('rabbitmqctl', ['-n', RABBIT_NODE, 'close_connection', connection, 'fault injection']);
  }
  return connections.length;
}

/** Kills, on the server's side, a service's Redis connections by their client name (`CLIENT KILL ID`). */
async function dropRedis(clientName: string): Promise<number> {
  const redis = new Redis(FAULTS_REDIS_URL);
  try {
    const list = (await redis.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${clientName} `))
      .map((line) => /id=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => id !== undefined);
    for (const id of ids) {
      await redis.client('KILL', 'ID', id);
    }
    return ids.length;
  } finally {
    redis.disconnect();
  }
}

export const FAULTS: Fault[] = [
  { name: 'kill -9 scheduler', inject: (cluster, random) => killAndRestart(cluster, 'scheduler-1', random) },
  {
    name: 'kill -9 agent',
    inject: (cluster, random) =>
      killAndRestart(cluster, random.pick(cluster.hosts.map((h) => `agent-${h.id}`)), random),
  },
  { name: 'kill -9 gateway', inject: (cluster, random) => killAndRestart(cluster, 'gateway', random) },
  {
    name: 'restart RabbitMQ',
    inject: async () => {
      const at = new Date().toISOString();
      await faultsInfra('restart-rabbit');
      return `rabbitmqctl stop at ${at}, then start (quorum queues kept)`;
    },
  },
  {
    name: 'restart Redis',
    inject: async () => {
      const at = new Date().toISOString();
      await faultsInfra('restart-redis');
      return `shutdown nosave at ${at}, then start: every key lost`;
    },
  },
  {
    name: 'drop connections',
    inject: async (cluster, random) => {
      const amqpVictim = random.pick(cluster.hosts.map((h) => `agent-${h.id}`));
      const amqp = (await dropAmqp(cluster, 'scheduler-1')) + (await dropAmqp(cluster, amqpVictim));
      // Agents hold no Redis connection: only the control plane's can be dropped.
      let redis = 0;
      for (const client of ['berth-gateway', 'berth-scheduler']) {
        redis += await dropRedis(client);
      }
      if (amqp < 2 || redis < 2) {
        throw new Error(`expected to drop 2 AMQP and 2 Redis connections, dropped ${amqp} and ${redis}`);
      }
      return `closed the AMQP connections of scheduler-1 and ${amqpVictim}; killed the Redis connections of the gateway and the scheduler`;
    },
  },
];

// ---- the report

export interface Row {
  scenario: string;
  seed: number;
  fault: string;
  counts: Counts;
  settled: boolean;
  refused: Record<string, number>;
  seconds: number;
}

export function table(rows: Row[]): string {
  const header = [
    'scenario',
    'accepted',
    'running',
    'failed',
    'unexplained',
    'lost',
    'duplicated',
    'orphaned',
    'over-committed',
    'seed',
    'seconds',
  ];
  const lines = rows.map((r) => [
    r.scenario,
    String(r.counts.accepted),
    String(r.counts.running),
    String(r.counts.failed),
    String(r.counts.failedUnexplained),
    String(r.counts.lost),
    String(r.counts.duplicated),
    String(r.counts.orphaned),
    String(r.counts.overCommitted),
    String(r.seed),
    r.seconds.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  const notes = rows.flatMap((r) => [
    `- **${r.scenario}** (seed ${r.seed}): ${r.fault}; non-202 answers ${JSON.stringify(r.refused)}` +
      `${r.settled ? '' : '; did NOT settle within the timeout'}`,
    ...r.counts.details.map((d) => `  - ${d}`),
    ...r.counts.notes.map((n) => `  - note: ${n}`),
  ]);
  return [format(header), rule, ...lines.map(format), '', ...notes].join('\n');
}

export function writeReport(rows: Row[]): string {
  const text = `# Fault-injection suite\n\n${JOBS} jobs per scenario, 3 hosts of ${SLOTS_PER_HOST} slots. ${new Date().toISOString()}\n\n${table(rows)}\n`;
  mkdirSync(join(ROOT, '.berth'), { recursive: true });
  const path = join(ROOT, '.berth', 'faults-report.md');
  writeFileSync(path, text);
  return text;
}
