import { ManagementApiError, BrokerUnavailable } from '@berth/messaging';
import { isRedisUnavailable } from '@berth/state';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { Problem, problem, PROBLEM_CONTENT_TYPE } from './problem';

/** Seconds a client should wait before retrying when a dependency is down. */
export const RETRY_AFTER_SECONDS = 5;

/** Every error leaves as application/problem+json; unexpected ones get a correlation id that is also logged. */
@Catch()
export class ProblemExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    sendProblem(response, this.toProblem(exception));
  }

  private toProblem(exception: unknown): Problem {
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      if (typeof body === 'object' && body !== null && 'type' in body && 'title' in body) {
        return body as Problem;
      }
      const message: unknown = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      const detail = Array.isArray(message)
        ? message.join('; ')
        : typeof message === 'string'
          ? message
          : exception.message;
      return problem(exception.getStatus(), detail);
    }
    if (
      exception instanceof BrokerUnavailable ||
      exception instanceof ManagementApiError ||
      isRedisUnavailable(exception)
    ) {
      return problem(503, `a dependency is unavailable: ${(exception as Error).message}; retry later`);
    }
    const correlationId = randomUUID();
    this.logger.error(
      `[${correlationId}] ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`,
    );
    return { ...problem(500, 'unexpected error; the correlation id is in the gateway log'), correlationId };
  }
}

export function sendProblem(response: Response, body: Problem): void {
  if (body.status === 503) {
    response.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  }
  if (body.status === 401) {
    // RFC 6750: say which scheme would be accepted.
    response.setHeader('WWW-Authenticate', 'Bearer realm="berth"');
  }
  response.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
