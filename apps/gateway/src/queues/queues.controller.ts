import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer, NeedsToken } from '../openapi/api-docs';
import { Controller, Get } from '@nestjs/common';
import { RequireScope } from '../auth/access.decorators';
import { QueuesService, QueuesView } from './queues.service';

/** For operators: how much waits where, and who is consuming it. */
@ApiTags('queues')
@NeedsToken()
@Controller('v1/queues')
export class QueuesController {
  constructor(private readonly queues: QueuesService) {}

  @Get()
  @RequireScope('read')
  @ApiOperation({ summary: "Every queue of the cluster: depth, consumers, rates; and the dead letters' count" })
  @Answer(200, 'The queues', 'Queues')
  list(): Promise<QueuesView> {
    return this.queues.list();
  }
}
