import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { Optional } from '../../common/schema-validation';

export class LogsQuery {
  /** Lines from the end of the output; default 200. */
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  tail?: number;
}
