import { canSee, ClusterEvent, EventType, Principal } from '@berth/contracts';

/** What a watcher asked to see. */
export interface EventFilter {
  type?: EventType;
  job?: string;
}

/** Whether a watcher sees this event: job events of its namespace only (admins: all), node events for any reader. */
export function shows(event: ClusterEvent, principal: Principal, filter: EventFilter): boolean {
  if (filter.type !== undefined && event.type !== filter.type) {
    return false;
  }
  if (event.type === 'node') {
    return filter.job === undefined;
  }
  return canSee(principal, event.namespace) && (filter.job === undefined || event.job === filter.job);
}

/** One event as Server-Sent Events frame it: its id (for Last-Event-ID), its type (the SSE event name), its body. */
export function sseFrame(event: ClusterEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Said when the events after a watcher's Last-Event-ID are no longer all in the log: it must list again. */
export function gapFrame(after: string, oldest: string | null): string {
  const detail = {
    after,
    oldest,
    detail: 'events after Last-Event-ID were dropped from the log; list the state again',
  };
  return `event: gap\ndata: ${JSON.stringify(detail)}\n\n`;
}
