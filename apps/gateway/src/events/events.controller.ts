import { ApiHeader, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AnswerOf, NeedsToken, Problems } from '../openapi/api-docs';
import { BadRequestException, Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ClusterEvent, compareEventIds, EVENT_ID, Principal } from '@berth/contracts';
import { EventLog } from '@berth/state';
import type { Response } from 'express';
import { Caller, RequireScope } from '../auth/access.decorators';
import { problem } from '../common/problem';
import { EventHub, Watcher } from './event-hub';
import { EventsQuery } from './events.query';
import { EventFilter, gapFrame, shows, sseFrame } from './sse';

/** A comment line this often keeps proxies and load balancers from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;
/** Events read from the log at once while a watcher catches up after Last-Event-ID. */
const REPLAY_BATCH = 500;
/**
 * Bytes a slow watcher may leave unread before its stream is closed: it reconnects with Last-Event-ID and catches
 * up from the log, so a reader that does not keep up costs this gateway no more than this.
 */
const MAX_UNREAD_BYTES = 1 << 20;
/** Events held for a watcher while it catches up from the log; more than this and it starts over. */
const MAX_HELD_EVENTS = 10_000;

/** One open stream: it catches up from the log first (holding live events meanwhile), then writes live ones. */
class EventStream implements Watcher {
  private held: ClusterEvent[] | null = [];
  /** The newest event this stream has passed (shown or filtered out): anything not newer is a duplicate. */
  private position: string | null;

  constructor(
    private readonly response: Response,
    private readonly principal: Principal,
    private readonly filter: EventFilter,
    after: string | null,
  ) {
    this.position = after;
  }

  deliver(events: readonly ClusterEvent[]): void {
    if (this.held === null) {
      this.write(events);
    } else if (this.held.length + events.length > MAX_HELD_EVENTS) {
      this.response.end();
    } else {
      this.held.push(...events);
    }
  }

  /** Ends the catching up: the live events held meanwhile go out (those not already sent from the log). */
  goLive(): void {
    const held = this.held ?? [];
    this.held = null;
    this.write(held);
  }

  write(events: readonly ClusterEvent[]): void {
    let frames = '';
    for (const event of events) {
      if (this.position !== null && compareEventIds(event.id, this.position) <= 0) {
        continue;
      }
      this.position = event.id;
      if (shows(event, this.principal, this.filter)) {
        frames += sseFrame(event);
      }
    }
    if (frames === '' || this.response.writableEnded) {
      return;
    }
    this.response.write(frames);
    if (this.response.writableLength > MAX_UNREAD_BYTES) {
      this.response.end(); // the client resumes from its Last-Event-ID
    }
  }
}

@ApiTags('events')
@NeedsToken()
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly hub: EventHub,
    private readonly log: EventLog,
  ) {}

  /**
   * Server-Sent Events of job and node changes: job events of the token's namespace (admin: all), node events for
   * any reader. Each event carries a stable id; `Last-Event-ID` (or `?lastEventId=`) resumes after it.
   */
  @Get()
  @RequireScope('read')
  @ApiOperation({ summary: "Job and host changes as they happen (Server-Sent Events), for the token's namespace" })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id.' })
  @ApiProduces('text/event-stream')
  @AnswerOf(200, 'One frame per event: id, event (job, node or gap) and data (an Event as JSON)', 'text/event-stream', {
    type: 'string',
  })
  @Problems(400)
  async stream(
    @Caller() caller: Principal,
    @Query() query: EventsQuery,
    @Res() response: Response,
    @Headers('last-event-id') lastEventIdHeader?: string,
  ): Promise<void> {
    if (lastEventIdHeader !== undefined && !EVENT_ID.test(lastEventIdHeader)) {
      const message = 'Last-Event-ID must be the id of an event, such as 1733300000000-0';
      throw new BadRequestException(problem(400, message, [{ field: 'Last-Event-ID', message }]));
    }
    const after = lastEventIdHeader ?? query.lastEventId ?? null;
    const filter: EventFilter = { type: query.type, job: query.job };
    const watcher = new EventStream(response, caller, filter, after);
    const leave = await this.hub.join(watcher);
    const keepAlive = setInterval(() => {
      if (!response.writableEnded) {
        response.write(': keep-alive\n\n');
      }
    }, KEEP_ALIVE_MS);
    // Closed by the client, or ended here (a slow reader): either way this stream is done.
    response.on('close', () => {
      clearInterval(keepAlive);
      leave();
    });
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('X-Accel-Buffering', 'no');
    // How long an EventSource waits before it reconnects (with Last-Event-ID) after the stream ends.
    response.write('retry: 2000\n\n');
    if (after !== null) {
      try {
        await this.catchUp(watcher, response, after);
      } catch {
        response.end(); // Redis is away: the client reconnects and resumes from where it was
        return;
      }
    }
    watcher.goLive();
  }

  /** Sends what the log holds after `after`, saying first when part of it may be gone (see EventLog.missesAfter). */
  private async catchUp(watcher: EventStream, response: Response, after: string): Promise<void> {
    if (await this.log.missesAfter(after)) {
      response.write(gapFrame(after, await this.log.firstId()));
    }
    let position = after;
    while (!response.writableEnded) {
      const { events, lastId } = await this.log.after(position, REPLAY_BATCH);
      watcher.write(events);
      if (lastId === null || events.length < REPLAY_BATCH) {
        return;
      }
      position = lastId;
    }
  }
}
