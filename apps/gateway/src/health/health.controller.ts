import { AmqpClient } from '@berth/messaging';
import { RedisState } from '@berth/state';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { problem } from '../common/problem';

@Controller()
export class HealthController {
  constructor(
    private readonly amqp: AmqpClient,
    private readonly state: RedisState,
  ) {}

  /** The process is up. */
  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Jobs can be accepted: RabbitMQ and Redis both answer. */
  @Get('readyz')
  async ready(): Promise<{ status: 'ready'; rabbitmq: 'up'; redis: 'up' }> {
    const redis = await this.state.ping();
    const rabbitmq = this.amqp.connected;
    if (!redis || !rabbitmq) {
      const down = [!rabbitmq && 'rabbitmq', !redis && 'redis'].filter(Boolean).join(' and ');
      throw new ServiceUnavailableException(problem(503, `not ready: ${down} unreachable`));
    }
    return { status: 'ready', rabbitmq: 'up', redis: 'up' };
  }
}
