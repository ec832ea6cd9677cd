import { JOB_STATUSES, JobStatus } from '@berth/contracts';
import { Type } from 'class-transformer';
import { Optional } from '../../common/schema-validation';
import { IsIn, IsInt, Max, Min } from 'class-validator';

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
}
