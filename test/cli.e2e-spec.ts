import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { LOG_DIR, TestCluster, testHosts, waitFor } from './support/cluster';
import { CliResult, runProcess } from './support/run-process';

const BERTH = join(__dirname, '..', 'bin', 'berth.js');

/** The `berth` CLI, built, run as a child process against the real stack, as a user runs it. */
describe('the berth CLI', () => {
  const cluster = new TestCluster({ hosts: testHosts(2) });
  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  function berth(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    return runProcess(process.execPath, [BERTH, ...args], {
      ...process.env,
      BERTH_API: cluster.api,
      BERTH_TOKEN: cluster.adminToken,
      ...env,
    });
  }

  it('runs a job and follows it until it runs, then shows it in jobs, inspect and rm', async () => {
    const ran = await berth([
      'run',
      '-o',
      'json',
      '--cpu',
      '0.1',
      '--memory',
      '16Mi',
      'berth/busybox:latest',
      '--',
      'sleep',
      '600',
    ]);
    expect([ran.code, ran.stderr]).toEqual([0, '']);
    const [job] = JSON.parse(ran.stdout) as JobView[];
    expect(job).toMatchObject({
      status: 'running',
      resources: { cpuMillis: 100, memoryMiB: 16 },
      cmd: ['sleep', '600'],
    });

    const listed = await berth(['jobs', '-o', 'table']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+NODE\s+IMAGE\s+AGE$/);
    expect(listed.stdout).toMatch(new RegExp(`${job.id}\\s+running\\s+h[12]\\s+berth/busybox:latest`));
    // Piped with no -o: JSON, the API's own answer.
    const piped = JSON.parse((await berth(['jobs'])).stdout) as { items: JobView[] };
    expect(piped.items.map((j) => j.id)).toContain(job.id);

    const inspected = await berth(['inspect', job.id, '-o', 'table']);
    expect(inspected.stdout).toMatch(/^Status:\s+running$/m);
    // The timeline is the job's events: each status with its host.
    expect(inspected.stdout).toMatch(/Timeline:\n.*queued\n.*scheduled on h[12]\n.*running on h[12]/);

    const removed = await berth(['rm', job.id, 'no-such-job']);
    expect(removed.code).toBe(1);
    expect(removed.stdout.trim()).toBe(`${job.id} removing`);
    expect(removed.stderr).toMatch(/^berth: no-such-job: no job named no-such-job/);
  });

  it('previews a run with --dry-run, host by host, submitting nothing', async () => {
    const fits = await berth(['run', '--dry-run', '-o', 'table', '--memory', '16Mi', 'berth/busybox:latest']);
    expect(fits.code).toBe(0);
    expect(fits.stdout).toMatch(/^would run on h[12]\n\d+ copies would fit now, across 2 hosts/);
    expect(fits.stdout).toMatch(/^NODE\s+FITS\s+REASONS$/m);
    const nowhere = await berth([
      'run',
      '--dry-run',
      '-o',
      'table',
      '--constraint',
      'node==nowhere',
      'berth/busybox:latest',
    ]);
    expect(nowhere.code).toBe(2);
    expect(nowhere.stdout).toMatch(/^h1\s+no\s+constraint node==nowhere not met$/m);
  });

  it('exits 2 with the reason when a job cannot be placed', async () => {
    const ran = await berth([
      'run',
      '--constraint',
      'node==nowhere',
      '--placement-timeout',
      '0',
      'berth/busybox:latest',
    ]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/constraint node==nowhere not met/);
    // inspect shows why, host by host.
    const id = /^(\S+): /.exec(ran.stderr)?.[1] ?? '';
    const inspected = await berth(['inspect', id, '-o', 'table']);
    expect(inspected.stdout).toMatch(
      /^Hosts:\n {2}h[12]: constraint node==nowhere not met\n {2}h[12]: constraint node==nowhere not met$/m,
    );
    // The scheduler said so in a JSON line that carries the job's fields.
    const records = readFileSync(join(LOG_DIR, `${cluster.prefix}-scheduler-1.log`), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((r) => r.jobId === id)).toMatchObject({
      level: 'info',
      service: 'scheduler',
      context: 'Placement',
      namespace: 'default',
      msg: expect.stringContaining('unschedulable'),
    });
  });

  it('prints a job logs, the hosts, and cordons and uncordons a host', async () => {
    const ran = await berth(['run', '-o', 'json', 'berth/busybox:latest', '--', 'echo', 'hello from berth']);
    const [job] = JSON.parse(ran.stdout) as JobView[];
    await waitFor(
      'the echo to end',
      async () => (await cluster.getJson<JobView>(`/v1/jobs/${job.id}`)).status === 'exited',
    );
    expect((await berth(['logs', job.id])).stdout.trim()).toBe('hello from berth');
    // By name too, as a user names it.
    const named = await berth(['run', '-o', 'json', '--name', 'greeter', 'berth/busybox:latest', '--', 'echo', 'hi']);
    expect(named.code).toBe(0);
    await waitFor('the greeter to end', async () => (await berth(['logs', 'greeter'])).stdout.trim() === 'hi');
    expect((await berth(['inspect', 'greeter', '-o', 'json'])).stdout).toContain('"name": "greeter"');

    const nodes = await berth(['nodes', '-o', 'wide']);
    expect(nodes.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+SCHEDULABLE\s+CPU\s+MEMORY\s+CONTAINERS\s+LABELS/);
    expect(nodes.stdout).toMatch(/^h1\s+ready\s+yes\s+\d+\/\d+m/m);
    expect((await berth(['cordon', 'h1'])).stdout.trim()).toBe('h1 cordoned');
    expect((await berth(['nodes', '-o', 'table'])).stdout).toMatch(/^h1\s+ready\s+cordoned/m);
    expect((await berth(['uncordon', 'h1'])).stdout.trim()).toBe('h1 schedulable');
    const missing = await berth(['cordon', 'nope']);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/^berth: .*nope/)]);
  });

  it('follows a job logs with -f until its container stops, each line once', async () => {
    const script = 'for i in 1 2 3 4 5 6; do echo line $i; sleep 0.4; done';
    const ran = await berth(['run', '-o', 'json', 'berth/busybox:latest', '--', 'sh', '-c', script]);
    const [job] = JSON.parse(ran.stdout) as JobView[];
    expect(job.status).toBe('running');
    const followed = await berth(['logs', '-f', job.id]);
    expect([followed.code, followed.stdout]).toEqual([0, [1, 2, 3, 4, 5, 6].map((i) => `line ${i}\n`).join('')]);
    expect((await cluster.getJson<JobView>(`/v1/jobs/${job.id}`)).status).toBe('exited');
  });

  it('runs --replicas as one all-or-nothing group and follows all of it', async () => {
    const args = ['run', '-o', 'json', '--replicas', '2', '--all-or-nothing', '--name', 'pair', '--memory', '16Mi'];
    const ran = await berth([...args, 'berth/busybox:latest', '--', 'sleep', '600']);
    expect([ran.code, ran.stderr]).toEqual([0, '']);
    const jobs = JSON.parse(ran.stdout) as JobView[];
    expect(jobs.map((j) => [j.name, j.status])).toEqual([
      ['pair-1', 'running'],
      ['pair-2', 'running'],
    ]);
    expect(new Set(jobs.map((j) => j.group)).size).toBe(1);
    const removed = await cluster.fetch(`/v1/groups/${jobs[0].group}`, { method: 'DELETE' });
    expect(removed.status).toBe(202);
  });

  it("prints the server's problem detail, and exits 1, for a token that may not", async () => {
    const created = await berth(['tokens', 'create', 'cli-reader', '--namespace', 'team', '--scopes', 'read']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^berth_/);
    const refused = await berth(['run', 'berth/busybox:latest'], { BERTH_TOKEN: token });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^berth: .*submit/);
    const listed = JSON.parse((await berth(['tokens', 'list'])).stdout) as { items: Array<{ name: string }> };
    expect(listed.items.map((t) => t.name)).toContain('cli-reader');
  });

  it('lists the queues, and says so when the API cannot be reached', async () => {
    const queues = JSON.parse((await berth(['queues'])).stdout) as { items: Array<{ role: string }> };
    expect(queues.items.map((q) => q.role)).toEqual(expect.arrayContaining(['jobs', 'waiting', 'outcomes', 'node']));
    const table = (await berth(['queues', '-o', 'table'])).stdout;
    expect(table.split('\n')[0]).toMatch(/^NAME\s+ROLE\s+READY\s+UNACKED\s+CONSUMERS\s+IN\/S\s+OUT\/S$/);
    expect(table).toMatch(/dead letters kept: 0/);
    const away = await berth(['nodes'], { BERTH_API: 'http://127.0.0.1:9' });
    expect(away.code).toBe(1);
    expect(away.stderr).toMatch(/^berth: cannot reach the Berth API at http:\/\/127\.0\.0\.1:9/);
    const usage = await berth(['run']);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/missing required argument 'image'/);
  });

  it('follows events as lines', async () => {
    const child = spawn(process.execPath, [BERTH, 'events', '--type', 'job', '-o', 'table'], {
      env: { ...process.env, BERTH_API: cluster.api, BERTH_TOKEN: cluster.adminToken },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lines = '';
    child.stdout.on('data', (d: Buffer) => (lines += d.toString()));
    try {
      // Let it open the stream before there is anything to tell (a line it misses would only come later).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const id = await cluster.accepted({ image: 'berth/busybox:latest', cmd: ['sleep', '600'] });
      await waitFor('the events of the job to be printed', () =>
        Promise.resolve(lines.includes(`job  ${id}  running on h`)),
      );
      await cluster.remove(id);
    } finally {
      child.kill();
    }
  });
});
