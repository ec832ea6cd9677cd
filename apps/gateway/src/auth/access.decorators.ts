import { Principal, Scope } from '@berth/contracts';
import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';

export const SCOPE_KEY = 'berth:scope';
export const PUBLIC_KEY = 'berth:public';

/** The scope a route needs. A route that names none needs `admin`: nothing is open by omission. */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE_KEY, scope);

/** Any valid token, whatever its scopes: for a client to learn what its token may do. */
export const ANY_SCOPE = 'any';
export const RequireToken = () => SetMetadata(SCOPE_KEY, ANY_SCOPE);

/** A route anyone may call without a token (probes and metrics, as in Kubernetes). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** A request as the access guard leaves it. */
export interface AuthenticatedRequest {
  principal?: Principal;
}

/** The caller the access guard authenticated. */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) {
    throw new Error('Caller used on a route the access guard did not authenticate');
  }
  return principal;
});
