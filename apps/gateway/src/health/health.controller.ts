import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer, Problems } from '../openapi/api-docs';
import { Messaging } from '@berth/messaging';
import { BerthState } from '@berth/state';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { problem } from '../common/problem';
import { Public } from '../auth/access.decorators';

@ApiTags('operations')
@Controller()
@Public()
export class HealthController {
  constructor(
    private readonly amqp: Messaging,
    private readonly state: BerthState,
  ) {}

  /** The process is up. */
  @Get('healthz')
  @ApiOperation({ summary: 'The process is up (no token)' })
  @Answer(200, 'Up', 'Health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Jobs can be accepted: RabbitMQ and Redis both answer. After Redis lost the cluster's state, jobs are still
   * accepted while placement pauses; `recovery` says for how long.
   */
  @Get('readyz')
  @ApiOperation({ summary: 'Jobs can be accepted: RabbitMQ and Redis both answer (no token)' })
  @Answer(200, 'Ready', 'Readiness')
  @Problems(503)
  async ready(): Promise<{
    status: 'ready';
    rabbitmq: 'up';
    redis: 'up';
    recovery: { placementPausedForMs: number } | null;
  }> {
    const redis = await this.state.ping();
    const rabbitmq = this.amqp.connected;
    if (!redis || !rabbitmq) {
      const down = [!rabbitmq && 'rabbitmq', !redis && 'redis'].filter(Boolean).join(' and ');
      throw new ServiceUnavailableException(problem(503, `not ready: ${down} unreachable`));
    }
    const paused = await this.state.recovery.remainingMs().catch(() => null);
    return {
      status: 'ready',
      rabbitmq: 'up',
      redis: 'up',
      recovery: paused === null ? null : { placementPausedForMs: paused },
    };
  }
}
