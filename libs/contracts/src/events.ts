import { JobStatus } from './job';
import { NodeRecord, NodeStatus } from './node';

/** What GET /v1/events streams: a job's status changed, or a host's state did. */
export const EVENT_TYPES = ['job', 'node'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * An event's id: its entry's id in the event log (Redis's clock in ms, a dash, a sequence). Ids only grow, so a
 * watcher resumes after the last one it saw (SSE's Last-Event-ID).
 */
export const EVENT_ID = /^\d{1,15}-\d{1,15}$/;

interface EventBase {
  id: string;
  /** When it happened (from the id: Redis's clock). */
  at: string;
}

export interface JobEvent extends EventBase {
  type: 'job';
  job: string;
  namespace: string;
  status: JobStatus;
  node: string | null;
  reason: string | null;
}

export interface NodeEvent extends EventBase {
  type: 'node';
  node: string;
  status: NodeStatus;
  schedulable: boolean;
  drain: NodeRecord['drain'];
}

export type ClusterEvent = JobEvent | NodeEvent;

/** Orders two event ids (see EVENT_ID): negative when `a` came first. */
export function compareEventIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(Number);
  const [bMs, bSeq] = b.split('-').map(Number);
  return aMs !== bMs ? aMs - bMs : aSeq - bSeq;
}
