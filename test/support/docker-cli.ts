import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliResult, runProcess } from './run-process';

/** The real docker CLI (28.2), never Debian's older client. */
export const DOCKER_CLI = process.env.BERTH_DOCKER_CLI ?? '/usr/local/bin/docker';

export type { CliResult };

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
  return runProcess(DOCKER_CLI, args, {
    PATH: process.env.PATH,
    HOME: config,
    DOCKER_HOST: host,
    DOCKER_CONFIG: config,
  });
}
