/**
 * bench:docker-cli: 30 `docker run -d` at once with the real docker CLI (28.2), measured two ways in one run on
 * the same real dockerd hosts:
 *   through Berth  DOCKER_HOST is Berth's Engine API: each run is placed, its host's agent creates it, and the CLI
 *                  returns once the container exists there
 *   straight       the same 30 runs split over the hosts' own engines (no scheduler at all)
 * Each figure is the wall time from launching the 30 CLIs to the last one exiting.
 */
import { TestCluster, testHosts, TestHost } from '../test/support/cluster';
import { dockerCli, dockerConfigWith } from '../test/support/docker-cli';
import { printTable, round, writeResult } from './report';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const IMAGE = 'berth/busybox:latest';

async function timed(runs: Array<() => Promise<{ code: number | null; stdout: string }>>): Promise<{
  seconds: number;
  ids: string[];
}> {
  const start = performance.now();
  const results = await Promise.all(runs.map((run) => run()));
  const seconds = (performance.now() - start) / 1000;
  const failed = results.filter((r) => r.code !== 0);
  if (failed.length > 0) {
    throw new Error(`${failed.length} of ${runs.length} runs failed: ${JSON.stringify(failed[0])}`);
  }
  return { seconds, ids: results.map((r) => r.stdout.trim()) };
}

async function straight(hosts: TestHost[]): Promise<number> {
  const config = dockerConfigWith(null);
  const endpoint = (i: number) => `unix://${hosts[i % hosts.length].socket}`;
  const { seconds, ids } = await timed(
    Array.from(
      { length: RUNS },
      (_, i) => () => dockerCli(['run', '-d', '--network', 'none', IMAGE, 'sleep', '600'], endpoint(i), config),
    ),
  );
  await Promise.all(ids.map((id, i) => dockerCli(['rm', '-f', id], endpoint(i), config)));
  return seconds;
}

async function throughBerth(hosts: TestHost[]): Promise<number> {
  // Room for every run: what is measured is placement and creation, not waiting.
  const cluster = new TestCluster({ hosts, dockerApi: true, agentEnv: { BERTH_NODE_CPU_MILLIS: '32000' } });
  await cluster.start();
  try {
    const config = dockerConfigWith(cluster.adminToken);
    const berth = `tcp://127.0.0.1:${cluster.dockerPort}`;
    const { seconds, ids } = await timed(
      Array.from({ length: RUNS }, () => () => dockerCli(['run', '-d', IMAGE, 'sleep', '600'], berth, config)),
    );
    await dockerCli(['rm', '-f', ...ids], berth, config);
    return seconds;
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const hosts = testHosts(2);
  console.log(
    `bench:docker-cli: ${RUNS} concurrent docker run -d, real docker CLI, ${hosts.length} real dockerd hosts`,
  );
  const berth = await throughBerth(hosts);
  const direct = await straight(hosts);
  const result = {
    measuredAt: new Date().toISOString(),
    runs: RUNS,
    hosts: hosts.length,
    throughBerthSeconds: round(berth),
    straightSeconds: round(direct),
    berthOverStraight: round(berth / direct),
  };
  printTable(`bench:docker-cli (${RUNS} concurrent docker run -d, ${hosts.length} hosts, 2-core machine)`, [
    { how: "through Berth's Engine API", seconds: result.throughBerthSeconds, 'vs straight': result.berthOverStraight },
    { how: "straight to the hosts' engines", seconds: result.straightSeconds, 'vs straight': 1 },
  ]);
  console.log(`wrote ${writeResult('docker-cli', result)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
