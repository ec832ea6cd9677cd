import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Answer, NeedsToken, Problems } from '../openapi/api-docs';
import { NodeRecord } from '@berth/contracts';
import { NODE_ID } from '@berth/messaging';
import { NodeBooks } from '@berth/state';
import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { IsString, Matches } from 'class-validator';
import { problem } from '../common/problem';
import { RequireScope } from '../auth/access.decorators';
import { AgentEnvironment, NodeCredentialsService } from './node-credentials.service';

export class AddNodeDto {
  @ApiProperty({ description: 'The node id its agent will use', pattern: NODE_ID.source, maxLength: 63 })
  @IsString()
  @Matches(NODE_ID, { message: 'id must be 1-63 letters, digits, _ . -, starting with a letter or digit' })
  id!: string;
}

@ApiTags('nodes')
@NeedsToken()
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
  @ApiOperation({ summary: "Add a host: its agent's environment, with its own RabbitMQ credential (shown this once)" })
  @Answer(201, "The agent's environment", 'AgentEnvironment')
  @Problems(400)
  add(@Body() dto: AddNodeDto): Promise<AgentEnvironment> {
    return this.credentials.provision(dto.id);
  }

  /** Revokes a host's credential: its agent is disconnected and cannot log in again. */
  @Delete(':id/credential')
  @RequireScope('admin')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke a host's credential: its agent is disconnected and cannot log in again" })
  @Answer(204, 'Revoked')
  @Problems(404)
  async revoke(@Param('id') id: string): Promise<void> {
    if (!NODE_ID.test(id) || !(await this.credentials.revoke(id))) {
      throw new NotFoundException(
        problem(404, `host ${id} has no credential`, [{ field: 'id', message: 'unknown host' }]),
      );
    }
  }

  @Get()
  @RequireScope('read')
  @ApiOperation({ summary: 'Every host: status, capacity, what is allocated, labels' })
  @Answer(200, 'The hosts', 'NodeList')
  async list(): Promise<{ items: NodeRecord[]; count: number }> {
    const items = await this.nodes.list();
    return { items, count: items.length };
  }

  /** No new placements on the host; what runs there keeps running. */
  @Post(':id/cordon')
  @RequireScope('operate')
  @HttpCode(200)
  @ApiOperation({ summary: 'No new placements on the host; what runs there keeps running' })
  @Answer(200, 'The host', 'Node')
  @Problems(404)
  cordon(@Param('id') id: string): Promise<NodeRecord> {
    return this.setSchedulable(id, false);
  }

  /** Uncordons, and ends a drain. */
  @Post(':id/uncordon')
  @RequireScope('operate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Placements again; ends a drain' })
  @Answer(200, 'The host', 'Node')
  @Problems(404)
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
  @ApiOperation({ summary: 'Cordon the host and move its jobs with reschedule: on-node-failure elsewhere' })
  @Answer(202, 'The host; its drain reads draining, then drained', 'Node')
  @Problems(404)
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
