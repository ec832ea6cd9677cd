import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import { Optional } from '../../common/schema-validation';

export class ListDeadLettersQuery {
  @ApiPropertyOptional({
    description: 'Dead letters per page',
    type: 'integer',
    minimum: 1,
    maximum: 500,
    default: 100,
  })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  /** Only those from this queue (its full name, e.g. `berth.jobs`). */
  @ApiPropertyOptional({ description: 'Only those from this queue (its full name, e.g. berth.jobs)' })
  @Optional()
  @IsString()
  @Length(1, 255)
  queue?: string;
}
