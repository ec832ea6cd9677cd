import { NodeRecord } from '@berth/contracts';
import { TestCluster, testHosts, waitFor } from './support/cluster';
import { CliResult, dockerCli, dockerConfigWith } from './support/docker-cli';
import { ROOTFS_TAR, TestRegistry } from './support/registry';

const IMAGE = 'berth/busybox:latest';

/**
 * The docker CLI against Berth's Engine API on real hosts: each host offers 5 CPUs, so exactly ten `--cpus 1`
 * containers fit in the cluster.
 */
describe('the docker CLI against Berth', () => {
  const cluster = new TestCluster({
    hosts: testHosts(2),
    dockerApi: true,
    agentEnv: { BERTH_NODE_CPU_MILLIS: '5000', BERTH_NODE_MEMORY_MIB: '4096' },
  });
  let config = '';
  const berth = () => `tcp://127.0.0.1:${cluster.dockerPort}`;
  const docker = (args: string[], configDir = config): Promise<CliResult> => dockerCli(args, berth(), configDir);
  /** The CLI straight against one host's own engine, to see what Berth really did there. */
  const onHost = (hostId: string, args: string[]) =>
    dockerCli(args, `unix:///run/berth/${hostId}/docker.sock`, dockerConfigWith(null));

  async function allocated(): Promise<number> {
    const nodes = await cluster.getJson<{ items: NodeRecord[] }>('/v1/nodes');
    return nodes.items.reduce((sum, n) => sum + n.allocated.cpuMillis, 0);
  }

  beforeAll(async () => {
    await cluster.start();
    config = dockerConfigWith(cluster.adminToken);
  });
  afterAll(() => cluster.stop());

  it('answers version and info, with a line per host as Swarm printed them', async () => {
    const version = await docker(['version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/Server: Berth/);
    expect(version.stdout).toMatch(/API version:\s+1\.4[4-9]/);
    const info = await docker(['info']);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/Strategy: spread/);
    expect(info.stdout).toMatch(/Nodes: 2/);
    for (const host of cluster.hosts) {
      expect(info.stdout).toContain(` ${host.id}: unix://${host.socket}`);
    }
    expect(info.stdout).toMatch(/└ Reserved CPUs: 0 \/ 5/);
    expect(info.stdout).toMatch(/CPUs: 10/);
  });

  it('refuses a request without a token, saying how to give one', async () => {
    const bare = await docker(['ps'], dockerConfigWith(null));
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toMatch(/bearer token.*HttpHeaders/);
  });

  it('runs a container where its constraint says, and manages it through its life', async () => {
    const run = await docker([
      'run',
      '-d',
      '--name',
      'web',
      '-m',
      '64m',
      '-l',
      'team=ml',
      '-e',
      'constraint:node==h2',
      IMAGE,
      'sh',
      '-c',
      'echo started; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.3; done',
    ]);
    expect(run.stderr).toMatch(/placed on host h2/);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    // The host's own engine runs it, under that id; the constraint never reached the container.
    const there = await onHost('h2', ['ps', '--no-trunc', '--format', '{{.ID}}']);
    expect(there.stdout.split('\n')).toContain(id);
    const env = await onHost('h2', ['inspect', '-f', '{{json .Config.Env}}', id]);
    expect(env.stdout).not.toContain('constraint');
    expect((await onHost('h1', ['ps', '-q', '--no-trunc'])).stdout).not.toContain(id);

    const ps = await docker(['ps', '--filter', 'label=team=ml', '--format', '{{.ID}} {{.Names}} {{.Status}}']);
    expect(ps.code).toBe(0);
    expect(ps.stdout.trim()).toMatch(new RegExp(`^${id.slice(0, 12)} h2/web Up`));
    expect((await docker(['ps', '--filter', 'label=team=other', '-q'])).stdout.trim()).toBe('');
    expect((await docker(['inspect', '-f', '{{.Node.Name}}', 'web'])).stdout.trim()).toBe('h2');
    expect((await docker(['inspect', '-f', '{{.Id}}', 'h2/web'])).stdout.trim()).toBe(id);
    expect((await docker(['inspect', '-f', '{{.HostConfig.Memory}}', id.slice(0, 12)])).stdout.trim()).toBe(
      String(64 * 1024 * 1024),
    );

    await waitFor('a few ticks', async () => (await docker(['logs', 'web'])).stdout.includes('tick 3'));
    const logs = await docker(['logs', 'web']);
    expect(logs.stdout.startsWith('started\ntick 0\ntick 1\n')).toBe(true);

    // restart: the same container on the same host, started again; its job stays running (its die is no end).
    const restart = await docker(['restart', '-t', '1', 'web']);
    expect(restart.code).toBe(0);
    await waitFor('started again', async () => {
      const again = (await docker(['logs', 'web'])).stdout;
      return again.split('\n').filter((line) => line === 'started').length === 2;
    });
    expect((await onHost('h2', ['inspect', '-f', '{{.State.Running}} {{.RestartCount}}', id])).stdout.trim()).toMatch(
      /^true/,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const [job] = (
      await cluster.getJson<{ items: Array<{ status: string; containerId: string }> }>('/v1/jobs')
    ).items.filter((j) => j.containerId === id);
    expect(job.status).toBe('running');

    // logs -f shows lines written after it started, each once, and ends when the container stops.
    const follow = docker(['logs', '-f', '--tail', '1', 'web']);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const stop = await docker(['stop', '-t', '1', 'web']);
    expect(stop.code).toBe(0);
    const followed = await follow;
    expect(followed.code).toBe(0);
    const ticks = followed.stdout
      .trim()
      .split('\n')
      .map((line) => Number(/^tick (\d+)$/.exec(line)?.[1]));
    expect(ticks.length).toBeGreaterThan(3);
    expect(ticks.every((n, i) => i === 0 || n === ticks[i - 1] + 1)).toBe(true);

    const exited = await docker(['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}}']);
    expect(exited.stdout.trim()).toBe('h2/web');
    const rm = await docker(['rm', '-f', 'web']);
    expect(rm.code).toBe(0);
    expect((await onHost('h2', ['ps', '-a', '-q', '--no-trunc'])).stdout).not.toContain(id);
    const gone = await docker(['inspect', 'web']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/No such object: web/);
    expect(await allocated()).toBe(0);
  });

  it('runs attached: prints the output and exits with the container code', async () => {
    const run = await docker(['run', '--rm', IMAGE, 'sh', '-c', 'echo hi; echo oops >&2; exit 3']);
    expect(run.stdout).toBe('hi\n');
    // stderr holds the container's stderr and Berth's warnings (which host), nothing the CLI calls an error.
    expect(run.stderr).toContain('oops');
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(3);
    await waitFor('--rm to remove it', async () => (await docker(['ps', '-a', '-q'])).stdout.trim() === '');
    expect(await allocated()).toBe(0);
  });

  it('refuses what Berth runs no container with, naming the field', async () => {
    const privileged = await docker(['run', '-d', '--privileged', IMAGE, 'true']);
    expect(privileged.code).not.toBe(0);
    expect(privileged.stderr).toMatch(/Error response from daemon: .*HostConfig\.Privileged/);
    const bound = await docker(['run', '-d', '-v', '/etc:/host-etc', IMAGE, 'true']);
    expect(bound.stderr).toMatch(/HostConfig\.Binds/);
    const terminal = await docker(['run', '-t', IMAGE, 'true']);
    expect(terminal.stderr).toMatch(/Error response from daemon: Tty: Berth gives containers no terminal/);
    // A token that may only read: it lists, but creates and removes nothing.
    const reader = dockerConfigWith(await cluster.tokenFor('default', ['read']));
    expect((await docker(['ps', '-a'], reader)).code).toBe(0);
    const refused = await docker(['run', '-d', IMAGE, 'true'], reader);
    expect(refused.stderr).toMatch(/lacks the 'submit' scope/);
    expect((await docker(['ps', '-a', '-q'])).stdout.trim()).toBe('');
  });

  it('places 30 concurrent runs onto room for exactly 10: 10 ids, 20 clear errors, 10 containers', async () => {
    const runs = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        docker(['run', '-d', '--cpus', '1', '--name', `c${i}`, IMAGE, 'sleep', '600']),
      ),
    );
    const ids = runs.filter((r) => r.code === 0).map((r) => r.stdout.trim());
    const refused = runs.filter((r) => r.code !== 0);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(refused).toHaveLength(20);
    for (const r of refused) {
      expect(r.stderr).toMatch(/Error response from daemon: Berth could not create the container: .*(cpu|CPU)/);
    }
    const onHosts = (
      await Promise.all(
        cluster.hosts.map((h) =>
          onHost(h.id, ['ps', '-q', '--no-trunc', '--filter', `label=berth.cluster=${cluster.prefix}`]),
        ),
      )
    ).flatMap((r) => r.stdout.trim().split('\n').filter(Boolean));
    expect(onHosts.sort()).toEqual([...ids].sort());
    const rm = await docker(['rm', '-f', ...ids]);
    expect(rm.code).toBe(0);
    expect(await allocated()).toBe(0);
  });

  it("pulls onto every ready host from a registry, showing each host's progress, and lists the union", async () => {
    const registry = new TestRegistry(ROOTFS_TAR, 4, 200);
    const port = await registry.start();
    const image = `127.0.0.1:${port}/berth/pulled:${Date.now()}`;
    try {
      const pull = await docker(['pull', image]);
      expect(pull.stderr).toBe('');
      expect(pull.code).toBe(0);
      for (const host of cluster.hosts) {
        expect(pull.stdout).toMatch(new RegExp(`${host.id}: [0-9a-f]{12}: (Pull complete|Download complete)`));
        expect(pull.stdout).toContain(`Pulled ${image} on ${host.id}`);
        // The host's own engine has it now.
        expect((await onHost(host.id, ['image', 'inspect', '-f', '{{.Id}}', image])).code).toBe(0);
      }
      expect(pull.stdout).toContain(`Status: ${image} is on 2 host(s)`);
      const images = await docker(['images', '--format', '{{.Repository}}:{{.Tag}}']);
      expect(images.code).toBe(0);
      expect(images.stdout.split('\n')).toEqual(expect.arrayContaining([image, IMAGE]));
      const bad = await docker(['pull', 'UPPER/case']);
      expect(bad.code).not.toBe(0);
    } finally {
      await registry.stop();
      for (const host of cluster.hosts) {
        await onHost(host.id, ['rmi', '-f', image]);
      }
    }
  });

  it('answers 501 naming a route it does not serve', async () => {
    const response = await fetch(`http://127.0.0.1:${cluster.dockerPort}/v1.45/swarm`, {
      headers: { authorization: `Bearer ${cluster.adminToken}` },
    });
    expect(response.status).toBe(501);
    expect(((await response.json()) as { message: string }).message).toMatch(/GET \/swarm/);
  });
});
