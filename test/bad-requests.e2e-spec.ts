import { TestCluster, testHosts } from './support/cluster';

interface Problem {
  status: number;
  title: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

/** Every malformed or dangerous request gets a precise 4xx naming the field, and leaves no trace. */
describe('bad requests', () => {
  // No scheduler: whatever the gateway publishes stays in the jobs queue, where the last test can count it.
  const cluster = new TestCluster({ hosts: testHosts(1), schedulers: 0 });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  async function post(
    body: string,
    contentType = 'application/json',
  ): Promise<{ status: number; type: string; problem: Problem }> {
    const response = await cluster.fetch(`/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      problem: (await response.json()) as Problem,
    };
  }

  const valid = { image: 'berth/busybox:latest' };
  const cases: Array<[string, string, number, string]> = [
    ['malformed JSON', '{"image": ', 400, 'body'],
    ['a JSON array', '[]', 400, 'body'],
    ['JSON null', 'null', 400, 'body'],
    ['no body at all', '', 400, 'image'],
    ['a missing image', '{}', 400, 'image'],
    ['an image that is a number', '{"image": 42}', 400, 'image'],
    ['an image with upper-case path', '{"image": "Berth/BusyBox"}', 400, 'image'],
    ['an image with a shell injection', '{"image": "busybox; rm -rf /"}', 400, 'image'],
    ['an unknown field', JSON.stringify({ ...valid, privileged: true }), 400, 'privileged'],
    ['an unknown resource', JSON.stringify({ ...valid, resources: { gpus: 1 } }), 400, 'resources.gpus'],
    ['cpu as a string', JSON.stringify({ ...valid, resources: { cpuMillis: '250' } }), 400, 'resources.cpuMillis'],
    ['negative memory', JSON.stringify({ ...valid, resources: { memoryMiB: -5 } }), 400, 'resources.memoryMiB'],
    [
      'memory below what Docker accepts',
      JSON.stringify({ ...valid, resources: { memoryMiB: 4 } }),
      400,
      'resources.memoryMiB',
    ],
    ['fractional cpu', JSON.stringify({ ...valid, resources: { cpuMillis: 1.5 } }), 400, 'resources.cpuMillis'],
    ['resources that are not an object', JSON.stringify({ ...valid, resources: 'lots' }), 400, 'resources'],
    ['cmd that is a string', JSON.stringify({ ...valid, cmd: 'sleep 1' }), 400, 'cmd'],
    ['cmd with a number', JSON.stringify({ ...valid, cmd: ['sleep', 1] }), 400, 'cmd'],
    ['an env value that is not a string', JSON.stringify({ ...valid, env: { A: 1 } }), 400, 'env'],
    ['an invalid env name', JSON.stringify({ ...valid, env: { 'A=B': 'x' } }), 400, 'env'],
    ['a reserved label', JSON.stringify({ ...valid, labels: { 'berth.job': 'forged' } }), 400, 'labels'],
    ['an invalid name', JSON.stringify({ ...valid, name: '../etc' }), 400, 'name'],
    ['an unknown strategy', JSON.stringify({ ...valid, strategy: 'fastest' }), 400, 'strategy'],
    ['a null strategy', JSON.stringify({ ...valid, strategy: null }), 400, 'strategy'],
    ['a null name', JSON.stringify({ ...valid, name: null }), 400, 'name'],
    ['null ports', JSON.stringify({ ...valid, ports: null }), 400, 'ports'],
    ['null resources', JSON.stringify({ ...valid, resources: null }), 400, 'resources'],
    [
      'a regex RE2 cannot run (a back-reference)',
      JSON.stringify({ ...valid, constraints: ['node==/(a)\\1/'] }),
      400,
      'constraints',
    ],
    ['a constraint without operator', JSON.stringify({ ...valid, constraints: ['zone=a'] }), 400, 'constraints'],
    ['a constraint with a bad regex', JSON.stringify({ ...valid, constraints: ['node==/(/'] }), 400, 'constraints'],
    ['constraints that are not a list', JSON.stringify({ ...valid, constraints: 'zone==a' }), 400, 'constraints'],
    ['an affinity with a one-letter key', JSON.stringify({ ...valid, affinities: ['c==web'] }), 400, 'affinities'],
    ['a bad constraint in env', JSON.stringify({ ...valid, env: { 'constraint:zone': 'a' } }), 400, 'env'],
    [
      'a Swarm label that is not a JSON array',
      JSON.stringify({ ...valid, labels: { 'com.docker.swarm.constraints': 'zone==a' } }),
      400,
      'labels',
    ],
    ['a port out of range', JSON.stringify({ ...valid, ports: [70000] }), 400, 'ports'],
    ['a repeated port', JSON.stringify({ ...valid, ports: [80, 80] }), 400, 'ports'],
    ['the host network', JSON.stringify({ ...valid, network: 'host' }), 400, 'network'],
    [
      'a negative placement timeout',
      JSON.stringify({ ...valid, placementTimeoutSeconds: -1 }),
      400,
      'placementTimeoutSeconds',
    ],
    ['a bad volumes-from entry', JSON.stringify({ ...valid, volumesFrom: ['/etc:/host'] }), 400, 'volumesFrom'],
  ];

  it.each(cases)('answers %s with %#: a problem naming the field', async (_label, body, status, field) => {
    const before = await cluster.getJson<{ count: number }>('/v1/jobs');
    const result = await post(body);
    expect(result.status).toBe(status);
    expect(result.type).toMatch(/^application\/problem\+json/);
    expect(result.problem.status).toBe(status);
    expect(result.problem.errors?.map((e) => e.field)).toContain(field);
    // A rejected request leaves no trace.
    expect((await cluster.getJson<{ count: number }>('/v1/jobs')).count).toBe(before.count);
  });

  it('answers a body over 64 KiB with 413', async () => {
    const result = await post(JSON.stringify({ image: 'berth/busybox', env: { BIG: 'x'.repeat(70 * 1024) } }));
    expect(result.status).toBe(413);
    expect(result.problem.errors?.[0].field).toBe('body');
  });

  it('answers a body that is not JSON with 415', async () => {
    const result = await post('image=busybox', 'application/x-www-form-urlencoded');
    expect(result.status).toBe(415);
    expect(result.problem.detail).toMatch(/application\/json/);
  });

  it('answers an unknown job with 404, for GET and DELETE', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await cluster.fetch(`/v1/jobs/00000000-0000-4000-8000-000000000000`, { method });
      expect(response.status).toBe(404);
      expect(((await response.json()) as Problem).errors?.[0].field).toBe('id');
    }
  });

  it('answers a bad list filter with 400 naming the parameter', async () => {
    const response = await cluster.fetch(`/v1/jobs?status=sleeping`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors?.map((e) => e.field)).toEqual(['status']);
  });

  it('published nothing for any rejected request, and one message for the one valid request after them', async () => {
    const jobsQueueDepth = async (): Promise<number | undefined> => {
      const queues = await cluster.getJson<{ items: Array<{ role: string; messages: number }> }>('/v1/queues');
      return queues.items.find((q) => q.role === 'jobs')?.messages;
    };
    expect(await jobsQueueDepth()).toBe(0);
    expect((await cluster.getJson<{ count: number }>('/v1/jobs')).count).toBe(0);
    // The control: the same counters do move when a request is accepted (so the zeros above mean something).
    expect((await post(JSON.stringify(valid))).status).toBe(202);
    expect(await jobsQueueDepth()).toBe(1);
    expect((await cluster.getJson<{ count: number }>('/v1/jobs')).count).toBe(1);
  });
});
