import { Principal, Scope } from '@berth/contracts';
import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Answer, NeedsToken } from '../openapi/api-docs';
import { Caller, RequireToken } from './access.decorators';

/** What the caller's own token is: the console signs in with it and shows only what the token may do. */
@ApiTags('tokens')
@NeedsToken()
@Controller('v1/whoami')
export class SessionController {
  @Get()
  @RequireToken()
  @ApiOperation({ summary: "The calling token's namespace and scopes (any valid token)" })
  @Answer(200, 'The token', 'WhoAmI')
  whoami(@Caller() caller: Principal): { tokenId: string; namespace: string; scopes: readonly Scope[] } {
    return { tokenId: caller.tokenId, namespace: caller.namespace, scopes: caller.scopes };
  }
}
