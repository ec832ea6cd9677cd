import type { NodeRecord } from '@berth/contracts';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { TestCluster, testHosts, waitFor } from './support/cluster';

/** libfaketime (Debian's faketime, which infra.sh installs): the agent's clock, and only its clock, is wrong. */
const FAKETIME_LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/** A host is alive or down by the control plane's clock (Redis's), never by the clock of the agent that reports. */
describe('liveness by the control plane clock', () => {
  const cluster = new TestCluster({
    hosts: testHosts(2),
    commonEnv: { BERTH_NODE_TIMEOUT_SECONDS: '6' },
    agentEnv: { BERTH_HEARTBEAT_SECONDS: '1' },
    // h2's agent lives 15 s in the past: more than twice the node timeout.
    hostEnv: { h2: { LD_PRELOAD: FAKETIME_LIBRARY, FAKETIME: '-15s' } },
  });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it('keeps a host whose clock is 15 s behind ready, and places work on it', async () => {
    // The start already waited for both hosts to be ready; they must stay so beyond one node timeout.
    await new Promise((resolve) => setTimeout(resolve, 7_000));
    const nodes = await cluster.getJson<{ items: NodeRecord[] }>('/v1/nodes');
    expect(nodes.items.map((n) => [n.id, n.status])).toEqual([
      ['h1', 'ready'],
      ['h2', 'ready'],
    ]);
    const h2 = nodes.items.find((n) => n.id === 'h2')!;
    // Its heartbeat is stamped when Redis received it, not 15 s earlier.
    expect(Math.abs(Date.parse(h2.heartbeatAt) - Date.now())).toBeLessThan(6_000);
    const job = await cluster.settled<JobView>(
      await cluster.accepted({
        image: 'berth/busybox:latest',
        cmd: ['sleep', '600'],
        resources: { cpuMillis: 100, memoryMiB: 16 },
        constraints: ['node==h2'],
        placementTimeoutSeconds: 0,
      }),
    );
    expect([job.status, job.node]).toEqual(['running', 'h2']);
    await cluster.remove(job.id);
    await waitFor('removed', async () => (await cluster.getJson<JobView>(`/v1/jobs/${job.id}`)).status === 'removed');
  });
});
