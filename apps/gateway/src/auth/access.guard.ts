import { hasScope, Scope } from '@berth/contracts';
import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { problem } from '../common/problem';
import { ANY_SCOPE, AuthenticatedRequest, PUBLIC_KEY, SCOPE_KEY } from './access.decorators';
import { AccessService, Unauthenticated } from './access.service';

/** Every route needs a bearer token holding its scope, unless it is marked @Public(). */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) {
      return true;
    }
    const scope = this.reflector.getAllAndOverride<Scope | typeof ANY_SCOPE>(SCOPE_KEY, targets) ?? 'admin';
    const request = context.switchToHttp().getRequest<Request & AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      const detail =
        header === undefined ? 'a bearer token is required' : 'the Authorization header must be "Bearer <token>"';
      throw new UnauthorizedException(problem(401, detail, [{ field: 'Authorization', message: detail }]));
    }
    try {
      request.principal = await this.access.authenticate(match[1]);
    } catch (err) {
      if (err instanceof Unauthenticated) {
        throw new UnauthorizedException(problem(401, err.message, [{ field: 'Authorization', message: err.message }]));
      }
      throw err;
    }
    if (scope !== ANY_SCOPE && !hasScope(request.principal, scope)) {
      const detail = `this token lacks the '${scope}' scope (it has ${request.principal.scopes.join(', ')})`;
      throw new ForbiddenException(problem(403, detail, [{ field: 'scope', message: `needs ${scope}` }]));
    }
    return true;
  }
}
