import { ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Answer, AnswerOf, NeedsToken, Problems } from '../openapi/api-docs';
import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { GroupView, JobEvent, LOGS_DEFAULT_BYTES, Principal } from '@berth/contracts';
import { Caller, RequireScope } from '../auth/access.decorators';
import { problem } from '../common/problem';
import type { Response } from 'express';
import { GroupsService } from '../groups/groups.service';
import { CreateJobDto } from './dto/create-job.dto';
import { ListJobsQuery } from './dto/list-jobs.query';
import { LogsQuery } from './dto/logs.query';
import { toJobView, JobView } from './job.view';
import { JobsService } from './jobs.service';
import { PlacementPreview, PlacementPreviewService } from './placement-preview.service';

/** A client's key for retrying a submission safely (as Stripe's and the IETF draft's Idempotency-Key). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** On a logs answer: bytes of the asked lines left out at the front, to stay within limitBytes. */
const LOGS_DROPPED_BYTES_HEADER = 'Berth-Logs-Dropped-Bytes';

@ApiTags('jobs')
@NeedsToken()
@Controller('v1/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly previews: PlacementPreviewService,
    private readonly groups: GroupsService,
  ) {}

  /**
   * 202 with the job, or with `replicas` the group of them (GroupView); with `?dryRun=true`, 200 with where one
   * would go (PlacementPreview) and nothing recorded.
   */
  @Post()
  @RequireScope('submit')
  @HttpCode(202)
  @ApiOperation({ summary: 'Submit a job, or a group of them (replicas), or preview where one would go (dryRun)' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retry with the same key: no second job.' })
  @ApiQuery({ name: 'dryRun', required: false, enum: ['true', 'false'], description: 'Only say where it would go.' })
  @AnswerOf(202, 'Accepted once RabbitMQ confirmed it: the job, or with replicas the group', 'application/json', {
    oneOf: [{ $ref: '#/components/schemas/JobAccepted' }, { $ref: '#/components/schemas/Group' }],
  })
  @Answer(200, 'With dryRun=true: where it would go now and why not elsewhere; nothing recorded', 'PlacementPreview')
  @Problems(400, 409, 413, 415)
  async submit(
    @Caller() caller: Principal,
    @Body() dto: CreateJobDto,
    @Res({ passthrough: true }) res: Response,
    @Headers('idempotency-key') idempotencyKey?: string,
    @Query('dryRun') dryRun?: string,
  ): Promise<{ id: string; status: string } | GroupView | PlacementPreview> {
    if (dryRun !== undefined && dryRun !== 'true' && dryRun !== 'false') {
      const message = 'dryRun must be true or false';
      throw new BadRequestException(problem(400, message, [{ field: 'dryRun', message }]));
    }
    const { replicas, allOrNothing, ...request } = dto;
    if (allOrNothing !== undefined && replicas === undefined) {
      const message = 'allOrNothing needs replicas: it places a group of jobs';
      throw new BadRequestException(problem(400, message, [{ field: 'allOrNothing', message }]));
    }
    if (dryRun === 'true') {
      res.status(200);
      return this.previews.preview(caller, request);
    }
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      const message = 'Idempotency-Key must be 1 to 255 visible ASCII characters';
      throw new BadRequestException(problem(400, message, [{ field: 'Idempotency-Key', message }]));
    }
    if (replicas !== undefined) {
      const group = await this.groups.submit(
        caller,
        request,
        { replicas, allOrNothing: allOrNothing ?? false },
        idempotencyKey,
      );
      res.setHeader('Location', `/v1/groups/${group.id}`);
      return this.groups.view(caller, group.id);
    }
    const job = await this.jobs.submit(caller, request, idempotencyKey);
    res.setHeader('Location', `/v1/jobs/${job.id}`);
    return { id: job.id, status: job.status };
  }

  @Get()
  @RequireScope('read')
  @ApiOperation({ summary: "List the namespace's jobs, newest first, a page at a time" })
  @Answer(200, 'One page; pass next as cursor for the page after', 'JobPage')
  @Problems(400)
  async list(
    @Caller() caller: Principal,
    @Query() query: ListJobsQuery,
  ): Promise<{ items: JobView[]; count: number; next: string | null }> {
    const page = await this.jobs.list(caller, query);
    const items = page.items.map(toJobView);
    return { items, count: items.length, next: page.next };
  }

  @Get(':id')
  @RequireScope('read')
  @ApiOperation({ summary: 'A job: its spec, status, host, history and, while it waits, the hosts it does not fit' })
  @Answer(200, 'The job', 'Job')
  @Problems(404)
  async get(@Caller() caller: Principal, @Param('id') id: string): Promise<JobView> {
    return toJobView(await this.jobs.get(caller, id));
  }

  @Get(':id/events')
  @RequireScope('read')
  @ApiOperation({ summary: "The job's events from the log, oldest first: its timeline with each change's reason" })
  @Answer(200, 'Its events; complete is false when the log may miss some (its history has every status)', 'JobEvents')
  @Problems(404)
  async events(
    @Caller() caller: Principal,
    @Param('id') id: string,
  ): Promise<{ items: JobEvent[]; count: number; complete: boolean }> {
    const { events, complete } = await this.jobs.events(caller, id);
    return { items: events, count: events.length, complete };
  }

  @Get(':id/logs')
  @RequireScope('read')
  @ApiOperation({ summary: "The container's recent output, read by its host's agent" })
  @AnswerOf(200, 'stdout and stderr; with follow=true, on until the container stops', 'text/plain', {
    type: 'string',
  })
  @Problems(400, 404, 409, 502, 504)
  async logs(
    @Caller() caller: Principal,
    @Param('id') id: string,
    @Query() query: LogsQuery,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const limits = { tail: query.tail ?? 200, limitBytes: query.limitBytes ?? LOGS_DEFAULT_BYTES };
    if (query.follow === 'true') {
      const body = await this.jobs.followLogs(caller, id, limits);
      response.once('close', () => body.destroy());
      return new StreamableFile(body, { type: 'text/plain; charset=utf-8' });
    }
    const logs = await this.jobs.logs(caller, id, limits);
    // Non-zero when the lines asked for were more than limitBytes: the body is their end.
    response.setHeader(LOGS_DROPPED_BYTES_HEADER, String(logs.droppedBytes));
    return new StreamableFile(logs.body, { type: 'text/plain; charset=utf-8' });
  }

  @Delete(':id')
  @RequireScope('submit')
  @HttpCode(202)
  @ApiOperation({ summary: 'Stop and remove the job’s container; its capacity comes back' })
  @Answer(202, 'The job as it stands after the request (removing, then removed)', 'Job')
  @Problems(404, 409)
  async remove(@Caller() caller: Principal, @Param('id') id: string): Promise<JobView> {
    return toJobView(await this.jobs.remove(caller, id));
  }
}
