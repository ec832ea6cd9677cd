import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_DIR, TestCluster, waitFor } from './support/cluster';
import { runProcess } from './support/run-process';

interface Operation {
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
}
type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, { required?: string[]; properties?: Record<string, Record<string, unknown>> }>;
  };
};

/** GET /openapi.json and /docs on the real gateway: what a client generator and a person at a browser read. */
describe('the API description (GET /openapi.json, /docs)', () => {
  // The gateway alone: the document describes routes, not a running fleet.
  const cluster = new TestCluster({ hosts: [], schedulers: 0 });
  let document: OpenApi;
  let file: string;

  beforeAll(async () => {
    await cluster.start();
    const response = await cluster.fetch('/openapi.json', { token: null });
    expect(response.status).toBe(200);
    document = (await response.json()) as OpenApi;
    file = join(LOG_DIR, `${cluster.prefix}-openapi.json`);
    writeFileSync(file, JSON.stringify(document));
  });
  afterAll(() => cluster.stop());

  it('is a valid OpenAPI 3 document by a real validator, every $ref resolving', async () => {
    const result = await runProcess(
      process.execPath,
      [join(__dirname, 'support', 'validate-openapi.mjs'), file],
      process.env,
    );
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, refsResolve: true });
    expect(result.code).toBe(0);
    expect(document.openapi).toMatch(/^3\./);
  });

  it('describes every route the gateway registers, with its answers, its problems and the bearer scheme', async () => {
    // What Nest mapped, as the gateway logged it at start: the app's own list of routes.
    const log = join(LOG_DIR, `${cluster.prefix}-gateway.log`);
    await waitFor('the gateway to log its routes', () =>
      Promise.resolve(readFileSync(log, 'utf8').includes('Mapped {')),
    );
    const routes = [...readFileSync(log, 'utf8').matchAll(/Mapped \{(\/[^,]*), (\w+)\} route/g)].map(
      ([, path, method]) => ({
        path: path.replace(/:(\w+)/g, '{$1}'),
        method: method.toLowerCase(),
      }),
    );
    expect(routes.length).toBeGreaterThan(20);
    const missing = routes.filter((r) => document.paths[r.path]?.[r.method] === undefined);
    expect(missing).toEqual([]);
    for (const route of routes) {
      const operation = document.paths[route.path][route.method];
      const statuses = Object.keys(operation.responses);
      expect([route, statuses.some((s) => /^2\d\d$/.test(s))]).toEqual([route, true]);
      if (route.path.startsWith('/v1/')) {
        expect([route, operation.security, operation.responses['401']?.content?.['application/problem+json']]).toEqual([
          route,
          [{ token: [] }],
          { schema: { $ref: '#/components/schemas/Problem' } },
        ]);
      }
    }
    // The job's request schema is the DTO's, with the rules the gateway enforces.
    const submit = document.paths['/v1/jobs'].post;
    const body = submit.requestBody?.content['application/json'].schema.$ref ?? '';
    const job = document.components.schemas[body.replace('#/components/schemas/', '')];
    expect(job.required).toEqual(['image']);
    expect(job.properties?.replicas).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
    expect(Object.keys(submit.responses).sort()).toEqual([
      '200',
      '202',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '429',
      '503',
    ]);
    const resources = document.components.schemas.CreateJobDto_resources;
    expect(resources.properties?.memoryMiB).toMatchObject({ type: 'integer', minimum: 6, default: 64 });
  });

  it('serves Swagger UI at /docs from the gateway itself: nothing is fetched from elsewhere', async () => {
    const page = await cluster.fetch('/docs', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, url]) => url);
    expect(assets.length).toBeGreaterThan(2);
    expect(assets.filter((url) => /^(https?:)?\/\//.test(url))).toEqual([]);
    for (const asset of assets) {
      const response = await cluster.fetch(new URL(asset, `${cluster.api}/docs`).pathname, { token: null });
      expect([asset, response.status]).toEqual([asset, 200]);
    }
  });
});
