import { DeadLetterRecord, DeadLetterSummary } from '@berth/contracts';
import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { DeadLettersService, RetryResult } from './dead-letters.service';
import { ListDeadLettersQuery } from './dto/list-dead-letters.query';
import { RequireScope } from '../auth/access.decorators';

/** For operators: messages no service could process, why, and what to do with them. */
@Controller('v1/dead-letters')
@RequireScope('operate')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  /** Newest first. */
  @Get()
  list(@Query() query: ListDeadLettersQuery): Promise<{ items: DeadLetterSummary[]; count: number; total: number }> {
    return this.deadLetters.list(query);
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<DeadLetterRecord> {
    return this.deadLetters.get(id);
  }

  /** Sends the message back to the queue it came from, then forgets it. */
  @Post(':id/retry')
  @HttpCode(202)
  retry(@Param('id') id: string): Promise<RetryResult> {
    return this.deadLetters.retry(id);
  }

  @Delete(':id')
  @HttpCode(204)
  async drop(@Param('id') id: string): Promise<void> {
    await this.deadLetters.drop(id);
  }
}
