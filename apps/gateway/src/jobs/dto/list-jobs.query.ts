import { JOB_STATUSES, JobStatus } from '@berth/contracts';
import { Type } from 'class-transformer';
import { Optional } from '../../common/schema-validation';
import { IsIn, IsInt, Matches, Max, Min } from 'class-validator';

export class ListJobsQuery {
  @Optional()
  @IsIn(JOB_STATUSES, { message: `status must be one of ${JOB_STATUSES.join(', ')}` })
  status?: JobStatus;

  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  /** Another namespace than the token's (admin only), or `*` for every namespace. */
  @Optional()
  @Matches(/^(\*|[a-z][a-z0-9-]{0,62})$/, { message: 'namespace must be a namespace name or *' })
  namespace?: string;
}
