import { MAX_REPLICAS } from '@berth/contracts';
import type { GroupView, JobEvent, JobStatus, NodeRecord } from '@berth/contracts';
import type { JobView } from '../../gateway/src/jobs/job.view';
import type { PlacementPreview } from '../../gateway/src/jobs/placement-preview.service';
import type { QueuesView } from '../../gateway/src/queues/queues.service';
import { ApiClient, ApiError } from './client';
import { age, parseCpu, parseMemory, parsePairs } from './quantities';
import { bar, Column, OutputFormat, outputFormat, table } from './output';
import { sseFrames } from './sse';

/** Exit codes, as `nomad job run`: 2 when a job could not be placed. */
export const EXIT = { ok: 0, error: 1, placement: 2 } as const;

/** Where a command writes, and whether a person is watching (tables, progress) or a script (JSON, plain lines). */
export interface Terminal {
  /** A line. */
  out(text: string): void;
  /** Output as it comes (a followed log), unchanged. */
  write?(bytes: Uint8Array): void;
  err(text: string): void;
  isTerminal: boolean;
}

/** What a command needs: the API and the terminal. */
export interface Context {
  api: ApiClient;
  term: Terminal;
}

/** A job that has reached one of these has settled for `berth run`: it runs, ended, or will not be placed. */
const SETTLED: readonly JobStatus[] = ['running', 'exited', 'failed', 'unschedulable', 'removing', 'removed'];

const JOB_COLUMNS: Column<JobView>[] = [
  { header: 'id', value: (j) => j.id },
  { header: 'name', value: (j) => j.name ?? '' },
  { header: 'status', value: (j) => j.status },
  { header: 'node', value: (j) => j.node ?? '' },
  { header: 'image', value: (j) => j.image ?? '' },
  { header: 'cpu', value: (j) => `${j.resources?.cpuMillis ?? 0}m`, wide: true },
  { header: 'memory', value: (j) => `${j.resources?.memoryMiB ?? 0}Mi`, wide: true },
  { header: 'namespace', value: (j) => j.namespace, wide: true },
  { header: 'age', value: (j) => age(j.createdAt) },
  { header: 'reason', value: (j) => j.reason ?? '', wide: true },
];

