import { decodeAgentCommand, decodeJobOutcome, decodePlaceJob, encode, MalformedMessage, PlaceJob } from './index';
import { allowedSources, canTransition, JOB_STATUSES } from './job';

const place: PlaceJob = {
  type: 'place-job',
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

  it('round-trips agent commands and outcomes', () => {
    const create = {
      type: 'create-container' as const,
      jobId: 'j1',
      spec: { ...place.spec, cmd: ['sleep', '1'], volumesFrom: ['data'] },
    };
    expect(decodeAgentCommand(encode(create))).toEqual(create);
    const failed = { type: 'container-failed' as const, jobId: 'j1', nodeId: 'h1', reason: 'No such image' };
    expect(decodeJobOutcome(encode(failed))).toEqual(failed);
  });

  it.each([
    ['not JSON', Buffer.from('{oops'), /not JSON/],
    ['an array', Buffer.from('[]'), /message must be an object/],
    ['a wrong type', Buffer.from(JSON.stringify({ ...place, type: 'other' })), /type must be one of place-job/],
    [
      'a negative memory request',
      Buffer.from(JSON.stringify({ ...place, spec: { ...place.spec, resources: { cpuMillis: 1, memoryMiB: -1 } } })),
      /spec\.resources\.memoryMiB must be a positive integer/,
    ],
    [
      'an env value that is not a string',
      Buffer.from(JSON.stringify({ ...place, spec: { ...place.spec, env: { A: 1 } } })),
      /spec\.env\.A must be a string/,
    ],
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
