import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AnswerOf } from '../openapi/api-docs';
import { GatewayMetrics } from '@berth/metrics';
import { Controller, Get, Header, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/access.decorators';

/** Prometheus' scrape of the gateway, on the API port; open like the health probes: it names no job. */
@ApiTags('operations')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: GatewayMetrics) {}

  @Get()
  @ApiOperation({ summary: "Prometheus' scrape of the gateway (no token)" })
  @AnswerOf(200, 'The Prometheus text format', 'text/plain', { type: 'string' })
  @Header('Cache-Control', 'no-store')
  async scrape(@Res() response: Response): Promise<void> {
    response.type(this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
