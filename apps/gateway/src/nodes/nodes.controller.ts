import { NodeRecord } from '@berth/contracts';
import { RedisState } from '@berth/state';
import { Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { problem } from '../common/problem';

@Controller('v1/nodes')
export class NodesController {
  constructor(private readonly state: RedisState) {}

  @Get()
  async list(): Promise<{ items: NodeRecord[]; count: number }> {
    const items = await this.state.listNodes();
    return { items, count: items.length };
  }

  /** No new placements on the host; what runs there keeps running. */
  @Post(':id/cordon')
  @HttpCode(200)
  cordon(@Param('id') id: string): Promise<NodeRecord> {
    return this.setSchedulable(id, false);
  }

  @Post(':id/uncordon')
  @HttpCode(200)
  uncordon(@Param('id') id: string): Promise<NodeRecord> {
    return this.setSchedulable(id, true);
  }

  private async setSchedulable(id: string, schedulable: boolean): Promise<NodeRecord> {
    const node = (await this.state.setSchedulable(id, schedulable))
      ? (await this.state.listNodes()).find((n) => n.id === id)
      : undefined;
    if (!node) {
      throw new NotFoundException(
        problem(404, `host ${id} is not registered`, [{ field: 'id', message: 'unknown host' }]),
      );
    }
    return node;
  }
}
