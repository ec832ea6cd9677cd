/**
 * bench:soak: submits and removes jobs through the real gateway for a few minutes, on real RabbitMQ, Redis and 2 real
 * dockerd hosts, with a short job retention, and reports Redis's memory and the cluster's keys before, during and
 * after. Once the load stops and the retention has passed, they must come back to where they started: the run exits
 * non-zero when the key count does not return to within KEY_TOLERANCE of the baseline.
 *
 * The load mixes three kinds of job, round robin: one that runs a real container and is then deleted; one deleted
 * at once (still queued, or just placed); and one that fits nowhere and becomes unschedulable, left to expire. Some
 * carry a name or an Idempotency-Key, so their claims must go too.
 *
 *   npm run bench:soak                 3 minutes
 *   npm run bench:soak -- --seconds 20 a short try
 *   --retention <s> (default 5), --workers <n> (default 6)
 */
import Redis from 'ioredis';
import { REDIS_URL, TestCluster, testHosts, waitFor } from '../test/support/cluster';
import { printTable, round, writeResult } from './report';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : Number(process.argv[at + 1]);
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
    throw new Error(`--${name} must be a positive number`);
  }
  return value ?? fallback;
}

const SECONDS = option('seconds', 180);
const RETENTION_SECONDS = option('retention', 5);
const WORKERS = option('workers', 6);
const SAMPLE_EVERY_MS = Math.min(15_000, Math.max(2_000, (SECONDS * 1000) / 10));
/** Keys that may differ from the baseline after the sweep (a recovery window that expired meanwhile, say). */
const KEY_TOLERANCE = 2;
const JOB = { image: 'berth/busybox:latest', cmd: ['sleep', '3600'], resources: { cpuMillis: 50, memoryMiB: 16 } };

interface Sample {
  phase: 'before' | 'during' | 'after';
  atSeconds: number;
  submitted: number;
  keys: number;
  /** What the cluster's own keys take (MEMORY USAGE of each), in bytes. */
  keyBytes: number;
  /** Redis's used_memory: the whole server, shared with whatever else uses it. */
  usedMemory: number;
}

/** The cluster's keys and the memory they take, and Redis's used_memory. */
async function measure(
  redis: Redis,
  prefix: string,
): Promise<Pick<Sample, 'keys' | 'keyBytes' | 'usedMemory'> & { names: Set<string> }> {
  const names = new Set<string>();
  let keys = 0;
  let keyBytes = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (batch.length > 0) {
      const pipeline = redis.pipeline();
      batch.forEach((key) => pipeline.memory('USAGE', key));
      ((await pipeline.exec()) ?? []).forEach(([, bytes], i) => {
        // A key that expired between the scan and its measure counts for nothing.
        if (typeof bytes === 'number') {
          names.add(batch[i]);
          keys++;
          keyBytes += bytes;
        }
      });
    }
  } while (cursor !== '0');
  const info = await redis.info('memory');
  const usedMemory = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
  return { keys, keyBytes, usedMemory, names };
}

/** A few of a list, and how many more. */
function listed(keys: string[], shown = 10): string {
  if (keys.length === 0) {
    return 'none';
  }
  const more = keys.length > shown ? ` and ${keys.length - shown} more` : '';
  return `${keys.slice(0, shown).join(', ')}${more}`;
}

class Load {
  submitted = 0;
  removed = 0;
  errors = new Map<string, number>();
  private serial = 0;

  constructor(private readonly cluster: TestCluster) {}

  /** Runs one worker until `until` (ms since the epoch, this machine's clock: only to end the load). */
  async worker(until: number): Promise<void> {
    while (Date.now() < until) {
      const n = this.serial++;
      try {
        await this.oneJob(n);
      } catch (err) {
        const what = (err as Error).message.slice(0, 120);
        this.errors.set(what, (this.errors.get(what) ?? 0) + 1);
      }
    }
  }

  private async oneJob(n: number): Promise<void> {
    switch (n % 3) {
      case 0: {
        // A real container: it runs, then it is deleted.
        const id = await this.submit({ ...JOB, name: `soak-${n}` });
        await this.cluster.settled(id, 120_000);
        await this.remove(id);
        return;
      }
      case 1: {
        // Deleted at once, with an Idempotency-Key whose claim must go with the job.
        const id = await this.submit(JOB, `soak-key-${n}`);
        await this.remove(id);
        return;
      }
      default:
        // Fits on no host: unschedulable at once, never deleted, left to expire with its name.
        await this.submit({ ...JOB, name: `soak-${n}`, resources: { cpuMillis: 50, memoryMiB: 1_000_000 } });
        return;
    }
  }

  private async submit(body: object, idempotencyKey?: string): Promise<string> {
    const response = await this.cluster.fetch('/v1/jobs', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: JSON.stringify({ ...body, placementTimeoutSeconds: 0 }),
    });
    if (response.status !== 202) {
      throw new Error(`POST /v1/jobs: ${response.status} ${await response.text()}`);
    }
    this.submitted++;
    return ((await response.json()) as { id: string }).id;
  }

  private async remove(id: string): Promise<void> {
    const response = await this.cluster.remove(id);
    if (response.status !== 202) {
      throw new Error(`DELETE /v1/jobs/{id}: ${response.status} ${await response.text()}`);
    }
    this.removed++;
  }
}

