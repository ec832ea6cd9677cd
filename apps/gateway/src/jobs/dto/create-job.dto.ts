import { JOB_SUBMISSION } from '@berth/contracts';
import { RequestDto } from '../../common/schema-validation';

/**
 * POST /v1/jobs: a job as a client writes it, with `replicas` for a group of them. Every rule comes from
 * JOB_SUBMISSION (@berth/contracts).
 */
export class CreateJobDto extends RequestDto(JOB_SUBMISSION, 'CreateJobDto') {}