type NodeView = NodeRecord;
const NODE_COLUMNS: Column<NodeView>[] = [
  { header: 'id', value: (n) => n.id },
  { header: 'status', value: (n) => n.status },
  {
    header: 'schedulable',
    value: (n) => (n.drain !== 'none' ? n.drain : n.schedulable ? 'yes' : 'cordoned'),
  },
  { header: 'cpu', value: (n) => `${n.allocated.cpuMillis}/${n.capacity.cpuMillis}m` },
  { header: 'memory', value: (n) => `${n.allocated.memoryMiB}/${n.capacity.memoryMiB}Mi` },
  { header: 'containers', value: (n) => String(n.containers) },
  {
    header: 'labels',
    value: (n) =>
      Object.entries(n.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    wide: true,
  },
  { header: 'heartbeat', value: (n) => `${age(n.heartbeatAt)} ago`, wide: true },
  { header: 'conflict', value: (n) => n.conflict ?? '', wide: true },
];

/** Prints a listing as asked (see outputFormat): the API's JSON as it came, or a table. */
function print<T>(ctx: Context, asked: string | undefined, json: unknown, rows: readonly T[], columns: Column<T>[]) {
  const format: OutputFormat = outputFormat(asked, ctx.term.isTerminal);
  ctx.term.out(format === 'json' ? JSON.stringify(json, null, 2) : table(rows, columns, format));
}

export interface RunOptions {
  name?: string;
  cpu?: string;
  memory?: string;
  env: string[];
  label: string[];
  constraint: string[];
  affinity: string[];
  strategy?: string;
  reschedule?: string;
  placementTimeout?: string;
  replicas: string;
  allOrNothing?: boolean;
  detach?: boolean;
  dryRun?: boolean;
  output?: string;
}

/**
 * The job a `berth run` asks for, as POST /v1/jobs takes it (the server checks every field): with --replicas, a
 * group of them, which the server names name-1, name-2, ...
 */
export function jobBody(image: string, cmd: readonly string[], options: RunOptions) {
  const replicas = replicasOf(options.replicas);
  const resources = {
    ...(options.cpu !== undefined ? { cpuMillis: parseCpu(options.cpu) } : {}),
    ...(options.memory !== undefined ? { memoryMiB: parseMemory(options.memory) } : {}),
  };
  const timeout = options.placementTimeout;
  if (timeout !== undefined && !/^\d+$/.test(timeout)) {
    throw new Error(`--placement-timeout takes seconds, not "${timeout}"`);
  }
  return {
    image,
    ...(cmd.length > 0 ? { cmd } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(Object.keys(resources).length > 0 ? { resources } : {}),
    ...(options.env.length > 0 ? { env: parsePairs('-e', options.env) } : {}),
    ...(options.label.length > 0 ? { labels: parsePairs('-l', options.label) } : {}),
    ...(options.constraint.length > 0 ? { constraints: options.constraint } : {}),
    ...(options.affinity.length > 0 ? { affinities: options.affinity } : {}),
    ...(options.strategy !== undefined ? { strategy: options.strategy } : {}),
    ...(options.reschedule !== undefined ? { reschedule: options.reschedule } : {}),
    ...(timeout !== undefined ? { placementTimeoutSeconds: Number(timeout) } : {}),
    ...(replicas > 1 || options.allOrNothing ? { replicas } : {}),
    ...(options.allOrNothing ? { allOrNothing: true } : {}),
  };
}

export function replicasOf(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_REPLICAS) {
    throw new Error(`--replicas must be a whole number from 1 to ${MAX_REPLICAS}, not "${text}"`);
  }
  return Number(text);
}

/**
 * `berth run`: submits the job (a group of N with --replicas, in one request), then follows them until each runs,
 * ends or cannot be placed, from the event stream (opened first, so no change is missed), with a progress line.
 */
export async function run(ctx: Context, image: string, cmd: string[], options: RunOptions): Promise<number> {
  const body = jobBody(image, cmd, options);
  if (options.dryRun) {
    const { replicas, allOrNothing, ...one } = body;
    void allOrNothing; // a preview is of one copy; `copies` says how many would fit
    return preview(ctx, one, replicas ?? 1, options.output);
  }
  const events = options.detach ? null : await openEvents(ctx, '?type=job');
  try {
    // A retry of this exact submission after a lost answer makes no second job (or group).
    const key = `berth-cli-${process.pid}-${Date.now()}`;
    const made = await ctx.api.json<{ id: string } | GroupView>('POST', '/v1/jobs', body, { 'idempotency-key': key });
    const ids = 'jobs' in made ? made.jobs.map((j) => j.id) : [made.id];
    if (events === null) {
      ctx.term.out('jobs' in made ? `group ${made.id}\n${ids.join('\n')}` : ids.join('\n'));
      return EXIT.ok;
    }
    const jobs = await follow(ctx, ids, events);
    const format = outputFormat(options.output, ctx.term.isTerminal);
    ctx.term.out(format === 'json' ? JSON.stringify(jobs, null, 2) : table(jobs, JOB_COLUMNS, format));
    if (jobs.some((j) => j.status === 'unschedulable')) {
      ctx.term.err(jobs.filter((j) => j.status === 'unschedulable').map((j) => `${j.id}: ${j.reason ?? ''}`)[0]);
      return EXIT.placement;
    }
    return jobs.some((j) => j.status === 'failed') ? EXIT.error : EXIT.ok;
  } finally {
    events?.close();
  }
}

/** `berth run --dry-run`: where the job would go now, every host's verdict, and how many copies would fit. */
async function preview(ctx: Context, body: unknown, replicas: number, asked: string | undefined): Promise<number> {
  const answer = await ctx.api.json<PlacementPreview>('POST', '/v1/jobs?dryRun=true', body);
  const format = outputFormat(asked, ctx.term.isTerminal);
  if (format === 'json') {
    ctx.term.out(JSON.stringify(answer, null, 2));
  } else {
    ctx.term.out(
      answer.node !== null ? `would run on ${answer.node}` : `would wait: ${answer.explanation ?? 'no host fits'}`,
    );
    ctx.term.out(
      `${answer.copies} cop${answer.copies === 1 ? 'y' : 'ies'} would fit now, across ${answer.hosts} hosts\n`,
    );
    ctx.term.out(
      table(
        answer.verdicts,
        [
          { header: 'node', value: (v) => v.node },
          { header: 'fits', value: (v) => (v.fits ? 'yes' : 'no') },
          { header: 'reasons', value: (v) => v.reasons.join('; ') },
        ],
        format,
      ),
    );
  }
  return answer.node !== null && answer.copies >= replicas ? EXIT.ok : EXIT.placement;
}

interface EventStream {
  frames: AsyncGenerator<{ event?: string; data: string }>;
  close(): void;
}

async function openEvents(ctx: Context, query: string): Promise<EventStream> {
  const controller = new AbortController();
  const { api, token } = ctx.api.connection;
  let response: Response;
  try {
    response = await fetch(`${api}/v1/events${query}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
  } catch (err) {
    throw new ApiError(0, `cannot reach the Berth API at ${api} (${(err as Error).message})`);
  }
  if (!response.ok || !response.body) {
    throw new ApiError(response.status, `GET /v1/events: ${response.status} ${await response.text()}`);
  }
  return { frames: sseFrames(response.body), close: () => controller.abort() };
}

/** Follows jobs until every one has settled; shows a progress line on a terminal. Returns them as they ended. */
async function follow(ctx: Context, ids: string[], events: EventStream): Promise<JobView[]> {
  const status = new Map<string, string>();
  const pending = new Set(ids);
  const progress = (): void => {
    if (!ctx.term.isTerminal) {
      return;
    }
    const counts = new Map<string, number>();
    for (const id of ids) {
      const s = status.get(id) ?? 'queued';
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    const summary = [...counts.entries()].map(([s, n]) => `${n} ${s}`).join(', ');
    ctx.term.err(
      `\r${bar(ids.length - pending.size, ids.length)} ${ids.length - pending.size}/${ids.length}: ${summary}\x1b[K`,
    );
  };
  const settle = (id: string, s: string): void => {
    status.set(id, s);
    if ((SETTLED as readonly string[]).includes(s)) {
      pending.delete(id);
    }
  };
  // One job's pull is shown as it goes (its record has the progress; events carry only the status).
  let pull = null as { stop(): void } | null;
  // What happened before the stream opened is in the records: read each once.
  for (const id of ids) {
    settle(id, (await ctx.api.get<JobView>(`/v1/jobs/${id}`)).status);
  }
  progress();
  try {
    await untilSettled();
  } finally {
    pull?.stop();
  }
  if (ctx.term.isTerminal) {
    ctx.term.err('\n');
  }
  return Promise.all(ids.map((id) => ctx.api.get<JobView>(`/v1/jobs/${id}`)));

  async function untilSettled(): Promise<void> {
    if (pending.size === 0) {
      return;
    }
    for await (const frame of events.frames) {
      if (frame.event !== 'job') {
        continue;
      }
      const event = JSON.parse(frame.data) as JobEvent;
      if (!status.has(event.job)) {
        continue;
      }
      settle(event.job, event.status);
      if (event.status === 'queued' && event.reason && ids.length === 1) {
        ctx.term.err(`${ctx.term.isTerminal ? '\r\x1b[K' : ''}${event.reason}\n`);
      }
      if (event.status === 'pulling' && ids.length === 1 && pull === null) {
        pull = watchPull(ctx, event.job);
      }
      if (event.status !== 'pulling' && pull !== null) {
        pull.stop();
        pull = null;
      }
      progress();
      if (pending.size === 0) {
        break;
      }
    }
  }
}

/** How far an image pull has got, in one line: a bar by bytes, then bytes and layers. */
export function pullLine(image: string, progress: NonNullable<JobView['progress']>): string {
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  return (
    `${bar(progress.bytesDone, Math.max(progress.bytesTotal, progress.bytesDone, 1))} pulling ${image}: ` +
    `${mb(progress.bytesDone)}/${mb(progress.bytesTotal)} MB, ${progress.layersDone}/${progress.layers} layers`
  );
}

/** Reads a pulling job's progress once a second and shows it on the progress line (a terminal only). */
function watchPull(ctx: Context, id: string): { stop(): void } {
  const timer = setInterval(() => {
    void ctx.api
      .get<JobView>(`/v1/jobs/${id}`)
      .then((job) => {
        if (job.status === 'pulling' && job.progress && ctx.term.isTerminal) {
          ctx.term.err(`\r${pullLine(job.image ?? '', job.progress)}\x1b[K`);
        }
      })
      .catch(() => undefined); // the next tick asks again; the events say when it is done
  }, 1000);
  timer.unref(); // never what keeps the CLI alive
  return { stop: () => clearInterval(timer) };
}

/** Every job of the token's namespace (or all, for an admin with allNamespaces), page by page. */
async function allJobs(ctx: Context, options: { status?: string; allNamespaces?: boolean }): Promise<JobView[]> {
  const items: JobView[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '500' });
    if (options.status) {
      query.set('status', options.status);
    }
    if (options.allNamespaces) {
      query.set('namespace', '*');
    }
    if (cursor) {
      query.set('cursor', cursor);
    }
    const page: { items: JobView[]; next: string | null } = await ctx.api.get(`/v1/jobs?${query.toString()}`);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== null);
  return items;
}

export async function jobs(
  ctx: Context,
  options: { status?: string; allNamespaces?: boolean; output?: string },
): Promise<number> {
  const items = await allJobs(ctx, options);
  print(ctx, options.output, { items, count: items.length }, items, JOB_COLUMNS);
  return EXIT.ok;
}

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A job as the user names it: its id, or its name (the newest job of that name not removed, in the namespace). */
async function jobIdOf(ctx: Context, ref: string): Promise<string> {
  if (JOB_ID.test(ref)) {
    return ref;
  }
  const named = (await allJobs(ctx, {})).filter((j) => j.name === ref && j.status !== 'removed');
  if (named.length === 0) {
    throw new ApiError(404, `no job named ${ref} (nor with that id)`);
  }
  return named[0].id;
}

/** `berth inspect`: the record, then its history as a timeline. */
export async function inspect(ctx: Context, ref: string, options: { output?: string }): Promise<number> {
  const id = await jobIdOf(ctx, ref);
  const job = await ctx.api.get<JobView>(`/v1/jobs/${id}`);
  if (outputFormat(options.output, ctx.term.isTerminal) === 'json') {
    ctx.term.out(JSON.stringify(job, null, 2));
    return EXIT.ok;
  }
  const fields: Array<[string, string | number | null]> = [
    ['ID', job.id],
    ['Name', job.name],
    ['Namespace', job.namespace],
    ['Status', job.status],
    ['Reason', job.reason],
    ['Image', job.image],
    ['Command', job.cmd ? job.cmd.join(' ') : null],
    ['Resources', `${job.resources?.cpuMillis ?? 0}m CPU, ${job.resources?.memoryMiB ?? 0}Mi memory`],
    ['Node', job.node],
    ['Container', job.containerId],
    ['Exit code', job.exitCode],
    ['Created', job.createdAt],
  ];
  const lines = fields.filter(([, v]) => v !== null && v !== '').map(([k, v]) => `${`${k}:`.padEnd(12)}${String(v)}`);
  if (job.verdicts && job.verdicts.length > 0) {
    // Why it waits (or gave up), host by host, the closest fits first.
    lines.push('Hosts:');
    for (const verdict of job.verdicts) {
      lines.push(`  ${verdict.node}: ${verdict.fits ? 'fits' : verdict.reasons.join(', ')}`);
    }
  }
  const events = await ctx.api.get<{ items: JobEvent[]; complete: boolean }>(`/v1/jobs/${id}/events`);
  lines.push('Timeline:', ...timeline(job, events.items, events.complete));
  ctx.term.out(lines.join('\n'));
  return EXIT.ok;
}

/**
 * A job's timeline: from its events, which say where and why (rescheduled, waiting for room), when the log still
 * has them all; from its history (statuses and times) otherwise.
 */
export function timeline(job: Pick<JobView, 'createdAt' | 'history'>, events: JobEvent[], complete: boolean): string[] {
  const start = Date.parse(job.createdAt);
  const since = (at: string) => `+${((Date.parse(at) - start) / 1000).toFixed(1)}s`;
  if (!complete || events.length === 0) {
    return job.history.map((entry) => `  ${entry.at}  ${since(entry.at)}  ${entry.status}`);
  }
  return events.map(
    (e) => `  ${e.at}  ${since(e.at)}  ${e.status}${e.node ? ` on ${e.node}` : ''}${e.reason ? `  (${e.reason})` : ''}`,
  );
}

/** `berth logs`: the container's last lines; with -f, then what it writes until it stops (as `docker logs -f`). */
export async function logs(ctx: Context, ref: string, options: { tail?: string; follow?: boolean }): Promise<number> {
  const tail = options.tail ?? '200';
  if (!/^\d+$/.test(tail)) {
    throw new Error(`--tail takes a number of lines, not "${tail}"`);
  }
  const path = `/v1/jobs/${await jobIdOf(ctx, ref)}/logs?tail=${tail}${options.follow ? '&follow=true' : ''}`;
  const response = await ctx.api.request('GET', path);
  if (!options.follow || !response.body || !ctx.term.write) {
    ctx.term.out((await response.text()).replace(/\n$/, ''));
    return EXIT.ok;
  }
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    ctx.term.write(chunk);
  }
  return EXIT.ok;
}

export async function rm(ctx: Context, ids: string[]): Promise<number> {
  let code: number = EXIT.ok;
  for (const id of ids) {
    try {
      const job = await ctx.api.json<JobView>('DELETE', `/v1/jobs/${await jobIdOf(ctx, id)}`);
      ctx.term.out(`${job.id} ${job.status}`);
    } catch (err) {
      ctx.term.err(`berth: ${id}: ${(err as Error).message}\n`);
      code = EXIT.error;
    }
  }
  return code;
}

export async function nodes(ctx: Context, options: { output?: string }): Promise<number> {
  const answer = await ctx.api.get<{ items: NodeView[] }>('/v1/nodes');
  print(ctx, options.output, answer, answer.items, NODE_COLUMNS);
  return EXIT.ok;
}

export async function nodeAction(ctx: Context, action: 'cordon' | 'uncordon', id: string): Promise<number> {
  const node = await ctx.api.json<NodeView>('POST', `/v1/nodes/${encodeURIComponent(id)}/${action}`);
  ctx.term.out(`${node.id} ${node.schedulable ? 'schedulable' : 'cordoned'}`);
  return EXIT.ok;
}

/** `berth drain`: starts the drain, then shows how many jobs are left on the host until it reads drained. */
export async function drain(ctx: Context, id: string, options: { detach?: boolean }): Promise<number> {
  const path = `/v1/nodes/${encodeURIComponent(id)}`;
  await ctx.api.json<NodeView>('POST', `${path}/drain`);
  if (options.detach) {
    ctx.term.out(`${id} draining`);
    return EXIT.ok;
  }
  for (;;) {
    const node = (await ctx.api.get<{ items: NodeView[] }>('/v1/nodes')).items.find((n) => n.id === id);
    if (!node) {
      throw new Error(`host ${id} is gone`);
    }
    if (node.drain === 'drained' || node.drain === 'none') {
      if (ctx.term.isTerminal) {
        ctx.term.err('\r\x1b[K');
      }
      const left =
        node.containers > 0 ? ` (${node.containers} containers stay: jobs without reschedule: on-node-failure)` : '';
      ctx.term.out(`${id} ${node.drain === 'drained' ? `drained${left}` : 'drain ended (uncordoned)'}`);
      return EXIT.ok;
    }
    const line = `${id} draining: ${node.containers} containers on it`;
    ctx.term.err(ctx.term.isTerminal ? `\r${line}\x1b[K` : `${line}\n`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const count = (n: number | null): string => (n === null ? '-' : String(n));
const rate = (n: number | null): string => (n === null ? '' : n.toFixed(1));

export async function queues(ctx: Context, options: { output?: string }): Promise<number> {
  const answer = await ctx.api.get<QueuesView>('/v1/queues');
  print(ctx, options.output, answer, answer.items, [
    { header: 'name', value: (q) => q.name },
    { header: 'role', value: (q) => q.role },
    { header: 'ready', value: (q) => count(q.ready) },
    { header: 'unacked', value: (q) => count(q.unacked) },
    { header: 'consumers', value: (q) => count(q.consumers) },
    { header: 'in/s', value: (q) => rate(q.publishRate) },
    { header: 'out/s', value: (q) => rate(q.deliverRate) },
  ]);
  if (outputFormat(options.output, ctx.term.isTerminal) !== 'json') {
    ctx.term.out(`\ndead letters kept: ${answer.deadLetters} (berth dead-letters)`);
  }
  return EXIT.ok;
}

interface DeadLetterView {
  id: string;
  queue: string;
  kind: string;
  reason: string;
  at: string;
}

export async function deadLetters(
  ctx: Context,
  action: string | undefined,
  id: string | undefined,
  options: { output?: string },
): Promise<number> {
  if (action === undefined) {
    const answer = await ctx.api.get<{ items: DeadLetterView[] }>('/v1/dead-letters');
    print(ctx, options.output, answer, answer.items, [
      { header: 'id', value: (d) => d.id },
      { header: 'queue', value: (d) => d.queue },
      { header: 'kind', value: (d) => d.kind },
      { header: 'age', value: (d) => age(d.at) },
      { header: 'reason', value: (d) => d.reason },
    ]);
    return EXIT.ok;
  }
  if ((action !== 'retry' && action !== 'drop') || id === undefined) {
    throw new Error('usage: berth dead-letters [retry ID | drop ID]');
  }
  const path = `/v1/dead-letters/${encodeURIComponent(id)}`;
  if (action === 'retry') {
    const done = await ctx.api.json<{ queue: string }>('POST', `${path}/retry`);
    ctx.term.out(`${id} sent back to ${done.queue}`);
  } else {
    await ctx.api.json('DELETE', path);
    ctx.term.out(`${id} dropped`);
  }
  return EXIT.ok;
}

interface TokenView {
  id: string;
  name: string;
  namespace: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
}

export async function tokens(
  ctx: Context,
  action: string,
  arg: string | undefined,
  options: { namespace?: string; scopes?: string; output?: string },
): Promise<number> {
  if (action === 'list') {
    const answer = await ctx.api.get<{ items: TokenView[] }>('/v1/tokens');
    print(ctx, options.output, answer, answer.items, [
      { header: 'id', value: (t) => t.id },
      { header: 'name', value: (t) => t.name },
      { header: 'namespace', value: (t) => t.namespace },
      { header: 'scopes', value: (t) => t.scopes.join(',') },
      { header: 'expires', value: (t) => t.expiresAt ?? 'never' },
    ]);
    return EXIT.ok;
  }
  if (action === 'create' && arg !== undefined) {
    const body = {
      name: arg,
      namespace: options.namespace ?? 'default',
      scopes: (options.scopes ?? 'read').split(','),
    };
    const made = await ctx.api.json<TokenView & { token: string }>('POST', '/v1/tokens', body);
    // The secret is shown once; on a terminal say so, for a script print it alone.
    ctx.term.out(
      ctx.term.isTerminal ? `${made.token}\n(token ${made.id}: keep it now, it is not shown again)` : made.token,
    );
    return EXIT.ok;
  }
  if (action === 'revoke' && arg !== undefined) {
    await ctx.api.json('DELETE', `/v1/tokens/${encodeURIComponent(arg)}`);
    ctx.term.out(`${arg} revoked`);
    return EXIT.ok;
  }
  throw new Error('usage: berth tokens list | create NAME [--namespace NS] [--scopes read,submit] | revoke ID');
}

/** `berth events`: follows /v1/events, one line per event (JSON lines with -o json). */
export async function events(ctx: Context, options: { type?: string; job?: string; output?: string }): Promise<number> {
  const query = new URLSearchParams();
  if (options.type) {
    query.set('type', options.type);
  }
  if (options.job) {
    query.set('job', options.job);
  }
  const stream = await openEvents(ctx, query.size > 0 ? `?${query.toString()}` : '');
  const json = outputFormat(options.output, ctx.term.isTerminal) === 'json';
  for await (const frame of stream.frames) {
    if (json) {
      ctx.term.out(frame.data);
      continue;
    }
    const event = JSON.parse(frame.data) as Record<string, unknown>;
    if (frame.event === 'job') {
      const e = event as unknown as JobEvent;
      ctx.term.out(
        `${e.at}  job  ${e.job}  ${e.status}${e.node ? ` on ${e.node}` : ''}${e.reason ? `  (${e.reason})` : ''}`,
      );
    } else if (frame.event === 'node') {
      ctx.term.out(
        `${String(event.at)}  node ${String(event.node)}  ${String(event.status)}  schedulable=${String(event.schedulable)} drain=${String(event.drain)}`,
      );
    } else {
      ctx.term.out(`${frame.event ?? 'message'}: ${frame.data}`);
    }
  }
  return EXIT.ok;
}
