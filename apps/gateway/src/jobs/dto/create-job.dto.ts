import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { RESERVED_LABEL_PREFIX } from '@berth/contracts';
import { IsStringMap } from './validators';

/**
 * A Docker image reference: [registry[:port]/]path[:tag][@digest], lowercase path components.
 * Checked here so a typo fails at submission with a 400, not minutes later on a host.
 */
export const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export const JOB_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export class ResourcesDto {
  /** Thousandths of a CPU core; default 250. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_024_000)
  cpuMillis?: number;

  /** Memory limit in MiB; default 64. Docker refuses limits below 6 MiB. */
  @IsOptional()
  @IsInt()
  @Min(6)
  @Max(16 * 1024 * 1024)
  memoryMiB?: number;
}

export class CreateJobDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(IMAGE_REFERENCE, { message: 'image must be a Docker image reference such as berth/busybox:latest' })
  image!: string;

  @IsOptional()
  @IsString()
  @Matches(JOB_NAME, { message: 'name must be 1-63 letters, digits, _ . -, starting with a letter or digit' })
  name?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(256)
  @IsString({ each: true })
  @MaxLength(4096, { each: true })
  cmd?: string[];

  @IsOptional()
  @IsStringMap({
    keyPattern: /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/,
    keyDescription: 'a valid environment variable name',
    maxEntries: 256,
    maxValueLength: 32 * 1024,
  })
  env?: Record<string, string>;

  @IsOptional()
  @IsStringMap({
    keyPattern: /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,254}$/,
    keyDescription: 'a valid label key',
    maxEntries: 128,
    maxValueLength: 4096,
    reservedPrefix: RESERVED_LABEL_PREFIX,
  })
  labels?: Record<string, string>;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ResourcesDto)
  resources?: ResourcesDto;
}
