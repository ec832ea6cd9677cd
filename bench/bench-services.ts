/**
 * What bench:scheduler runs Berth with: the built scheduler and gateway as child processes (default settings
 * unless the environment says otherwise), each serving its metrics so the bench can read its event-loop delay,
 * and the RabbitMQ user of the simulated fleet.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagementApi } from '@berth/messaging';

export interface Service {
  name: string;
  child: ChildProcess;
  output: string;
  metricsPort: number;
}

/** The stats a scheduler logs as it stops (`stopped: {...}`), from its JSON log lines. */
export function stoppedStats(output: string): { conflicts: number; placed: number } | null {
  for (const line of output.split('\n')) {
    if (line.includes('"msg":"stopped: ')) {
      const { msg } = JSON.parse(line) as { msg: string };
      return JSON.parse(msg.slice('stopped: '.length)) as { conflicts: number; placed: number };
    }
  }
  return null;
}

let nextPort = 19400 + (process.pid % 200) * 4;

export class BenchServices {
  readonly running: Service[] = [];
  readonly adminToken = `berth_${randomBytes(32).toString('base64url')}`;
  private readonly tokenFile = join(tmpdir(), `berth-bench-admin-token-${process.pid}`);

  constructor(private readonly env: Record<string, string>) {
    writeFileSync(this.tokenFile, `${this.adminToken}\n`, { mode: 0o600 });
  }

  /** A scheduler; with BENCH_PROFILE set (a folder), it writes a V8 CPU profile there as it stops. */
  scheduler(name: string, env: Record<string, string> = {}): Service {
    const profile = process.env.BENCH_PROFILE;
    return this.start(name, 'scheduler', env, profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []);
  }

  /** The gateway on its own port, with no request limit (the bench is one client sending thousands a second). */
  gateway(): { service: Service; url: string } {
    const port = nextPort++;
    const service = this.start('gateway', 'gateway', {
      PORT: String(port),
      BERTH_ADMIN_TOKEN_FILE: this.tokenFile,
      BERTH_RATE_LIMIT: String(1_000_000),
      BERTH_DOCKER_PORT: '0',
    });
    service.metricsPort = port;
    return { service, url: `http://127.0.0.1:${port}` };
  }

  private start(name: string, app: string, env: Record<string, string>, nodeArgs: string[] = []): Service {
    const metricsPort = nextPort++;
    const child = spawn(process.execPath, [...nodeArgs, join(__dirname, '..', 'apps', app, 'src', 'main.js')], {
      env: { ...process.env, ...this.env, BERTH_METRICS_PORT: String(metricsPort), NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service: Service = { name, child, output: '', metricsPort };
    // Only the last of the output is kept: enough for the stats line and any error, never without bound.
    const keep = (d: Buffer) => (service.output = (service.output + d.toString()).slice(-256 * 1024));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.running.push(service);
    return service;
  }

  /** The event-loop delay p99 (ms) a service measured since it was last asked (prom-client resets it per scrape). */
  async eventLoopP99Ms(service: Service): Promise<number | null> {
    const response = await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`).catch(() => null);
    if (!response?.ok) {
      return null;
    }
    const match = /^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([\d.e+-]+)$/m.exec(await response.text());
    return match ? Number(match[1]) * 1000 : null;
  }

  /** Stops every service; returns the conflicts the schedulers counted. */
  async stopAll(): Promise<number> {
    await Promise.all(
      this.running.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) {
              return resolve();
            }
            const timer = setTimeout(() => s.child.kill('SIGKILL'), 15_000);
            s.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            s.child.kill('SIGTERM');
          }),
      ),
    );
    const conflicts = this.running.reduce((sum, s) => sum + (stoppedStats(s.output)?.conflicts ?? 0), 0);
    this.running.length = 0;
    return conflicts;
  }
}

/**
 * The simulated fleet's RabbitMQ user: it may impersonate every host's agent user (the `impersonator` tag), so its
 * reports carry the `user_id` of the host's agent, as real agents' do, and the schedulers act on them. Limited to
 * the bench's own names; removed when the bench ends.
 */
export async function benchFleetUser(
  managementUrl: string,
  amqpUrl: string,
  prefix: string,
): Promise<{ url: string; remove: () => Promise<void> }> {
  const api = new ManagementApi(managementUrl);
  const user = `${prefix}-simulated-fleet`;
  const password = randomBytes(18).toString('base64url');
  await api.call('PUT', `/api/users/${encodeURIComponent(user)}`, { password, tags: 'impersonator' });
  // The default exchange too: the waiting tiers dead-letter through it, and declaring them needs the write.
  const names = `^(${prefix}\\..*|amq\\.default)$`;
  await api.call('PUT', `/api/permissions/%2F/${encodeURIComponent(user)}`, {
    configure: names,
    write: names,
    read: names,
  });
  const url = new URL(amqpUrl);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  return {
    url: url.toString(),
    remove: async () => {
      await api.call('DELETE', `/api/users/${encodeURIComponent(user)}`, undefined, [404]);
    },
  };
}

/** CPU seconds a process has used so far (user + system, from /proc), or 0 when it is gone. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) {
    return 0;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces, so split after its closing parenthesis): utime is 14th, stime 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The pids of a program's processes (`pgrep -x`), e.g. RabbitMQ's beam.smp. */
export function pidsOf(program: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', program], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A process's resident memory now (MiB, from /proc), or 0 when it is gone. */
export function rssMiBOf(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}
