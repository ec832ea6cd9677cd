import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { LOGS_MAX_BYTES, LOGS_MAX_TAIL } from '@berth/contracts';
import { Optional } from '../../common/schema-validation';

export class LogsQuery {
  /** Lines from the end of the output; default 200. */
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LOGS_MAX_TAIL)
  tail?: number;

  /** Of those lines, at most this many bytes (their end); default 1 MiB, at most 8 MiB. */
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LOGS_MAX_BYTES)
  limitBytes?: number;
}
