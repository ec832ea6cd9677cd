import { ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_ID, EVENT_TYPES, EventType } from '@berth/contracts';
import { IsIn, Matches } from 'class-validator';
import { Optional } from '../common/schema-validation';

export class EventsQuery {
  /** Only job events, or only node events. */
  @ApiPropertyOptional({ description: 'Only job events, or only node events', enum: EVENT_TYPES })
  @Optional()
  @IsIn(EVENT_TYPES, { message: `type must be one of ${EVENT_TYPES.join(', ')}` })
  type?: EventType;

  /** Only the events of this job. */
  @ApiPropertyOptional({ description: 'Only the events of this job (its id)' })
  @Optional()
  @Matches(/^[A-Za-z0-9-]{1,128}$/, { message: 'job must be a job id' })
  job?: string;

  /** Resume after this event id, for clients that cannot set the Last-Event-ID header (which wins). */
  @ApiPropertyOptional({ description: 'Resume after this event id (Last-Event-ID wins)', pattern: EVENT_ID.source })
  @Optional()
  @Matches(EVENT_ID, { message: 'lastEventId must be the id of an event, such as 1733300000000-0' })
  lastEventId?: string;
}
