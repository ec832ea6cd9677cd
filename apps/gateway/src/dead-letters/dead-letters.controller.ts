import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer, NeedsToken, Problems } from '../openapi/api-docs';
import { DeadLetterRecord, DeadLetterSummary } from '@berth/contracts';
import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { DeadLettersService, RetryResult } from './dead-letters.service';
import { ListDeadLettersQuery } from './dto/list-dead-letters.query';
import { RequireScope } from '../auth/access.decorators';

/** For operators: messages no service could process, why, and what to do with them. */
@ApiTags('queues')
@NeedsToken()
@Controller('v1/dead-letters')
@RequireScope('operate')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  /** Newest first. */
  @Get()
  @ApiOperation({ summary: 'Messages no service could process, newest first' })
  @Answer(200, 'One page', 'DeadLetterPage')
  @Problems(400)
  list(@Query() query: ListDeadLettersQuery): Promise<{ items: DeadLetterSummary[]; count: number; total: number }> {
    return this.deadLetters.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One dead letter with its whole body and headers' })
  @Answer(200, 'The dead letter', 'DeadLetter')
  @Problems(404)
  get(@Param('id') id: string): Promise<DeadLetterRecord> {
    return this.deadLetters.get(id);
  }

  /** Sends the message back to the queue it came from, then forgets it. */
  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send the message back to the queue it came from, then forget it' })
  @Answer(202, 'Republished (confirmed by RabbitMQ)', 'DeadLetterRetried')
  @Problems(404, 409)
  retry(@Param('id') id: string): Promise<RetryResult> {
    return this.deadLetters.retry(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Drop a dead letter for good' })
  @Answer(204, 'Dropped')
  @Problems(404)
  async drop(@Param('id') id: string): Promise<void> {
    await this.deadLetters.drop(id);
  }
}
