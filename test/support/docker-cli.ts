import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The real docker CLI (28.2), never Debian's older client. */
export const DOCKER_CLI = process.env.BERTH_DOCKER_CLI ?? '/usr/local/bin/docker';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A DOCKER_CONFIG folder whose config.json sends the token on every request, as npm start writes it. */
export function dockerConfigWith(token: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
  if (token !== null) {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${token}` } }));
  }
  return dir;
}

/** Runs the CLI with only DOCKER_HOST and DOCKER_CONFIG set, as a user who followed the README. */
export function dockerCli(args: string[], host: string, config: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER_CLI, args, {
      env: { PATH: process.env.PATH, HOME: config, DOCKER_HOST: host, DOCKER_CONFIG: config },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