async function main(): Promise<void> {
  const hosts = testHosts(2);
  const cluster = new TestCluster({
    hosts,
    agentEnv: { BERTH_NODE_CPU_MILLIS: '8000', BERTH_NODE_MEMORY_MIB: '4096' },
    schedulerEnv: { BERTH_JOB_RETENTION_SECONDS: String(RETENTION_SECONDS) },
    // The workers poll jobs they wait for: lift the per-token rate limit well above what they ask.
    commonEnv: { BERTH_RATE_LIMIT: '1000000' },
  });
  const redis = new Redis(REDIS_URL);
  console.log(
    `bench:soak: ${SECONDS} s of submit and delete through the gateway, ${WORKERS} workers, ` +
      `${hosts.length} dockerd hosts, retention ${RETENTION_SECONDS} s`,
  );
  await cluster.start();
  const started = performance.now();
  const since = () => round((performance.now() - started) / 1000, 1);
  const samples: Sample[] = [];
  const load = new Load(cluster);
  const keyNames = new Map<Sample['phase'], Set<string>>();
  const sample = async (phase: Sample['phase']): Promise<Sample> => {
    const { names, ...figures } = await measure(redis, cluster.prefix);
    const entry = { phase, atSeconds: since(), submitted: load.submitted, ...figures };
    samples.push(entry);
    keyNames.set(phase, names);
    console.log(
      `  ${phase.padEnd(6)} t=${entry.atSeconds}s submitted=${entry.submitted} keys=${entry.keys} ` +
        `keyBytes=${entry.keyBytes} used_memory=${entry.usedMemory}`,
    );
    return entry;
  };
  let passed = false;
  try {
    const baseline = await sample('before');
    const until = Date.now() + SECONDS * 1000;
    const sampler = setInterval(() => void sample('during').catch(() => undefined), SAMPLE_EVERY_MS);
    await Promise.all(Array.from({ length: WORKERS }, () => load.worker(until)));
    clearInterval(sampler);
    await sample('during');

    // The last jobs finish, wait out their retention and are swept; their tombstones last as long again. Past that
    // (and a margin for the last removals), what is still there is a leak: the figures say so, and the run fails.
    const backAtBaseline = (keys: number) => Math.abs(keys - baseline.keys) <= KEY_TOLERANCE;
    const baselineNames = keyNames.get('before') ?? new Set<string>();
    await waitFor(
      'no key left that the baseline did not have',
      async () => [...(await measure(redis, cluster.prefix)).names].every((key) => baselineNames.has(key)),
      (2 * RETENTION_SECONDS + 60) * 1000,
    ).catch(() => undefined);
    const final = await sample('after');
    const containersLeft = (await Promise.all(hosts.map((host) => cluster.containersOn(host)))).flat().length;
    passed = backAtBaseline(final.keys);
    // Named, so a difference is explained rather than hidden in the tolerance.
    const left = [...(keyNames.get('after') ?? [])].filter((key) => !baselineNames.has(key));
    const gone = [...baselineNames].filter((key) => !keyNames.get('after')?.has(key));

    const peak = samples.reduce((top, s) => (s.keys > top.keys ? s : top), baseline);
    const result = {
      measuredAt: new Date().toISOString(),
      seconds: SECONDS,
      retentionSeconds: RETENTION_SECONDS,
      workers: WORKERS,
      submitted: load.submitted,
      removed: load.removed,
      errors: Object.fromEntries(load.errors),
      containersLeft,
      keysNotInBaseline: left,
      baselineKeysGone: gone,
      keyTolerance: KEY_TOLERANCE,
      returnedToBaseline: passed,
      samples,
    };
    printTable(`bench:soak (${load.submitted} jobs in ${SECONDS} s, retention ${RETENTION_SECONDS} s)`, [
      ...[baseline, peak, final].map((s, i) => ({
        when: ['before', 'peak during', 'after the sweep'][i],
        't (s)': s.atSeconds,
        'jobs submitted': s.submitted,
        keys: s.keys,
        'key bytes': s.keyBytes,
        'used_memory (MiB)': round(s.usedMemory / 1048576),
      })),
    ]);
    console.log(
      `\n${load.submitted} submitted, ${load.removed} deleted, ${containersLeft} containers left, ` +
        `${[...load.errors.values()].reduce((a, b) => a + b, 0)} errors`,
    );
    console.log(`keys not in the baseline: ${listed(left)}; baseline keys gone: ${listed(gone)}`);
    for (const [what, count] of load.errors) {
      console.log(`  error x${count}: ${what}`);
    }
    console.log(`wrote ${writeResult('soak', result)}`);
    console.log(
      passed
        ? `keys back at the baseline (${final.keys} vs ${baseline.keys}, tolerance ${KEY_TOLERANCE})`
        : `FAIL: ${final.keys} keys after the sweep vs ${baseline.keys} before (tolerance ${KEY_TOLERANCE})`,
    );
  } finally {
    await cluster.stop();
    await redis.quit();
  }
  process.exit(passed ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
