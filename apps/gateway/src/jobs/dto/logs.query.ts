import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { LOGS_MAX_BYTES, LOGS_MAX_TAIL } from '@berth/contracts';
import { Optional } from '../../common/schema-validation';

export class LogsQuery {
  /** Lines from the end of the output; default 200. */
  @ApiPropertyOptional({
    description: 'Lines from the end',
    type: 'integer',
    minimum: 1,
    maximum: LOGS_MAX_TAIL,
    default: 200,
  })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LOGS_MAX_TAIL)
  tail?: number;

  /** Of those lines, at most this many bytes (their end); default 1 MiB, at most 8 MiB. */
  @ApiPropertyOptional({
    description: 'Of those lines, at most this many bytes (their end)',
    type: 'integer',
    minimum: 1,
    maximum: LOGS_MAX_BYTES,
    default: 1024 * 1024,
  })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LOGS_MAX_BYTES)
  limitBytes?: number;

  /** Keep the answer open and stream what the container writes until it stops (as docker logs -f). */
  @ApiPropertyOptional({ description: 'Stream what the container writes until it stops', enum: ['true', 'false'] })
  @Optional()
  @IsIn(['true', 'false'], { message: 'follow must be true or false' })
  follow?: 'true' | 'false';
}
