import { BerthState } from '@berth/state';
import type { JobView } from '../apps/gateway/src/jobs/job.view';
import { fingerprintOf, toJobSpec } from '../apps/gateway/src/jobs/jobs.service';
import { REDIS_URL, TestCluster, testHosts, waitFor } from './support/cluster';

const body = { image: 'berth/busybox:latest', cmd: ['sleep', '600'], resources: { cpuMillis: 100, memoryMiB: 16 } };

describe('Idempotency-Key on POST /v1/jobs', () => {
  const cluster = new TestCluster({ hosts: testHosts(1) });

  beforeAll(() => cluster.start());
  afterAll(() => cluster.stop());

  function submitWithKey(key: string, payload: unknown = body): Promise<Response> {
    return cluster.fetch(`/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(payload),
    });
  }

  it('answers a retried request with the job the first one created, and runs it once', async () => {
    const first = await submitWithKey('order-1');
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    const again = await Promise.all([submitWithKey('order-1'), submitWithKey('order-1')]);
    for (const response of again) {
      expect(response.status).toBe(202);
      expect(((await response.json()) as { id: string }).id).toBe(id);
    }
    expect((await cluster.settled<JobView>(id)).status).toBe('running');
    const containers = await cluster.containersOn(cluster.hosts[0]);
    expect(containers.map((c) => c.Labels['berth.job'])).toEqual([id]);
  });

  it('refuses a key reused for a different job, and a malformed key, naming the header', async () => {
    expect((await submitWithKey('order-2')).status).toBe(202);
    const other = await submitWithKey('order-2', { ...body, cmd: ['sleep', '5'] });
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
    const bad = await submitWithKey('x'.repeat(300));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
  });

  it('finishes a first request that died before its message was confirmed: the retry sends it and answers 202', async () => {
    // What a gateway killed between writing the record and the broker's confirm leaves: a record, no message.
    const state = BerthState.connect(REDIS_URL, 'e2e', { prefix: cluster.prefix, nodeTimeoutMs: 15_000 });
    const spec = toJobSpec(body);
    const stranded = '0b5e9d0e-5a1c-4c33-9d2b-6a4f1f0c7e11';
    try {
      await state.jobs.create(stranded, 'default', spec, new Date(Date.now() - 60_000), {
        key: 'order-3',
        fingerprint: fingerprintOf(spec),
      });
    } finally {
      await state.close();
    }
    const retried = await submitWithKey('order-3');
    expect(retried.status).toBe(202);
    expect(((await retried.json()) as { id: string }).id).toBe(stranded);
    await waitFor(
      'the stranded job running',
      async () => (await cluster.settled<JobView>(stranded)).status === 'running',
    );
  });
});
