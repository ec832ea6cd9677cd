import { NodeRecord } from '@berth/contracts';
import { NODE_ID } from '@berth/messaging';
import { NodeBooks } from '@berth/state';
import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { IsString, Matches } from 'class-validator';
import { problem } from '../common/problem';
import { RequireScope } from '../auth/access.decorators';
import { AgentEnvironment, NodeCredentialsService } from './node-credentials.service';

export class AddNodeDto {
  @IsString()
  @Matches(NODE_ID, { message: 'id must be 1-63 letters, digits, _ . -, starting with a letter or digit' })
  id!: string;
}

@Controller('v1/nodes')
export class NodesController {
  constructor(
    private readonly nodes: NodeBooks,
    private readonly credentials: NodeCredentialsService,
  ) {}

  /**
   * Adds a host: 201 with its agent's environment, RabbitMQ credential included (shown this once). Asked again for
   * the same id, it makes a new credential and the old one stops working.
   */
  @Post()
  @RequireScope('admin')
  @HttpCode(201)
  add(@Body() dto: AddNodeDto): Promise<AgentEnvironment> {
    return this.credentials.provision(dto.id);
  }

  /** Revokes a host's credential: its agent is disconnected and cannot log in again. */
  @Delete(':id/credential')
  @RequireScope('admin')
  @HttpCode(204)
  async revoke(@Param('id') id: string): Promise<void> {
    if (!NODE_ID.test(id) || !(await this.credentials.revoke(id))) {
      throw new NotFoundException(
        problem(404, `host ${id} has no credential`, [{ field: 'id', message: 'unknown host' }]),
      );
    }
  }

  @Get()
  @RequireScope('read')
  async list(): Promise<{ items: NodeRecord[]; count: number }> {
    const items = await this.nodes.list();
    return { items, count: items.length };
  }

  /** No new placements on the host; what runs there keeps running. */
  @Post(':id/cordon')
  @RequireScope('operate')
  @HttpCode(200)
  cordon(@Param('id') id: string): Promise<NodeRecord> {
    return this.setSchedulable(id, false);
  }

  /** Uncordons, and ends a drain. */
  @Post(':id/uncordon')
  @RequireScope('operate')
  @HttpCode(200)
  async uncordon(@Param('id') id: string): Promise<NodeRecord> {
    await this.nodes.setDrain(id, 'none');
    return this.setSchedulable(id, true);
  }

  /**
   * No new placements, and the jobs on the host with `reschedule: on-node-failure` are placed elsewhere; the
   * host's `drain` reads `drained` once they have all left.
   */
  @Post(':id/drain')
  @RequireScope('operate')
  @HttpCode(202)
  async drain(@Param('id') id: string): Promise<NodeRecord> {
    if (!(await this.nodes.setDrain(id, 'draining'))) {
      throw this.unknown(id);
    }
    return this.setSchedulable(id, false);
  }

  private async setSchedulable(id: string, schedulable: boolean): Promise<NodeRecord> {
    const node = (await this.nodes.setSchedulable(id, schedulable))
      ? (await this.nodes.list()).find((n) => n.id === id)
      : undefined;
    if (!node) {
      throw this.unknown(id);
    }
    return node;
  }

  private unknown(id: string): NotFoundException {
    return new NotFoundException(
      problem(404, `host ${id} is not registered`, [{ field: 'id', message: 'unknown host' }]),
    );
  }
}
