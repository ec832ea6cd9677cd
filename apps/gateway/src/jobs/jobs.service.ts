import { DEFAULT_RESOURCES, encode, JobRecord, JobSpec, PlaceJob, RemoveContainer } from '@berth/contracts';
import { AmqpClient, BrokerUnavailable } from '@berth/messaging';
import { RedisState } from '@berth/state';
import { Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { problem } from '../common/problem';
import { CreateJobDto } from './dto/create-job.dto';
import { ListJobsQuery } from './dto/list-jobs.query';

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function toJobSpec(dto: CreateJobDto): JobSpec {
  const spec: JobSpec = {
    image: dto.image,
    env: dto.env ?? {},
    labels: dto.labels ?? {},
    resources: {
      cpuMillis: dto.resources?.cpuMillis ?? DEFAULT_RESOURCES.cpuMillis,
      memoryMiB: dto.resources?.memoryMiB ?? DEFAULT_RESOURCES.memoryMiB,
    },
  };
  if (dto.name !== undefined) {
    spec.name = dto.name;
  }
  if (dto.cmd !== undefined) {
    spec.cmd = dto.cmd;
  }
  return spec;
}

@Injectable()
export class JobsService {
  constructor(
    private readonly state: RedisState,
    private readonly amqp: AmqpClient,
  ) {}

  /**
   * Records the job, then hands it to the scheduler. Resolves only once RabbitMQ has confirmed the message:
   * a 202 means the job will not be lost. When the broker does not confirm, the record is taken back and the
   * caller gets a 503, so a client that retries does not leave a ghost job behind.
   */
  async submit(dto: CreateJobDto): Promise<JobRecord> {
    const id = randomUUID();
    const spec = toJobSpec(dto);
    const now = new Date();
    const job = await this.state.createJob(id, spec, now);
    const message: PlaceJob = { type: 'place-job', jobId: id, spec, submittedAt: now.toISOString() };
    try {
      await this.amqp.publish(this.amqp.topology.jobs, encode(message));
    } catch (err) {
      await this.state.deleteJob(id).catch(() => undefined);
      if (err instanceof BrokerUnavailable) {
        throw new ServiceUnavailableException(problem(503, `the job was not accepted: ${err.message}; retry later`));
      }
      throw err;
    }
    return job;
  }

  async get(id: string): Promise<JobRecord> {
    const job = JOB_ID.test(id) ? await this.state.getJob(id) : null;
    if (!job) {
      throw new NotFoundException(problem(404, `job ${id} does not exist`, [{ field: 'id', message: 'unknown job' }]));
    }
    return job;
  }

  list(query: ListJobsQuery): Promise<JobRecord[]> {
    return this.state.listJobs({ status: query.status, limit: query.limit ?? 100 });
  }

  /**
   * Asks for the job's container to be stopped and removed; its capacity comes back when the host confirms.
   * Repeating the call is harmless. Returns the job as it stands after the request.
   */
  async remove(id: string): Promise<JobRecord> {
    const job = await this.get(id);
    switch (job.status) {
      case 'removed':
        return job;
      case 'failed':
      case 'unschedulable':
        // Nothing runs and nothing is reserved.
        await this.state.transitionJob(id, 'removed');
        break;
      case 'queued':
        // The scheduler finishes the removal when it reaches the job.
        await this.state.transitionJob(id, 'removing');
        break;
      case 'scheduled':
      case 'running':
      case 'removing': {
        await this.state.transitionJob(id, 'removing');
        const current = await this.get(id);
        if (current.status === 'removing' && current.node) {
          const queue = await this.amqp.assertNodeQueue(current.node);
          const command: RemoveContainer = { type: 'remove-container', jobId: id };
          await this.amqp.publish(queue, encode(command));
        }
        return current;
      }
    }
    return this.get(id);
  }
}
