import { GatewayEnv } from '@berth/config';
import { DEFAULT_NAMESPACE, Principal, Scope, TokenRecord } from '@berth/contracts';
import { TokenRepository } from '@berth/state';
import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Why a bearer token is refused: the 401's detail. */
export class Unauthenticated extends Error {
  override readonly name = 'Unauthenticated';
}

const secretHash = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/**
 * Who a bearer token is. The admin token comes from a file (BERTH_ADMIN_TOKEN_FILE), not from Redis, so a Redis
 * that loses everything never locks operators out; every other token lives in Redis and is looked up on each
 * request, so a revoked one is refused at once.
 */
@Injectable()
export class AccessService {
  private readonly logger = new Logger('Access');
  private readonly adminHash: Buffer | null;

  constructor(
    private readonly tokens: TokenRepository,
    env: GatewayEnv,
  ) {
    this.adminHash = env.BERTH_ADMIN_TOKEN_FILE
      ? Buffer.from(secretHash(readAdminToken(env.BERTH_ADMIN_TOKEN_FILE)))
      : null;
    if (!this.adminHash) {
      this.logger.warn('BERTH_ADMIN_TOKEN_FILE is not set: no admin token, so no token can be created');
    }
  }

  async authenticate(secret: string): Promise<Principal> {
    const hash = secretHash(secret);
    if (this.adminHash && timingSafeEqual(Buffer.from(hash), this.adminHash)) {
      return { tokenId: 'admin', namespace: DEFAULT_NAMESPACE, scopes: ['admin'] };
    }
    const token = await this.tokens.findBySecret(hash);
    if (!token) {
      throw new Unauthenticated('the bearer token is not valid (unknown or revoked)');
    }
    if (token.expiresAt !== null && Date.parse(token.expiresAt) <= Date.now()) {
      throw new Unauthenticated(`the bearer token expired at ${token.expiresAt}`);
    }
    return { tokenId: token.id, namespace: token.namespace, scopes: token.scopes };
  }

  /** A new token; its secret is in the answer only, never stored. */
  async issue(request: {
    name: string;
    namespace: string;
    scopes: Scope[];
    expiresInSeconds?: number;
  }): Promise<TokenRecord & { token: string }> {
    const now = new Date();
    const record: TokenRecord = {
      id: randomUUID(),
      name: request.name,
      namespace: request.namespace,
      scopes: [...new Set(request.scopes)],
      createdAt: now.toISOString(),
      expiresAt:
        request.expiresInSeconds === undefined
          ? null
          : new Date(now.getTime() + request.expiresInSeconds * 1000).toISOString(),
    };
    const secret = `berth_${randomBytes(32).toString('base64url')}`;
    await this.tokens.create(record, secretHash(secret));
    return { ...record, token: secret };
  }
}

function readAdminToken(path: string): string {
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < 32) {
    throw new Error(`the admin token in ${path} is shorter than 32 characters`);
  }
  return secret;
}
