#!/usr/bin/env node
// The `berth` CLI: runs the built CLI, building the checkout first when it has not been (npm ci does not build).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..');
const main = join(root, 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('berth: building the checkout first (npm run build)...\n');
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (built.status !== 0) {
    process.exit(1);
  }
}
void require(main).run();
