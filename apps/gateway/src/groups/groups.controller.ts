import { GroupView, Principal } from '@berth/contracts';
import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { Caller, RequireScope } from '../auth/access.decorators';
import { GroupsService } from './groups.service';

/** The groups POST /v1/jobs makes with `replicas`. */
@Controller('v1/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Get(':id')
  @RequireScope('read')
  get(@Caller() caller: Principal, @Param('id') id: string): Promise<GroupView> {
    return this.groups.view(caller, id);
  }

  /** Removes every job of the group; 202 with the group as it stands after the request. */
  @Delete(':id')
  @RequireScope('submit')
  @HttpCode(202)
  remove(@Caller() caller: Principal, @Param('id') id: string): Promise<GroupView> {
    return this.groups.remove(caller, id);
  }
}
