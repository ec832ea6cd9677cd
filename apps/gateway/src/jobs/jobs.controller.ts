import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CreateJobDto } from './dto/create-job.dto';
import { ListJobsQuery } from './dto/list-jobs.query';
import { LogsQuery } from './dto/logs.query';
import { toJobView, JobView } from './job.view';
import { JobsService } from './jobs.service';

@Controller('v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @HttpCode(202)
  async submit(
    @Body() dto: CreateJobDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ id: string; status: string }> {
    const job = await this.jobs.submit(dto);
    res.setHeader('Location', `/v1/jobs/${job.id}`);
    return { id: job.id, status: job.status };
  }

  @Get()
  async list(@Query() query: ListJobsQuery): Promise<{ items: JobView[]; count: number }> {
    const items = (await this.jobs.list(query)).map(toJobView);
    return { items, count: items.length };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<JobView> {
    return toJobView(await this.jobs.get(id));
  }

  @Get(':id/logs')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  logs(@Param('id') id: string, @Query() query: LogsQuery): Promise<string> {
    return this.jobs.logs(id, query.tail ?? 200);
  }

  @Delete(':id')
  @HttpCode(202)
  async remove(@Param('id') id: string): Promise<JobView> {
    return toJobView(await this.jobs.remove(id));
  }
}
