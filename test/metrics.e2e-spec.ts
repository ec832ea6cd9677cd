import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { TestCluster, testHosts, waitFor } from './support/cluster';

/** `promtool check metrics` on a scrape: its exit code and what it said. */
function promtool(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

/** Prometheus metrics of every Berth process, checked by Prometheus' own tools and scraped by a real server. */
describe('Prometheus metrics', () => {
  const cluster = new TestCluster({ hosts: testHosts(2), metrics: true });
  const dir = mkdtempSync(join(tmpdir(), 'berth-prometheus-'));
  let prometheus: ChildProcess | null = null;
  let job: JobView;

  beforeAll(async () => {
    await cluster.start();
    job = await cluster.settled<JobView>(
      await cluster.accepted({ image: 'berth/busybox:latest', cmd: ['sleep', '600'] }),
    );
  });
  afterAll(async () => {
    prometheus?.kill();
    rmSync(dir, { recursive: true, force: true });
    await cluster.stop();
  });

  it('serves, on every process, metrics that promtool accepts, named as operators know them, without job ids', async () => {
    expect(job.status).toBe('running');
    const expected: Record<string, string[]> = {
      'berth-gateway': [
        'berth_jobs_submitted_total{service="gateway"} 1',
        'berth_http_request_duration_seconds_bucket',
      ],
      'berth-scheduler': [
        'berth_schedule_attempts_total{result="placed",service="scheduler"} 1',
        'berth_scheduling_attempt_duration_seconds_bucket',
        'berth_job_submit_to_placed_seconds_count',
        'berth_reservation_conflicts_total',
        'berth_nodes{state="ready",service="scheduler"} 2',
        'berth_node_allocatable_cpu_cores{node="h1"',
        'berth_node_allocated_memory_bytes{node=',
        'berth_jobs_pending{queue="waiting"',
      ],
      'berth-agent': ['berth_agent_docker_call_duration_seconds_bucket', 'process_cpu_seconds_total'],
    };
    let placedToRunning = 0;
    for (const { targets, labels } of cluster.metricsTargets()) {
      for (const target of targets) {
        const response = await fetch(`http://${target}/metrics`);
        expect({ target, status: response.status }).toEqual({ target, status: 200 });
        expect(response.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
        const text = await response.text();
        for (const line of expected[labels.job]) {
          expect({ target, has: line, found: text.includes(line) }).toEqual({ target, has: line, found: true });
        }
        expect(text).not.toContain(job.id);
        placedToRunning += Number(/^berth_job_placed_to_running_seconds_count\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
        const checked = await promtool(text);
        expect({ target, ...checked }).toEqual({ target, code: 0, output: '' });
      }
    }
    // The job's create ran on one of the two hosts.
    expect(placedToRunning).toBe(1);
  });

  it('is scraped by a real Prometheus from file_sd targets, which then answers a query for placements', async () => {
    writeFileSync(join(dir, 'targets.json'), JSON.stringify(cluster.metricsTargets()));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: berth',
        '    file_sd_configs: [{ files: ["targets.json"], refresh_interval: 1s }]',
        '',
      ].join('\n'),
    );
    const port = cluster.port + 4000;
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const query = async (promql: string) => {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as {
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      return body.data.result;
    };
    // Every process is up, as Prometheus sees it: the gateway, the scheduler and both agents.
    await waitFor('Prometheus to scrape every target', async () => (await query('up == 1')).length === 4, 60_000, 1000);
    const placed = await query('sum(berth_schedule_attempts_total{result="placed"})');
    expect(Number(placed[0]?.value[1])).toBe(1);
    const nodes = await query('berth_nodes{state="ready"}');
    expect(nodes.map((r) => Number(r.value[1]))).toEqual([2]);
  });
});
