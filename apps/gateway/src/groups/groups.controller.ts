import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer, NeedsToken, Problems } from '../openapi/api-docs';
import { GroupView, Principal } from '@berth/contracts';
import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { Caller, RequireScope } from '../auth/access.decorators';
import { GroupsService } from './groups.service';

/** The groups POST /v1/jobs makes with `replicas`. */
@ApiTags('jobs')
@NeedsToken()
@Controller('v1/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Get(':id')
  @RequireScope('read')
  @ApiOperation({ summary: 'A group: its jobs and how many are in each status' })
  @Answer(200, 'The group', 'Group')
  @Problems(404)
  get(@Caller() caller: Principal, @Param('id') id: string): Promise<GroupView> {
    return this.groups.view(caller, id);
  }

  /** Removes every job of the group; 202 with the group as it stands after the request. */
  @Delete(':id')
  @RequireScope('submit')
  @HttpCode(202)
  @ApiOperation({ summary: 'Remove every job of the group' })
  @Answer(202, 'The group as it stands after the request', 'Group')
  @Problems(404)
  remove(@Caller() caller: Principal, @Param('id') id: string): Promise<GroupView> {
    return this.groups.remove(caller, id);
  }
}
