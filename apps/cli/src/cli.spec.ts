import { ApiClient } from './client';
import { Context, EXIT, jobBody, pullLine, replicasOf, RunOptions, timeline } from './commands';
import { program } from './main';
import { bar, outputFormat, table } from './output';
import { age, parseCpu, parseMemory, parsePairs } from './quantities';
import { parseFrame } from './sse';

const none: RunOptions = { env: [], label: [], constraint: [], affinity: [], replicas: '1' };

describe('quantities as a user writes them', () => {
  it('reads CPU as millicores or as cores with a decimal point', () => {
    expect(['250', '250m', '0.5', '1.25', '.1'].map(parseCpu)).toEqual([250, 250, 500, 1250, 100]);
    for (const bad of ['', 'half', '1c', '-1', '0.5m']) {
      expect(() => parseCpu(bad)).toThrow(/--cpu must be millicores/);
    }
  });

  it('reads memory in binary units, MiB when bare, and refuses what is not whole MiB', () => {
    expect(['64Mi', '1Gi', '512', '1.5Gi', '2048Ki', '1G'].map(parseMemory)).toEqual([64, 1024, 512, 1536, 2, 1024]);
    expect(() => parseMemory('64MB')).toThrow(/--memory must be a size/);
    expect(() => parseMemory('100Ki')).toThrow(/whole number of MiB/);
  });

  it('splits K=V at the first = and names the option of a bad pair', () => {
    expect(parsePairs('-e', ['A=1', 'URL=a=b', 'EMPTY='])).toEqual({ A: '1', URL: 'a=b', EMPTY: '' });
    expect(() => parsePairs('-l', ['novalue'])).toThrow('-l takes KEY=VALUE, not "novalue"');
  });

  it('prints ages as kubectl does', () => {
    const now = Date.parse('2026-12-04T12:00:00Z');
    const ago = (s: number) => new Date(now - s * 1000).toISOString();
    expect([ago(5), ago(300), ago(3 * 3600), ago(5 * 86_400)].map((t) => age(t, now))).toEqual([
      '5s',
      '5m',
      '3h',
      '5d',
    ]);
  });
});

describe('the job a run submits', () => {
  it('sends only what was given, in the API fields', () => {
    expect(jobBody('busybox', [], none)).toEqual({ image: 'busybox' });
    const options: RunOptions = {
      ...none,
      name: 'web',
      cpu: '0.25',
      memory: '64Mi',
      env: ['A=1'],
      label: ['team=x'],
      constraint: ['zone==a'],
      affinity: ['image==redis*'],
      strategy: 'binpack',
      reschedule: 'on-node-failure',
      placementTimeout: '30',
    };
    expect(jobBody('nginx', ['sleep', '60'], options)).toEqual({
      image: 'nginx',
      cmd: ['sleep', '60'],
      name: 'web',
      resources: { cpuMillis: 250, memoryMiB: 64 },
      env: { A: '1' },
      labels: { team: 'x' },
      constraints: ['zone==a'],
      affinities: ['image==redis*'],
      strategy: 'binpack',
      reschedule: 'on-node-failure',
      placementTimeoutSeconds: 30,
    });
  });

  it("draws a job's timeline from its events, or from its history when the log may miss some", () => {
    const job = {
      createdAt: '2026-01-01T00:00:00.000Z',
      history: [
        { status: 'queued' as const, at: '2026-01-01T00:00:00.000Z' },
        { status: 'scheduled' as const, at: '2026-01-01T00:00:02.500Z' },
      ],
    };
    const event = (at: string, status: 'queued' | 'scheduled', node: string | null, reason: string | null) => ({
      id: `${Date.parse(at)}-0`,
      at,
      type: 'job' as const,
      job: 'j',
      namespace: 'default',
      status,
      node,
      reason,
    });
    const events = [
      event('2026-01-01T00:00:00.000Z', 'queued', null, 'waiting for room: 0/2 hosts available'),
      event('2026-01-01T00:00:02.500Z', 'scheduled', 'h2', null),
    ];
    expect(timeline(job, events, true)).toEqual([
      '  2026-01-01T00:00:00.000Z  +0.0s  queued  (waiting for room: 0/2 hosts available)',
      '  2026-01-01T00:00:02.500Z  +2.5s  scheduled on h2',
    ]);
    expect(timeline(job, events.slice(1), false)).toEqual([
      '  2026-01-01T00:00:00.000Z  +0.0s  queued',
      '  2026-01-01T00:00:02.500Z  +2.5s  scheduled',
    ]);
  });

  it("draws an image pull's progress by bytes, with layers", () => {
    const line = pullLine('redis:7', { bytesDone: 12_300_000, bytesTotal: 41_000_000, layersDone: 2, layers: 5 });
    expect(line).toBe('[#######-----------------] pulling redis:7: 12.3/41.0 MB, 2/5 layers');
    // Sizes not known yet: the bar is empty, not a division by zero.
    expect(pullLine('x', { bytesDone: 0, bytesTotal: 0, layersDone: 0, layers: 0 })).toMatch(
      /^\[-{24}\] pulling x: 0.0\/0.0 MB/,
    );
  });

  it('refuses a bad replica count or timeout before sending anything', () => {
    expect(replicasOf('3')).toBe(3);
    for (const bad of ['0', '101', 'two', '1.5']) {
      expect(() => replicasOf(bad)).toThrow(/--replicas must be a whole number/);
    }
    expect(() => jobBody('x', [], { ...none, placementTimeout: '5m' })).toThrow(/--placement-timeout takes seconds/);
  });
});

