import { GatewayMetrics } from '@berth/metrics';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable } from 'rxjs';

/**
 * Times every API request into berth_http_request_duration_seconds, labelled by its route's pattern (never the
 * path itself, which holds job ids) and the status finally sent, errors included.
 */
@Injectable()
export class RequestTimingInterceptor implements NestInterceptor {
  constructor(private readonly metrics: GatewayMetrics) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') {
      return next.handle();
    }
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const started = performance.now();
    response.once('finish', () => {
      const route = (request.route as { path?: string } | undefined)?.path ?? 'unmatched';
      this.metrics.httpDuration.observe(
        { method: request.method, route: `${request.baseUrl}${route}`, status: String(response.statusCode) },
        (performance.now() - started) / 1000,
      );
    });
    return next.handle();
  }
}
