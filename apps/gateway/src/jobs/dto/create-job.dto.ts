import { JOB_SPEC } from '@berth/contracts';
import { RequestDto } from '../../common/schema-validation';

/** POST /v1/jobs: a job as a client writes it. Every rule comes from JOB_SPEC (@berth/contracts). */
export class CreateJobDto extends RequestDto(JOB_SPEC, 'CreateJobDto') {}
