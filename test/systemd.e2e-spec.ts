import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const UNITS = join(__dirname, '..', 'deploy', 'systemd');
const SERVICES = ['agent', 'gateway', 'scheduler'];

/** The unit files, checked by systemd itself (after npm test's infra step has installed docker.io). */
describe('systemd units', () => {
  it.each(SERVICES)('berth-%s.service passes systemd-analyze verify', (service) => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-units-'));
    const unit = join(dir, `berth-${service}.service`);
    copyFileSync(join(UNITS, `berth-${service}.service`), unit);
    // verify exits non-zero and prints the problem for any unit error (bad directive, missing binary...).
    expect(() => execFileSync('systemd-analyze', ['verify', unit], { stdio: 'pipe' })).not.toThrow();
  });

  it.each(SERVICES)('berth-%s.service restarts on failure and reads /etc/berth/%s.env', (service) => {
    const text = readFileSync(join(UNITS, `berth-${service}.service`), 'utf8');
    expect(text).toMatch(/^Type=exec$/m);
    expect(text).toMatch(/^Restart=on-failure$/m);
    expect(text).toContain(`EnvironmentFile=/etc/berth/${service}.env`);
    expect(text).toContain(`/opt/berth/dist/apps/${service}/src/main.js`);
  });

  it('ties the agent to the Docker engine', () => {
    const text = readFileSync(join(UNITS, 'berth-agent.service'), 'utf8');
    expect(text).toMatch(/^After=.*docker\.service/m);
    expect(text).toMatch(/^Requires=docker\.service$/m);
  });

  it('catches a broken unit (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-units-'));
    const unit = join(dir, 'berth-broken.service');
    writeFileSync(unit, '[Service]\nType=exec\nExecStart=/nonexistent/node\n');
    expect(() => execFileSync('systemd-analyze', ['verify', unit], { stdio: 'pipe' })).toThrow();
  });
});
