/**
 * bench:docker: 200 real containers over 2 real dockerd hosts, measured three ways in one run:
 *   raw         dockerode alone, create + start, 8 in flight per host (no Berth at all)
 *   concurrent  Berth: 200 jobs submitted at once through the gateway, placed and run by the agents
 *   serial      Berth, Swarm-style: the next job is submitted only when the previous one runs
 * Each rate counts containers running per second, from the first request to the last container started.
 */
import Docker from 'dockerode';
import { LABEL_CLUSTER } from '@berth/contracts';
import { TestCluster, testHosts, TestHost, waitFor } from '../test/support/cluster';
import { printTable, round, writeResult } from './report';

const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 200);
const RAW_IN_FLIGHT_PER_HOST = 8;
const JOB = { image: 'berth/busybox:latest', cmd: ['sleep', '3600'], resources: { cpuMillis: 100, memoryMiB: 16 } };

async function removeAll(hosts: TestHost[], label: string): Promise<void> {
  for (const host of hosts) {
    const containers = await host.docker.listContainers({ all: true, filters: { label: [label] } });
    await Promise.all(
      containers.map((c) =>
        host.docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
  }
}

async function raw(hosts: TestHost[]): Promise<number> {
  const label = `${LABEL_CLUSTER}=bench-raw`;
  const start = performance.now();
  await Promise.all(
    hosts.map(async (host, h) => {
      const count = Math.ceil(CONTAINERS / hosts.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: RAW_IN_FLIGHT_PER_HOST }, async () => {
          while (next < count) {
            const i = next++;
            const container: Docker.Container = await host.docker.createContainer({
              name: `bench-raw-${h}-${i}`,
              Image: JOB.image,
              Cmd: JOB.cmd,
              Labels: { [LABEL_CLUSTER]: 'bench-raw' },
              HostConfig: { NetworkMode: 'none', Memory: 16 * 1048576, CpuShares: 102 },
            });
            await container.start();
          }
        }),
      );
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await removeAll(hosts, label);
  return CONTAINERS / seconds;
}

async function berth(hosts: TestHost[], serial: boolean): Promise<number> {
  const cluster = new TestCluster({
    hosts,
    agentEnv: { BERTH_NODE_MEMORY_MIB: String(CONTAINERS * 16), BERTH_NODE_CPU_MILLIS: String(CONTAINERS * 100) },
  });
  await cluster.start();
  try {
    const start = performance.now();
    if (serial) {
      for (let i = 0; i < CONTAINERS; i++) {
        const id = await cluster.accepted(JOB);
        const job = await cluster.settled<{ status: string }>(id);
        if (job.status !== 'running') {
          throw new Error(`job ${id} ended ${job.status}`);
        }
      }
    } else {
      const ids = await Promise.all(Array.from({ length: CONTAINERS }, () => cluster.accepted(JOB)));
      await waitFor(
        'every container running',
        async () => {
          const running = await cluster.getJson<{ count: number }>(`/v1/jobs?status=running&limit=500`);
          return running.count === ids.length;
        },
        600_000,
      );
    }
    return CONTAINERS / ((performance.now() - start) / 1000);
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const hosts = testHosts(2);
  console.log(`bench:docker: ${CONTAINERS} real containers over ${hosts.length} real dockerd hosts`);
  const rawPerSec = await raw(hosts);
  console.log(`  raw dockerode: ${round(rawPerSec)} containers/s`);
  const concurrentPerSec = await berth(hosts, false);
  console.log(`  Berth concurrent: ${round(concurrentPerSec)} containers/s`);
  const serialPerSec = await berth(hosts, true);
  console.log(`  Berth serialized: ${round(serialPerSec)} containers/s`);
  const result = {
    measuredAt: new Date().toISOString(),
    containers: CONTAINERS,
    hosts: hosts.length,
    rawPerSec: round(rawPerSec),
    concurrentPerSec: round(concurrentPerSec),
    serialPerSec: round(serialPerSec),
    concurrentOverSerial: round(concurrentPerSec / serialPerSec),
    concurrentOverRaw: round(concurrentPerSec / rawPerSec),
  };
  printTable(`bench:docker (${CONTAINERS} containers, ${hosts.length} dockerd hosts, 2-core machine)`, [
    { how: 'raw dockerode, 8 in flight per host', 'containers/s': result.rawPerSec, 'vs raw': 1 },
    { how: 'Berth concurrent', 'containers/s': result.concurrentPerSec, 'vs raw': result.concurrentOverRaw },
    {
      how: 'Berth serialized (Swarm-style)',
      'containers/s': result.serialPerSec,
      'vs raw': round(result.serialPerSec / result.rawPerSec),
    },
  ]);
  console.log(`\nconcurrent / serialized = ${result.concurrentOverSerial}`);
  console.log(`wrote ${writeResult('docker', result)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
