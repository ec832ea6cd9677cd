import { NAMESPACE_NAME, Scope, SCOPES, TokenRecord } from '@berth/contracts';
import { TokenRepository } from '@berth/state';
import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { Optional } from '../common/schema-validation';
import { problem } from '../common/problem';
import { RequireScope } from './access.decorators';
import { AccessService } from './access.service';

export class CreateTokenDto {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/, { message: 'name must be 1-63 letters, digits, space, _ . -' })
  name!: string;

  @IsString()
  @Matches(NAMESPACE_NAME, { message: 'namespace must be lower-case letters, digits and -, starting with a letter' })
  namespace!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @IsIn(SCOPES, { each: true, message: `each scope must be one of ${SCOPES.join(', ')}` })
  scopes!: Scope[];

  @Optional()
  @IsInt()
  @Min(60)
  @Max(366 * 86_400)
  expiresInSeconds?: number;
}

/** API tokens: the admin makes, lists and revokes them. */
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
  create(@Body() dto: CreateTokenDto): Promise<TokenRecord & { token: string }> {
    return this.access.issue(dto);
  }

  @Get()
  async list(): Promise<{ items: TokenRecord[]; count: number }> {
    const items = await this.tokens.list();
    return { items, count: items.length };
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@Param('id') id: string): Promise<void> {
    if (!(await this.tokens.revoke(id))) {
      throw new NotFoundException(
        problem(404, `token ${id} does not exist`, [{ field: 'id', message: 'unknown token' }]),
      );
    }
  }
}