describe('output', () => {
  const rows = [
    { id: 'a', status: 'running', node: 'h1' },
    { id: 'bbbb', status: 'queued', node: '' },
  ];
  const columns = [
    { header: 'id', value: (r: (typeof rows)[0]) => r.id },
    { header: 'status', value: (r: (typeof rows)[0]) => r.status },
    { header: 'node', value: (r: (typeof rows)[0]) => r.node, wide: true },
  ];

  it('pads columns to their widest cell, and shows wide columns only with -o wide', () => {
    expect(table(rows, columns, 'table')).toBe('ID     STATUS\na      running\nbbbb   queued');
    expect(table(rows, columns, 'wide')).toBe('ID     STATUS    NODE\na      running   h1\nbbbb   queued');
  });

  it('prints tables on a terminal or when asked, and JSON to a pipe', () => {
    expect([outputFormat(undefined, true), outputFormat(undefined, false), outputFormat('wide', false)]).toEqual([
      'table',
      'json',
      'wide',
    ]);
    expect(() => outputFormat('yaml', true)).toThrow(/-o must be one of table, wide, json/);
    expect(bar(1, 4, 8)).toBe('[##------]');
  });

  it('reads SSE frames: data lines joined, comments and retry skipped', () => {
    expect(parseFrame('id: 1-0\nevent: job\ndata: {"a":1}')).toEqual({ id: '1-0', event: 'job', data: '{"a":1}' });
    expect(parseFrame('data: one\ndata: two')).toEqual({ data: 'one\ntwo' });
    expect([parseFrame(': keep-alive'), parseFrame('retry: 2000')]).toEqual([null, null]);
  });
});

describe('the command line', () => {
  function parse(argv: string[]) {
    const calls: Array<{ method: string; path: string; body: unknown }> = [];
    const api = {
      connection: { api: 'http://127.0.0.1:1', token: 't' },
      json: (method: string, path: string, body?: unknown) => {
        calls.push({ method, path, body });
        return Promise.resolve({ id: 'j1', status: 'removing', schedulable: false });
      },
    } as unknown as ApiClient;
    const out: string[] = [];
    const ctx: Context = { api, term: { out: (t) => out.push(t), err: () => undefined, isTerminal: false } };
    let code = -1;
    const cli = program(
      () => ctx,
      (c) => (code = c),
    );
    for (const command of [cli, ...cli.commands]) {
      command.configureOutput({ writeErr: () => undefined, writeOut: () => undefined, outputError: () => undefined });
    }
    return { calls, out, done: cli.parseAsync(['node', 'berth', ...argv]).then(() => code) };
  }

  it('passes what follows -- as the command, and repeatable options as lists', async () => {
    const { calls, out, done } = parse(['run', '-d', '-e', 'A=1', '-e', 'B=2', 'busybox', '--', 'sleep', '-n', '5']);
    expect(await done).toBe(EXIT.ok);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: '/v1/jobs',
      body: { image: 'busybox', cmd: ['sleep', '-n', '5'], env: { A: '1', B: '2' } },
    });
    expect(out).toEqual(['j1']);
  });

  it('submits replicas as one group, all or nothing when asked', async () => {
    const { calls, done } = parse(['run', '-d', '--replicas', '3', '--all-or-nothing', '--name', 'web', 'nginx']);
    await done;
    expect(calls).toHaveLength(1);
    expect(calls[0].body).toMatchObject({ name: 'web', replicas: 3, allOrNothing: true });
  });

  it('refuses an output format it does not have', async () => {
    const { done } = parse(['nodes', '-o', 'yaml']);
    await expect(done).rejects.toThrow(/Allowed choices are table, wide, json/);
  });
});
