import { Controller, Get } from '@nestjs/common';
import { RequireScope } from '../auth/access.decorators';
import { QueuesService, QueuesView } from './queues.service';

/** For operators: how much waits where, and who is consuming it. */
@Controller('v1/queues')
export class QueuesController {
  constructor(private readonly queues: QueuesService) {}

  @Get()
  @RequireScope('read')
  list(): Promise<QueuesView> {
    return this.queues.list();
  }
}
