import { NodeRecord } from '@berth/contracts';
import { RedisState } from '@berth/state';
import { Controller, Get } from '@nestjs/common';

@Controller('v1/nodes')
export class NodesController {
  constructor(private readonly state: RedisState) {}

  @Get()
  async list(): Promise<{ items: NodeRecord[]; count: number }> {
    const items = await this.state.listNodes();
    return { items, count: items.length };
  }
}
