import { jobSpecFrom, JobRecord, PlaceJob, sealOf } from '@berth/contracts';
import { RestoredJob } from '@berth/state';
import { HostBooksService } from './host-books.service';

/** Recovery and job records in memory: what the service restores, and what it then reads back. */
function fakeState(outcome: 'restored' | 'exists' | 'tombstoned') {
  const restored: RestoredJob[] = [];
  const records = new Map<string, JobRecord>();
  const state = {
    recovery: {
      restore: (job: RestoredJob) => {
        restored.push(job);
        if (outcome !== 'tombstoned' && !records.has(job.id)) {
          records.set(job.id, { ...job, createdAt: job.createdAt.toISOString() } as unknown as JobRecord);
        }
        return Promise.resolve(outcome);
      },
    },
    jobs: { get: (id: string) => Promise.resolve(records.get(id) ?? null) },
  };
  return { state, restored };
}

describe('HostBooksService, a create whose job Redis lost', () => {
  const spec = jobSpecFrom({ image: 'berth/busybox:latest', resources: { cpuMillis: 500, memoryMiB: 64 } });
  const key = Buffer.from('the schedulers key');
  const job = { jobId: 'j1', namespace: 'default', spec };
  const request = { type: 'requeue-lost-job' as const, nodeId: 'h2', ...job, seal: sealOf(key, job) };

  it('is recorded queued on no host, holding nothing, and handed to placement again', async () => {
    const { state, restored } = fakeState('restored');
    const sent: PlaceJob[] = [];
    const books = new HostBooksService(state as never, { sendJob: (m) => Promise.resolve(void sent.push(m)) }, key);
    expect(await books.answer(request)).toEqual({ type: 'restored', outcome: 'restored' });
    // Recording it on h2 would take room there without the reservation's check (the over-commit this prevents).
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({ id: 'j1', status: 'queued', node: null });
    expect(restored[0].holds).toBeUndefined();
    expect(sent).toEqual([expect.objectContaining({ type: 'place-job', jobId: 'j1', namespace: 'default', spec })]);
  });

  it('is not placed when it was never accepted (a tombstone)', async () => {
    const { state } = fakeState('tombstoned');
    const sent: PlaceJob[] = [];
    const books = new HostBooksService(state as never, { sendJob: (m) => Promise.resolve(void sent.push(m)) }, key);
    expect(await books.answer(request)).toEqual({ type: 'restored', outcome: 'tombstoned' });
    expect(sent).toEqual([]);
  });

  it("is refused when its seal is not the control plane's: a host cannot make up a job of its own", async () => {
    const { state, restored } = fakeState('restored');
    const sent: PlaceJob[] = [];
    const books = new HostBooksService(state as never, { sendJob: (m) => Promise.resolve(void sent.push(m)) }, key);
    const madeUp = { ...request, jobId: 'j2', namespace: 'team-b' };
    const unsealed = { ...request, seal: '' };
    const otherSpec = { ...request, spec: { ...spec, constraints: ['node==h3'] } };
    for (const forged of [madeUp, unsealed, otherSpec, { ...request, seal: sealOf(Buffer.from('guess'), job) }]) {
      expect(await books.answer(forged)).toMatchObject({ type: 'refused', retryable: false });
    }
    expect(restored).toEqual([]);
    expect(sent).toEqual([]);
  });
});
