import { count, FAULTS, JOBS, newCluster, Random, Row, settle, submitAll, writeReport } from './harness';

/**
 * Each scenario: a fresh cluster (gateway, scheduler, 3 agents) on the suite's own RabbitMQ and Redis, 300 jobs
 * submitted 25 at a time, one fault injected when a seeded-random number of them has been accepted (so it lands
 * while jobs are being submitted and placed), then the counts once every accepted job is running or failed. Every
 * job fits, and every fault is undone, so a failed job counts against the scenario unless its fault explains it.
 * BERTH_FAULTS_SEED replays a run; BERTH_FAULTS_ONLY (a substring of a scenario's name) runs some of them.
 */
const baseSeed = Number(process.env.BERTH_FAULTS_SEED ?? Math.floor(Math.random() * 1_000_000));
const only = process.env.BERTH_FAULTS_ONLY;
const rows: Row[] = [];

afterAll(() => {
  if (rows.length > 0) {
    process.stdout.write(`\n${writeReport(rows)}\n(written to .berth/faults-report.md)\n`);
  }
});

describe.each(
  FAULTS.map((fault, index) => ({ fault, seed: baseSeed + index })).filter(
    ({ fault }) => !only || fault.name.includes(only),
  ),
)('$fault.name', ({ fault, seed }) => {
  it(`loses, duplicates, orphans and over-commits nothing (seed ${seed})`, async () => {
    const started = Date.now();
    const random = new Random(seed);
    const trigger = random.int(20, JOBS - 50);
    const cluster = newCluster();
    await cluster.start();
    try {
      const injection: { done: Promise<string> | null } = { done: null };
      const submissions = await submitAll(cluster, JOBS, (total) => {
        if (total === trigger) {
          injection.done = fault.inject(cluster, random);
          // Awaited below; until then a failure must not count as unhandled.
          injection.done.catch(() => undefined);
        }
      });
      const done = await (injection.done ??
        Promise.reject(new Error(`the fault was never injected (trigger ${trigger})`)));
      const settled = await settle(cluster, submissions.accepted);
      const counts = await count(cluster, submissions.accepted, fault);
      rows.push({
        scenario: fault.name,
        seed,
        fault: `${done}, after the ${trigger}th 202`,
        counts,
        settled,
        refused: submissions.refused,
        seconds: (Date.now() - started) / 1000,
      });
      const summary = {
        settled,
        accepted: counts.accepted,
        runningPlusFailed: counts.running + counts.failed,
        failedWithoutReason: counts.failedWithoutReason,
        failedUnexplained: counts.failedUnexplained,
        lost: counts.lost,
        duplicated: counts.duplicated,
        orphaned: counts.orphaned,
        overCommitted: counts.overCommitted,
        details: counts.details,
      };
      expect(summary).toEqual({
        settled: true,
        accepted: submissions.accepted.length,
        runningPlusFailed: submissions.accepted.length,
        failedWithoutReason: 0,
        failedUnexplained: 0,
        lost: 0,
        duplicated: 0,
        orphaned: 0,
        overCommitted: 0,
        details: [],
      });
      expect(submissions.abandoned).toBe(0);
    } finally {
      await cluster.stop();
    }
  });
});
