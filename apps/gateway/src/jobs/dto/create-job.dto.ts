import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsIn,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  RESCHEDULE_POLICIES,
  ReschedulePolicy,
  RESERVED_LABEL_PREFIX,
  STRATEGIES,
  StrategyName,
} from '@berth/contracts';
import { IsExpressionList, IsStringMap, Optional } from './validators';

/**
 * A Docker image reference: [registry[:port]/]path[:tag][@digest], lowercase path components.
 * Checked here so a typo fails at submission with a 400, not minutes later on a host.
 */
export const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export const JOB_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export class ResourcesDto {
  /** Thousandths of a CPU core; default 250. */
  @Optional()
  @IsInt()
  @Min(1)
  @Max(1_024_000)
  cpuMillis?: number;

  /** Memory limit in MiB; default 64. Docker refuses limits below 6 MiB. */
  @Optional()
  @IsInt()
  @Min(6)
  @Max(16 * 1024 * 1024)
  memoryMiB?: number;
}

/** The container itself. */
export class CreateJobBaseDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(IMAGE_REFERENCE, { message: 'image must be a Docker image reference such as berth/busybox:latest' })
  image!: string;

  @Optional()
  @IsString()
  @Matches(JOB_NAME, { message: 'name must be 1-63 letters, digits, _ . -, starting with a letter or digit' })
  name?: string;

  @Optional()
  @IsArray()
  @ArrayMaxSize(256)
  @IsString({ each: true })
  @MaxLength(4096, { each: true })
  cmd?: string[];

  @Optional()
  @IsStringMap({
    // `constraint:` and `affinity:` entries are Swarm's placement expressions; they never reach the container.
    keyPattern: /^(?:(?:constraint|affinity):)?[A-Za-z_][A-Za-z0-9_.-]{0,255}!?$/,
    keyDescription: 'a valid environment variable name',
    maxEntries: 256,
    maxValueLength: 32 * 1024,
  })
  env?: Record<string, string>;

  @Optional()
  @IsStringMap({
    keyPattern: /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,254}$/,
    keyDescription: 'a valid label key',
    maxEntries: 128,
    maxValueLength: 4096,
    reservedPrefix: RESERVED_LABEL_PREFIX,
  })
  labels?: Record<string, string>;

  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => ResourcesDto)
  resources?: ResourcesDto;
}

export const DEPENDENCY_REFERENCE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}(?::[a-zA-Z0-9_.-]{1,63})?$/;

export class CreateJobDto extends CreateJobBaseDto {
  /** spread (default), binpack or random. */
  @Optional()
  @IsIn(STRATEGIES, { message: `strategy must be one of ${STRATEGIES.join(', ')}` })
  strategy?: StrategyName;

  /** Host constraints: `zone==a`, `node!=h1`, `disk==~ssd` (soft). */
  @Optional()
  @IsExpressionList()
  constraints?: string[];

  /** Affinities to what runs on a host: `container==web`, `image==redis*`, `team!=ops`. */
  @Optional()
  @IsExpressionList()
  affinities?: string[];

  /** Host ports the container binds; no two jobs on a host share one. */
  @Optional()
  @IsArray()
  @ArrayMaxSize(64)
  @ArrayUnique({ message: 'ports must not repeat a port' })
  @IsInt({ each: true, message: 'ports must be whole port numbers' })
  @Min(1, { each: true, message: 'ports must be between 1 and 65535' })
  @Max(65535, { each: true, message: 'ports must be between 1 and 65535' })
  ports?: number[];

  /** Jobs (by name) whose volumes this one mounts: `data` or `data:ro`. Places the job beside them. */
  @Optional()
  @IsArray()
  @ArrayMaxSize(16)
  @Matches(DEPENDENCY_REFERENCE, { each: true, message: 'volumesFrom entries must look like name or name:ro' })
  volumesFrom?: string[];

  /** Jobs (by name) this one links to: `db` or `db:alias`. Places the job beside them. */
  @Optional()
  @IsArray()
  @ArrayMaxSize(16)
  @Matches(DEPENDENCY_REFERENCE, { each: true, message: 'links entries must look like name or name:alias' })
  links?: string[];

  /** Only `container:<job name>`: share that job's network namespace (and its host). */
  @Optional()
  @IsString()
  @Matches(/^container:[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, { message: 'network must be container:<job name>' })
  network?: string;

  /** `on-node-failure` (Swarm's name): move the job to another host when its host fails or is drained. */
  @Optional()
  @IsIn(RESCHEDULE_POLICIES, { message: `reschedule must be one of ${RESCHEDULE_POLICIES.join(', ')}` })
  reschedule?: ReschedulePolicy;

  /** How long the job may wait for room before it becomes unschedulable; default 300, 0 to fail at once. */
  @Optional()
  @IsInt()
  @Min(0)
  @Max(86_400)
  placementTimeoutSeconds?: number;
}
