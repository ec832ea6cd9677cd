import {
  decodeAgentCommand,
  decodeJobOutcome,
  decodeLogsReply,
  LOGS_CHUNK_BYTES,
  decodePlaceJob,
  encode,
  MalformedMessage,
  PlaceJob,
} from './index';
import { allowedSources, canTransition, JOB_STATUSES } from './job';

const place: PlaceJob = {
  type: 'place-job',
  namespace: 'default',
  jobId: 'j1',
  submittedAt: '2026-01-01T00:00:00.000Z',
  attempt: 0,
  spec: {
    image: 'berth/busybox:latest',
    env: {},
    labels: {},
    resources: { cpuMillis: 250, memoryMiB: 64 },
    placementTimeoutSeconds: 300,
    constraints: ['zone==a'],
    ports: [8080],
  },
};

describe('wire contracts', () => {
  it('round-trips a place-job message', () => {
    expect(decodePlaceJob(encode(place))).toEqual(place);
  });

  it('reads a place-job queued before namespaces existed into the default namespace', () => {
    const older: Record<string, unknown> = { ...place };
    delete older.namespace;
    expect(decodePlaceJob(encode(older as never))).toEqual({ ...place, namespace: 'default' });
  });

  it('round-trips agent commands and outcomes', () => {
    const create = {
      type: 'create-container' as const,
      jobId: 'j1',
      namespace: 'team-a',
      spec: { ...place.spec, cmd: ['sleep', '1'], volumesFrom: ['data'] },
      seal: '',
    };
    expect(decodeAgentCommand(encode(create))).toEqual(create);
    const failed = { type: 'container-failed' as const, jobId: 'j1', nodeId: 'h1', reason: 'No such image' };
    expect(decodeJobOutcome(encode(failed))).toEqual(failed);
    const exited = { type: 'container-exited' as const, jobId: 'j1', nodeId: 'h1', exitCode: -1, oomKilled: true };
    expect(decodeJobOutcome(encode(exited))).toEqual(exited);
    const chunk = { type: 'logs-chunk' as const, seq: 0, data: '', droppedBytes: 0, last: true };
    expect(decodeLogsReply(encode(chunk))).toEqual(chunk);
    // One logs message never carries more than a chunk: a whole tail in one message is refused.
    expect(() => decodeLogsReply(encode({ ...chunk, data: 'x'.repeat(LOGS_CHUNK_BYTES + 1) }))).toThrow(/data/);
  });

  it('fills what a message may leave out with its default', () => {
    const bare: Record<string, unknown> = { ...place, spec: { image: 'berth/busybox:latest' } };
    delete bare.attempt;
    expect(decodePlaceJob(Buffer.from(JSON.stringify(bare)))).toEqual({
      ...bare,
      attempt: 0,
      spec: {
        image: 'berth/busybox:latest',
        env: {},
        labels: {},
        resources: { cpuMillis: 250, memoryMiB: 64 },
        placementTimeoutSeconds: 300,
      },
    });
  });

  it.each([
    ['not JSON', Buffer.from('{oops'), /not JSON/],
    ['an array', Buffer.from('[]'), /message must be an object/],
    ['a wrong type', Buffer.from(JSON.stringify({ ...place, type: 'other' })), /type must be one of place-job/],
    [
      'a negative memory request',
      Buffer.from(JSON.stringify({ ...place, spec: { ...place.spec, resources: { cpuMillis: 1, memoryMiB: -1 } } })),
      /spec\.resources\.memoryMiB must be an integer from 6 to 16777216/,
    ],
    [
      'an env value that is not a string',
      Buffer.from(JSON.stringify({ ...place, spec: { ...place.spec, env: { A: 1 } } })),
      /spec\.env value of 'A' must be a string/,
    ],
    [
      'a spec field it does not know',
      Buffer.from(JSON.stringify({ ...place, spec: { ...place.spec, privileged: true } })),
      /spec\.privileged is not a known field/,
    ],
    [
      'a resource it does not know',
      Buffer.from(
        JSON.stringify({ ...place, spec: { ...place.spec, resources: { cpuMillis: 1, memoryMiB: 6, gpus: 1 } } }),
      ),
      /spec\.resources\.gpus is not a known field/,
    ],
    [
      'a message field it does not know',
      Buffer.from(JSON.stringify({ ...place, priority: 1 })),
      /priority is not a known field/,
    ],
    [
      'a null where a field may only be left out',
      Buffer.from(JSON.stringify({ ...place, spec: { ...place.spec, name: null } })),
      /spec\.name must be a string/,
    ],
    [
      'an expression that does not parse',
      Buffer.from(JSON.stringify({ ...place, spec: { ...place.spec, constraints: ['zone=a'] } })),
      /spec\.constraints\[0\] 'zone=a' has no operator/,
    ],
    ['a missing spec', Buffer.from(JSON.stringify({ ...place, spec: undefined })), /spec is required/],
  ])('rejects %s with a message naming the field', (_label, raw, message) => {
    expect(() => decodePlaceJob(raw)).toThrow(MalformedMessage);
    expect(() => decodePlaceJob(raw)).toThrow(message);
  });
});

describe('job state machine', () => {
  it('never leaves removed', () => {
    for (const to of JOB_STATUSES) {
      expect(canTransition('removed', to)).toBe(false);
    }
  });

  it('never moves back to queued or scheduled', () => {
    expect(allowedSources('queued')).toEqual([]);
    expect(allowedSources('scheduled')).toEqual(['queued']);
    expect(canTransition('running', 'scheduled')).toBe(false);
  });

  it('can remove a job from every live state', () => {
    expect(allowedSources('removing').sort()).toEqual([
      'exited',
      'failed',
      'pulling',
      'queued',
      'running',
      'scheduled',
    ]);
    expect(allowedSources('removed').sort()).toEqual(['exited', 'failed', 'removing', 'unschedulable']);
  });
});
