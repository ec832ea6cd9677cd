import { ApiPropertyOptional } from '@nestjs/swagger';
import { JOB_STATUSES, JobStatus } from '@berth/contracts';
import { Type } from 'class-transformer';
import { Optional } from '../../common/schema-validation';
import { IsIn, IsInt, Matches, Max, Min } from 'class-validator';

export class ListJobsQuery {
  @ApiPropertyOptional({ description: 'Only jobs in this status', enum: JOB_STATUSES })
  @Optional()
  @IsIn(JOB_STATUSES, { message: `status must be one of ${JOB_STATUSES.join(', ')}` })
  status?: JobStatus;

  @ApiPropertyOptional({ description: 'Jobs per page', type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  /** Where the page starts: the `next` of the page before. */
  @ApiPropertyOptional({ description: 'The next of the page before', pattern: '^[A-Za-z0-9_-]{1,200}$' })
  @Optional()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be the next value of an earlier page' })
  cursor?: string;

  /** Another namespace than the token's (admin only), or `*` for every namespace. */
  @ApiPropertyOptional({ description: "Another namespace than the token's (admin), or * for all" })
  @Optional()
  @Matches(/^(\*|[a-z][a-z0-9-]{0,62})$/, { message: 'namespace must be a namespace name or *' })
  namespace?: string;
}
