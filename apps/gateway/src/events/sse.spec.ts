import { compareEventIds, JobEvent, NodeEvent, Principal } from '@berth/contracts';
import { toClusterEvent } from '@berth/state';
import { gapFrame, shows, sseFrame } from './sse';

const job: JobEvent = {
  id: '1733300000000-3',
  at: '2024-12-04T08:13:20.000Z',
  type: 'job',
  job: 'j1',
  namespace: 'team-a',
  status: 'running',
  node: 'h1',
  reason: null,
};
const node: NodeEvent = {
  id: '1733300000001-0',
  at: '2024-12-04T08:13:20.001Z',
  type: 'node',
  node: 'h1',
  status: 'down',
  schedulable: true,
  drain: 'none',
};
const teamA: Principal = { tokenId: 't1', namespace: 'team-a', scopes: ['read'] };
const teamB: Principal = { tokenId: 't2', namespace: 'team-b', scopes: ['read'] };
const admin: Principal = { tokenId: 't0', namespace: 'default', scopes: ['admin'] };

describe('who sees which event', () => {
  it('shows job events to their namespace and to admins only, node events to every reader', () => {
    expect([teamA, teamB, admin].map((p) => shows(job, p, {}))).toEqual([true, false, true]);
    expect([teamA, teamB, admin].map((p) => shows(node, p, {}))).toEqual([true, true, true]);
  });

  it('filters by type and by job', () => {
    expect([shows(job, admin, { type: 'node' }), shows(node, admin, { type: 'node' })]).toEqual([false, true]);
    expect([shows(job, admin, { job: 'j1' }), shows(job, admin, { job: 'j2' })]).toEqual([true, false]);
    expect(shows(node, admin, { job: 'j1' })).toBe(false);
  });
});

describe('event frames and ids', () => {
  it('frames an event with its id, its type as the SSE event name, and itself as data', () => {
    const frame = sseFrame(job);
    expect(frame).toBe(`id: 1733300000000-3\nevent: job\ndata: ${JSON.stringify(job)}\n\n`);
    expect(frame.split('\n\n')).toHaveLength(2);
    expect(gapFrame('1-0', '5-0')).toMatch(/^event: gap\ndata: \{"after":"1-0","oldest":"5-0",/);
  });

  it('orders ids by time, then by sequence, as numbers and not as text', () => {
    expect(Math.sign(compareEventIds('999-0', '1000-0'))).toBe(-1);
    expect(Math.sign(compareEventIds('1000-10', '1000-9'))).toBe(1);
    expect(compareEventIds('1000-2', '1000-2')).toBe(0);
  });

  it('reads a log entry back as the event it records, and skips a kind it does not know', () => {
    const entry: [string, string[]] = [
      job.id,
      ['type', 'job', 'job', 'j1', 'namespace', 'team-a', 'status', 'running', 'node', 'h1', 'reason', ''],
    ];
    expect(toClusterEvent(entry)).toEqual(job);
    const host: [string, string[]] = [node.id, ['type', 'node', 'node', 'h1', 'status', 'down', 'schedulable', 'true']];
    expect(toClusterEvent(host)).toEqual(node);
    expect(toClusterEvent(['1-0', ['type', 'volume']])).toBeNull();
  });
});
