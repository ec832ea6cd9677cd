import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { LABEL_JOB } from '@berth/contracts';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { TestCluster, testHosts, waitFor } from './support/cluster';

/** Debian's chromium-headless-shell (installed by scripts/infra.sh): playwright-core downloads no browser. */
const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium-headless-shell';
const SCREENSHOTS = join(__dirname, '..', '.berth', 'screenshots');

/** The web console in a real browser, against the real stack: what a developer at a console does. */
describe('the web console (real Chromium)', () => {
  const cluster = new TestCluster({
    hosts: testHosts(2),
    agentEnv: { BERTH_NODE_MEMORY_MIB: '512', BERTH_NODE_CPU_MILLIS: '4000' },
    hostEnv: { h1: { BERTH_NODE_LABELS: 'zone=a' }, h2: { BERTH_NODE_LABELS: 'zone=b' } },
  });
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await cluster.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(20_000);
    // A script error or a CSP violation shows up here, and fails the last test.
    page.on('pageerror', (err) => errors.push(err.message));
    // (The browser also logs each 4xx answer, which the console shows as it should: those are not errors here.)
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        errors.push(message.text());
      }
    });
  });
  afterAll(async () => {
    await browser?.close();
    await cluster.stop();
  });

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const jobs = async () => (await cluster.getJson<{ items: JobView[] }>('/v1/jobs?limit=500')).items;

  it('is served by the gateway with a strict Content-Security-Policy, and refuses a wrong token', async () => {
    const response = await page.goto(cluster.api);
    const policy = response?.headers()['content-security-policy'] ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
    await page.getByLabel('Token').fill('berth_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was refused').waitFor();
    await shot('signin-refused');
  });

  it('signs in, runs a job from the form, and shows it running on its host without a reload', async () => {
    await page.getByLabel('Token').fill(cluster.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.getByText('Live').waitFor();
    await page.getByRole('link', { name: 'New job' }).first().click();
    await page.getByLabel('Image').fill('berth/busybox:latest');
    await page.getByLabel('Command').fill("sh -c 'echo hello from the console; sleep 600'");
    await page.getByLabel('Name').fill('from-console');
    await page.getByLabel('CPU (millicores)').fill('100');
    await page.getByLabel('Memory (MiB)').fill('32');
    // The preview comes as the user types: where it would go, host by host.
    await page
      .locator('#preview-verdict')
      .getByText(/^Would run on h[12]$/)
      .waitFor();
    await shot('new-job-preview');
    await page.getByRole('button', { name: 'Run' }).dblclick();
    await page.getByRole('heading', { name: 'from-console' }).waitFor();
    await page.locator('.job-details .status-running').waitFor({ timeout: 60_000 });
    // A double click made one job.
    const made = (await jobs()).filter((j) => j.name === 'from-console');
    expect(made).toHaveLength(1);
    const [job] = made;
    expect(job.status).toBe('running');
    // Its container is where the console says, by dockerode on that host.
    const host = cluster.hosts.find((h) => h.id === job.node)!;
    const containers = await cluster.containersOn(host);
    expect(containers.filter((c) => c.Labels[LABEL_JOB] === job.id && c.State === 'running')).toHaveLength(1);
    await page.locator('.job-details dd').getByText(job.node!, { exact: true }).waitFor();
    // Its logs, followed live.
    await page.locator('#job-logs').getByText('hello from the console').waitFor();
    await shot('job-detail');
    await page.getByRole('link', { name: '← Jobs' }).click();
    await page.locator(`tr[data-job="${job.id}"] .status-running`).waitFor();
    await shot('jobs');
  });

  it('explains, host by host, why a job that cannot fit waits', async () => {
    await page.getByRole('link', { name: 'New job' }).first().click();
    await page.getByLabel('Image').fill('berth/busybox:latest');
    await page.getByLabel('Command').fill('sleep 600');
    await page.getByLabel('Memory (MiB)').fill('4096');
    await page
      .locator('#preview-verdict')
      .getByText(/^Would wait: 0\/2 hosts available/)
      .waitFor();
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('.job-details .status-queued').waitFor();
    const why = page.getByRole('region', { name: 'Why it waits' });
    await why
      .getByText(/insufficient memory, \d+ of 4096 MiB free/)
      .first()
      .waitFor();
    expect(await why.locator('tbody tr').count()).toBe(2);
    await shot('job-waiting');
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.locator('.job-details .status-removed').waitFor();
  });

  it('cordons a host from the Nodes view, and the next job avoids it', async () => {
    await page.getByRole('link', { name: 'Nodes' }).click();
    await page.getByRole('button', { name: 'Cordon h1' }).click();
    await page.getByRole('button', { name: 'Uncordon h1' }).waitFor();
    await page.locator('[data-node="h1"]').getByText('cordoned').waitFor();
    await shot('nodes');
    const ids = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        await cluster.accepted({
          image: 'berth/busybox:latest',
          cmd: ['sleep', '600'],
          resources: { cpuMillis: 50, memoryMiB: 16 },
        }),
      );
    }
    for (const id of ids) {
      expect((await cluster.settled<JobView>(id)).node).toBe('h2');
    }
    await page.getByRole('button', { name: 'Uncordon h1' }).click();
    await page.getByRole('button', { name: 'Cordon h1' }).waitFor();
    await Promise.all(ids.map((id) => cluster.remove(id)));
  });

  it('shows the server error next to the field, and creates no job', async () => {
    const before = (await jobs()).length;
    await page.getByRole('link', { name: 'New job' }).first().click();
    await page.getByLabel('Image').fill('berth/busybox:latest');
    await page.getByLabel('Memory (MiB)').fill('3');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('#job-memory-error').getByText('resources.memoryMiB must not be less than 6').waitFor();
    expect(await page.getByLabel('Memory (MiB)').getAttribute('aria-invalid')).toBe('true');
    await shot('new-job-error');
    await waitFor('no job was made', async () => (await jobs()).length === before);
  });

  it('shows the queues, works at phone width, and raised no script error', async () => {
    await page.getByRole('link', { name: 'Queues' }).click();
    await page.getByRole('heading', { name: 'Dead letters' }).waitFor();
    await page
      .getByText(/\.jobs$/)
      .first()
      .waitFor();
    await shot('queues');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Jobs' }).first().click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await shot('jobs-phone');
    expect(errors).toEqual([]);
  });
});
