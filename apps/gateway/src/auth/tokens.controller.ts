import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Answer, NeedsToken, Problems } from '../openapi/api-docs';
import { NAMESPACE_NAME, Scope, SCOPES, TokenRecord } from '@berth/contracts';
import { TokenRepository } from '@berth/state';
import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { Optional } from '../common/schema-validation';
import { problem } from '../common/problem';
import { RequireScope } from './access.decorators';
import { AccessService } from './access.service';

export class CreateTokenDto {
  @ApiProperty({ description: 'What the token is for', pattern: '^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/, { message: 'name must be 1-63 letters, digits, space, _ . -' })
  name!: string;

  @ApiProperty({ description: 'The namespace its requests act in', pattern: NAMESPACE_NAME.source })
  @IsString()
  @Matches(NAMESPACE_NAME, { message: 'namespace must be lower-case letters, digits and -, starting with a letter' })
  namespace!: string;

  @ApiProperty({ description: 'What it may do', enum: SCOPES, isArray: true, minItems: 1, maxItems: SCOPES.length })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true, message: `each scope must be one of ${SCOPES.join(', ')}` })
  scopes!: Scope[];

  @ApiPropertyOptional({
    description: 'Expires after this long; never when absent',
    minimum: 60,
    maximum: 366 * 86_400,
  })
  @Optional()
  @IsInt()
  @Min(60)
  @Max(366 * 86_400)
  expiresInSeconds?: number;
}

/** API tokens: the admin makes, lists and revokes them. */
@ApiTags('tokens')
@NeedsToken()
@Controller('v1/tokens')
@RequireScope('admin')
export class TokensController {
  constructor(
    private readonly access: AccessService,
    private readonly tokens: TokenRepository,
  ) {}

  /** 201 with the token's secret, shown this once. */
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Make a token for a namespace and scopes (admin)' })
  @Answer(201, 'The token with its secret, shown this once', 'NewToken')
  @Problems(400)
  create(@Body() dto: CreateTokenDto): Promise<TokenRecord & { token: string }> {
    return this.access.issue(dto);
  }

  @Get()
  @ApiOperation({ summary: 'Every token, never a secret (admin)' })
  @Answer(200, 'The tokens', 'TokenList')
  async list(): Promise<{ items: TokenRecord[]; count: number }> {
    const items = await this.tokens.list();
    return { items, count: items.length };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a token (admin)' })
  @Answer(204, 'Revoked')
  @Problems(404)
  async revoke(@Param('id') id: string): Promise<void> {
    if (!(await this.tokens.revoke(id))) {
      throw new NotFoundException(
        problem(404, `token ${id} does not exist`, [{ field: 'id', message: 'unknown token' }]),
      );
    }
  }
}
