import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { LOG_DIR, waitFor } from './cluster';

/** A free loopback port, from the kernel (listen on 0, read it, close). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * A redis-server of a test's own, on a free loopback port with nothing on disk, so the test can really restart it
 * (and lose every key, as a Redis without persistence does) without touching the shared one.
 */
export class OwnRedis {
  private child: ChildProcess | null = null;
  private port = 0;
  private readonly dir = mkdtempSync(join(tmpdir(), 'berth-redis-'));

  /** `options.appendOnly`: keep an append-only file, so a restart reloads the data (and answers LOADING meanwhile). */
  constructor(private readonly options: { appendOnly?: boolean } = {}) {}

  /** The server's process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) {
      this.port = await freePort();
    }
    mkdirSync(LOG_DIR, { recursive: true });
    const log = openSync(join(LOG_DIR, `redis-${this.port}.log`), 'a');
    this.child = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--save',
        '',
        '--appendonly',
        this.options.appendOnly ? 'yes' : 'no',
        // What a production Redis behind Berth would run with: at most a second of writes at risk.
        '--appendfsync',
        'everysec',
        '--dir',
        this.dir,
        // DEBUG POPULATE, from loopback only: a test fills the server quickly.
        '--enable-debug-command',
        'local',
      ],
      { stdio: ['ignore', log, log] },
    );
    await waitFor(`redis-server on ${this.port}`, () => this.ping(), 20_000);
  }

  /**
   * SHUTDOWN NOSAVE, wait for the process to exit, start it again on the same port: every key is gone, unless the
   * server keeps an append-only file, which it then reloads.
   */
  async restart(): Promise<void> {
    await this.shutdown();
    await this.start();
  }

  async stop(): Promise<void> {
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    // The server closes the connection as it goes, so the reply never comes: the exit is the answer.
    await redis.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    redis.disconnect();
    await exited;
    this.child = null;
  }

  private async ping(): Promise<boolean> {
    const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await redis.connect();
      return (await redis.ping()) === 'PONG';
    } finally {
      redis.disconnect();
    }
  }
}
