import { NodeRecord } from '@berth/contracts';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { TestCluster, testHosts, waitFor } from './support/cluster';
import { ROOTFS_TAR, TestRegistry } from './support/registry';

/** The walking skeleton on real services: a job runs on a real dockerd host, and DELETE really removes it. */
describe('a job through gateway, RabbitMQ, scheduler, agent and Docker', () => {
  const cluster = new TestCluster({ hosts: testHosts() });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  async function submitted(body: Record<string, unknown>): Promise<string> {
    return cluster.accepted({ image: 'berth/busybox:latest', resources: { cpuMillis: 100, memoryMiB: 16 }, ...body });
  }

  async function settledTo(id: string, status: string): Promise<JobView> {
    let job: JobView | undefined;
    await waitFor(`job ${id} to be ${status}`, async () => {
      job = await cluster.getJson<JobView>(`/v1/jobs/${id}`);
      return job.status === status;
    });
    return job as JobView;
  }

  async function allocatedOn(nodeId: string): Promise<NodeRecord['allocated']> {
    const nodes = await cluster.getJson<{ items: NodeRecord[] }>('/v1/nodes');
    const node = nodes.items.find((n) => n.id === nodeId);
    if (!node) {
      throw new Error(`node ${nodeId} not listed`);
    }
    return node.allocated;
  }

  it('lists every host with its Docker endpoint, capacity and books', async () => {
    const nodes = await cluster.getJson<{ items: NodeRecord[] }>('/v1/nodes');
    expect(nodes.items.map((n) => n.id).sort()).toEqual(cluster.hosts.map((h) => h.id).sort());
    for (const node of nodes.items) {
      const host = cluster.hosts.find((h) => h.id === node.id);
      expect(node.address).toBe(`unix://${host?.socket}`);
      expect(node.status).toBe('ready');
      expect(node.capacity.cpuMillis).toBeGreaterThan(0);
      expect(node.capacity.memoryMiB).toBeGreaterThan(0);
      expect(node.allocated).toEqual({ cpuMillis: 0, memoryMiB: 0 });
    }
  });

  it('runs the container on the host the job names, then DELETE removes it and gives the capacity back', async () => {
    const response = await cluster.submit({
      image: 'berth/busybox:latest',
      name: 'e2e-sleeper',
      cmd: ['sleep', '600'],
      env: { GREETING: 'hello' },
      labels: { team: 'e2e' },
      resources: { cpuMillis: 300, memoryMiB: 48 },
    });
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as { id: string; status: string };
    expect(accepted.status).toBe('queued');
    expect(response.headers.get('location')).toBe(`/v1/jobs/${accepted.id}`);

    const job = await cluster.settled<JobView>(accepted.id);
    expect(job.status).toBe('running');
    expect(job.history.map((h) => h.status)).toEqual(['queued', 'scheduled', 'running']);
    const host = cluster.hosts.find((h) => h.id === job.node);
    expect(host).toBeDefined();

    // Ask Docker on that host directly, not Berth.
    const inspect = await host!.docker.getContainer(job.containerId as string).inspect();
    expect(inspect.State.Running).toBe(true);
    expect(inspect.Name).toBe(`/berth-${job.id}`);
    expect(inspect.Config.Labels['berth.job']).toBe(job.id);
    expect(inspect.Config.Labels.team).toBe('e2e');
    expect(inspect.Config.Env).toContain('GREETING=hello');
    expect(inspect.HostConfig.Memory).toBe(48 * 1024 * 1024);
    expect(inspect.HostConfig.NetworkMode).toBe('none');
    for (const other of cluster.hosts.filter((h) => h !== host)) {
      expect(await cluster.containersOn(other)).toHaveLength(0);
    }
    expect(await allocatedOn(host!.id)).toEqual({ cpuMillis: 300, memoryMiB: 48 });

    const deleted = await cluster.fetch(`/v1/jobs/${job.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    await waitFor(
      'job removed',
      async () => (await cluster.getJson<JobView>(`/v1/jobs/${job.id}`)).status === 'removed',
    );
    await expect(host!.docker.getContainer(job.containerId as string).inspect()).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(await allocatedOn(host!.id)).toEqual({ cpuMillis: 0, memoryMiB: 0 });

    // Deleting again is harmless and frees nothing twice.
    const again = await cluster.fetch(`/v1/jobs/${job.id}`, { method: 'DELETE' });
    expect(again.status).toBe(202);
    expect(((await again.json()) as JobView).status).toBe('removed');
    expect(await allocatedOn(host!.id)).toEqual({ cpuMillis: 0, memoryMiB: 0 });
  });

  it("fails a job whose image cannot be pulled, quickly and with Docker's own message, and frees its capacity", async () => {
    // A registry on a loopback port where nothing listens: the pull fails at once, and no traffic leaves the machine.
    const image = '127.0.0.1:5999/berth/missing:1.0';
    const id = await cluster.accepted({ image });
    const job = await cluster.settled<JobView>(id);
    expect(job.status).toBe('failed');
    expect(job.reason).toMatch(/127\.0\.0\.1:5999/);
    expect(job.reason).toMatch(/connection refused/);
    expect(await allocatedOn(job.node as string)).toEqual({ cpuMillis: 0, memoryMiB: 0 });
    const host = cluster.hosts.find((h) => h.id === job.node);
    expect(await cluster.containersOn(host!)).toHaveLength(0);
  });

  it('pulls a missing image, showing the pull as it goes, then runs the job', async () => {
    const registry = new TestRegistry(ROOTFS_TAR);
    const port = await registry.start();
    try {
      const image = `127.0.0.1:${port}/berth/pulled:${Date.now()}`;
      const id = await cluster.accepted({ image, cmd: ['sleep', '600'], resources: { cpuMillis: 100, memoryMiB: 16 } });
      let seen: JobView | undefined;
      await waitFor('the job to show pull progress', async () => {
        const job = await cluster.getJson<JobView>(`/v1/jobs/${id}`);
        if (job.status === 'pulling' && job.progress && job.progress.layers > 0) {
          seen = job;
        }
        return seen !== undefined || job.status === 'running' || job.status === 'failed';
      });
      expect(seen?.progress?.layers).toBeGreaterThanOrEqual(1);
      expect(seen?.progress?.bytesDone).toBeLessThanOrEqual(registry.layerBytes);
      const job = await cluster.settled<JobView>(id);
      expect(job.status).toBe('running');
      expect(job.history.map((h) => h.status)).toEqual(['queued', 'scheduled', 'pulling', 'running']);
      expect(job.progress).toBeNull();
      const host = cluster.hosts.find((h) => h.id === job.node)!;
      expect((await host.docker.getImage(image).inspect()).RepoTags).toContain(image);
      await cluster.remove(id);
      await waitFor('removed', async () => (await cluster.getJson<JobView>(`/v1/jobs/${id}`)).status === 'removed');
      await host.docker
        .getImage(image)
        .remove()
        .catch(() => undefined);
    } finally {
      await registry.stop();
    }
  });

  it('moves a job whose container ends to exited or failed with its exit code, and frees its capacity once', async () => {
    const ok = await settledTo(await submitted({ cmd: ['true'] }), 'exited');
    const bad = await settledTo(await submitted({ cmd: ['sh', '-c', 'exit 3'] }), 'failed');
    expect([ok.exitCode, ok.reason]).toEqual([0, 'exited with code 0']);
    expect([bad.exitCode, bad.reason]).toEqual([3, 'exited with code 3']);
    for (const job of [ok, bad]) {
      expect(job.history.map((h) => h.status)).toContain(job.status);
      expect(await allocatedOn(job.node as string)).toEqual({ cpuMillis: 0, memoryMiB: 0 });
      // The stopped container is still there (for its logs) until the job is removed.
      const host = cluster.hosts.find((h) => h.id === job.node)!;
      const inspect = await host.docker.getContainer(`berth-${job.id}`).inspect();
      expect(inspect.State.Running).toBe(false);
      expect(inspect.State.ExitCode).toBe(job.exitCode);
      expect((await cluster.remove(job.id)).status).toBe(202);
      await waitFor('removed', async () => (await cluster.getJson<JobView>(`/v1/jobs/${job.id}`)).status === 'removed');
      await expect(host.docker.getContainer(`berth-${job.id}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect(await allocatedOn(job.node as string)).toEqual({ cpuMillis: 0, memoryMiB: 0 });
    }
  });

  it("serves a container's recent output, from its host's agent", async () => {
    const id = await submitted({ cmd: ['sh', '-c', 'echo hello from the job; echo trouble >&2; sleep 600'] });
    await settledTo(id, 'running');
    let logs = '';
    let contentType: string | null = null;
    // stdout and stderr reach Docker through separate pipes, so wait for both lines and don't rely on their order.
    // (An expect inside waitFor would only be retried, not reported: check what was read once it is complete.)
    await waitFor('both lines written', async () => {
      const response = await cluster.fetch(`/v1/jobs/${id}/logs`);
      contentType = response.headers.get('content-type');
      logs = await response.text();
      return logs.includes('trouble') && logs.includes('hello from the job');
    });
    expect(contentType).toMatch(/^text\/plain/);
    expect(logs.split('\n').sort()).toEqual(['', 'hello from the job', 'trouble']);
    const last = await (await cluster.fetch(`/v1/jobs/${id}/logs?tail=1`)).text();
    expect(last.split('\n')).toHaveLength(2);
    expect(logs.endsWith(last)).toBe(true);
    expect((await cluster.fetch(`/v1/jobs/${id}/logs?tail=0`)).status).toBe(400);

    const nowhere = await cluster.settled<JobView>(
      await cluster.accepted({
        image: 'berth/busybox:latest',
        constraints: ['node==nowhere'],
        placementTimeoutSeconds: 0,
      }),
    );
    expect((await cluster.fetch(`/v1/jobs/${nowhere.id}/logs`)).status).toBe(409);
    expect((await cluster.fetch(`/v1/jobs/00000000-0000-4000-8000-000000000000/logs`)).status).toBe(404);
    await cluster.remove(id);
    await waitFor('removed', async () => (await cluster.getJson<JobView>(`/v1/jobs/${id}`)).status === 'removed');
  });

  it('streams a large output in bounded chunks, capped in bytes and saying how much it left out', async () => {
    // One 3,000,000-byte line, then a short one: a cap in lines alone would send all of it.
    const id = await submitted({
      cmd: ['sh', '-c', "head -c 3000000 /dev/zero | tr '\\0' a; echo; echo end; sleep 600"],
    });
    await settledTo(id, 'running');
    const total = 3_000_000 + '\nend\n'.length;
    let response: Response | null = null;
    let body = '';
    await waitFor('the whole output written', async () => {
      response = await cluster.fetch(`/v1/jobs/${id}/logs?tail=10000`);
      body = await response.text();
      return body.endsWith('\nend\n');
    });
    // The default cap, 1 MiB: the end of the output, and the count of what came before. The host sends it as many
    // messages (the wire refuses one logs message over 64 KiB), relayed in order.
    expect(response!.status).toBe(200);
    expect(Buffer.byteLength(body)).toBe(1024 * 1024);
    expect(body).toBe(`${'a'.repeat(1024 * 1024 - 5)}\nend\n`);
    expect(response!.headers.get('berth-logs-dropped-bytes')).toBe(String(total - 1024 * 1024));

    const small = await cluster.fetch(`/v1/jobs/${id}/logs?tail=10000&limitBytes=100`);
    expect(await small.text()).toBe(`${'a'.repeat(95)}\nend\n`);
    expect(small.headers.get('berth-logs-dropped-bytes')).toBe(String(total - 100));
    const short = await cluster.fetch(`/v1/jobs/${id}/logs?tail=1`);
    expect(await short.text()).toBe('end\n');
    expect(short.headers.get('berth-logs-dropped-bytes')).toBe('0');

    for (const limitBytes of ['0', String(8 * 1024 * 1024 + 1), 'lots']) {
      const refused = await cluster.fetch(`/v1/jobs/${id}/logs?limitBytes=${limitBytes}`);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('limitBytes');
    }
    await cluster.remove(id);
    await waitFor('removed', async () => (await cluster.getJson<JobView>(`/v1/jobs/${id}`)).status === 'removed');
  });

  it('runs the command in the working directory the job names', async () => {
    const id = await submitted({ cmd: ['sh', '-c', 'pwd; sleep 600'], workingDir: '/tmp' });
    const job = await settledTo(id, 'running');
    expect(job.workingDir).toBe('/tmp');
    const host = cluster.hosts.find((h) => h.id === job.node)!;
    expect((await host.docker.getContainer(job.containerId!).inspect()).Config.WorkingDir).toBe('/tmp');
    let logs = '';
    await waitFor('pwd written', async () => {
      logs = await (await cluster.fetch(`/v1/jobs/${id}/logs`)).text();
      return logs !== '';
    });
    expect(logs).toBe('/tmp\n');
    expect((await cluster.submit({ image: 'berth/busybox:latest', workingDir: 'tmp' })).status).toBe(400);
    await cluster.remove(id);
    await waitFor('removed', async () => (await cluster.getJson<JobView>(`/v1/jobs/${id}`)).status === 'removed');
  });

  it('pages through jobs with a cursor: newest first, each once, never cut short', async () => {
    // A namespace of its own, so the list holds exactly these jobs.
    const token = await cluster.tokenFor('paging', ['read', 'submit']);
    const nowhere = { image: 'berth/busybox:latest', constraints: ['node==nowhere'], placementTimeoutSeconds: 0 };
    const submitted: string[] = [];
    for (let i = 0; i < 7; i++) {
      const response = await cluster.submit(nowhere, token);
      submitted.push(((await response.json()) as { id: string }).id);
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let next: string | null = null;
    do {
      const query: string = next === null ? '' : `&cursor=${next}`;
      const page: { items: JobView[]; next: string | null } = await cluster.getJson(`/v1/jobs?limit=3${query}`, token);
      seen.push(...page.items.map((j) => j.id));
      sizes.push(page.items.length);
      next = page.next;
      if (sizes.length === 1) {
        // A job submitted between pages is newer than every page still to come: it never shows up twice.
        submitted.push(((await (await cluster.submit(nowhere, token)).json()) as { id: string }).id);
      }
    } while (next !== null);
    expect(seen).toEqual(submitted.slice(0, 7).reverse());
    expect(sizes.slice(0, 3)).toEqual([3, 3, 1]);
    const bad = await cluster.fetch('/v1/jobs?cursor=bm90LWEtY3Vyc29y', { token });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toEqual(['cursor']);
  });

  it('lists jobs newest first and filters by status', async () => {
    const first = (await (await cluster.submit({ image: 'berth/busybox:latest', cmd: ['sleep', '600'] })).json()) as {
      id: string;
    };
    const second = (await (await cluster.submit({ image: 'berth/busybox:latest', cmd: ['sleep', '600'] })).json()) as {
      id: string;
    };
    // A failed job as well, so the status filter has something to leave out and something to keep.
    const broken = await settledTo(await submitted({ cmd: ['sh', '-c', 'exit 4'] }), 'failed');
    await cluster.settled<JobView>(first.id);
    await cluster.settled<JobView>(second.id);
    const all = await cluster.getJson<{ items: JobView[] }>('/v1/jobs');
    const ids = all.items.map((j) => j.id);
    expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
    const running = await cluster.getJson<{ items: JobView[] }>('/v1/jobs?status=running');
    expect(running.items.map((j) => j.id).sort()).toEqual([first.id, second.id].sort());
    const failed = await cluster.getJson<{ items: JobView[] }>('/v1/jobs?status=failed&limit=10');
    expect(failed.items.map((j) => j.id)).toContain(broken.id);
    expect(failed.items.every((j) => j.status === 'failed')).toBe(true);
    expect(ids).toContain(broken.id);
  });
});
