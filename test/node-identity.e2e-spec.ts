import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeRecord } from '@berth/contracts';
import { EXIT_REFUSED } from '@berth/runtime';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { LOG_DIR, TestCluster, testHosts, waitFor } from './support/cluster';

/** Two agents with one node id (cloned machine images share the engine's name): the second is refused. */
describe('node identity', () => {
  const [h1, h2] = testHosts(2);
  const cluster = new TestCluster({ hosts: [h1] });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  it("refuses a second agent with a live agent's node id, shows the conflict, and leaves the host's jobs alone", async () => {
    const job = await cluster.settled<JobView>(
      await cluster.accepted({
        image: 'berth/busybox:latest',
        cmd: ['sleep', '600'],
        resources: { cpuMillis: 100, memoryMiB: 16 },
      }),
    );
    expect([job.status, job.node]).toEqual(['running', 'h1']);

    // Another Docker engine, the same node id.
    cluster.startAgent('impostor', { BERTH_DOCKER_HOST: `unix://${h2.socket}`, BERTH_NODE_ID: 'h1' });
    // EX_CONFIG: the systemd unit does not restart it (RestartPreventExitStatus).
    expect(await cluster.exited('impostor')).toBe(EXIT_REFUSED);
    // Its last words reach the log file through a pipe that may drain after the exit.
    await waitFor('the refusal in the log', () =>
      Promise.resolve(
        readFileSync(join(LOG_DIR, `${cluster.prefix}-impostor.log`), 'utf8').includes(
          'node id h1 is held by another live agent; refusing to start',
        ),
      ),
    );

    const nodes = await cluster.getJson<{ items: NodeRecord[] }>('/v1/nodes');
    expect(nodes.items.map((n) => [n.id, n.status, n.address])).toEqual([['h1', 'ready', `unix://${h1.socket}`]]);
    expect(nodes.items[0].conflict).toMatch(new RegExp(`\\(unix://${h2.socket}\\) tried to register as h1 at `));
    // The host's job is untouched: still running, in the same container, on the real host.
    const after = await cluster.getJson<JobView>(`/v1/jobs/${job.id}`);
    expect([after.status, after.containerId]).toEqual(['running', job.containerId]);
    expect((await h1.docker.getContainer(job.containerId!).inspect()).State.Running).toBe(true);
    expect(await cluster.containersOn(h2)).toEqual([]);
  });
});
