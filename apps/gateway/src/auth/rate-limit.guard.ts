import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { AuthenticatedRequest } from './access.decorators';

/**
 * Rate limits per token, after the access guard has said whose it is. Probes (the public routes) are never
 * limited: a liveness check that gets 429 would restart a healthy gateway.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(context.switchToHttp().getRequest<AuthenticatedRequest>().principal === undefined);
  }

  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    return Promise.resolve(`token:${(req as AuthenticatedRequest).principal?.tokenId}`);
  }

  protected override getErrorMessage(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<string> {
    return Promise.resolve(
      `rate limit of ${detail.limit} requests per ${detail.ttl / 1000} s reached for this token; retry after Retry-After seconds`,
    );
  }
}
