import { Scope, SCOPES, TokenRecord } from '@berth/contracts';
import { RedisContext } from './redis-client';

/**
 * API tokens. Only the SHA-256 of a secret is kept, as the key that leads to its token: a secret cannot be read
 * back, and a lookup is one GET and one HGETALL. A revoked token is deleted, so the next request with it fails.
 */
export class TokenRepository {
  constructor(private readonly context: RedisContext) {}

  private get keys() {
    return this.context.keys;
  }

  async create(token: TokenRecord, secretHash: string): Promise<void> {
    await this.context.redis
      .multi()
      .hset(this.keys.token(token.id), {
        id: token.id,
        name: token.name,
        namespace: token.namespace,
        scopes: token.scopes.join(','),
        createdAt: token.createdAt,
        expiresAt: token.expiresAt ?? '',
        secretHash,
      })
      .set(this.keys.tokenBySecret(secretHash), token.id)
      .zadd(this.keys.tokenIndex, Date.parse(token.createdAt), token.id)
      .exec();
    if (token.expiresAt !== null) {
      // An expired token goes from Redis by itself; its index entry with the next revocation or listing.
      const at = Date.parse(token.expiresAt);
      await this.context.redis
        .multi()
        .pexpireat(this.keys.token(token.id), at)
        .pexpireat(this.keys.tokenBySecret(secretHash), at)
        .exec();
    }
  }

  /** The token a secret's hash belongs to, or null (unknown or revoked). */
  async findBySecret(secretHash: string): Promise<TokenRecord | null> {
    const id = await this.context.redis.get(this.keys.tokenBySecret(secretHash));
    return id ? this.get(id) : null;
  }

  async get(id: string): Promise<TokenRecord | null> {
    const hash = await this.context.redis.hgetall(this.keys.token(id));
    return hash.id ? toTokenRecord(hash) : null;
  }

  /** Oldest first. */
  async list(): Promise<TokenRecord[]> {
    const ids = await this.context.redis.zrange(this.keys.tokenIndex, 0, -1);
    const tokens = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => tokens[i] === null);
    if (gone.length > 0) {
      await this.context.redis.zrem(this.keys.tokenIndex, ...gone);
    }
    return tokens.filter((t): t is TokenRecord => t !== null);
  }

  /** False when there was no such token. */
  async revoke(id: string): Promise<boolean> {
    const secretHash = await this.context.redis.hget(this.keys.token(id), 'secretHash');
    if (secretHash === null) {
      return false;
    }
    await this.context.redis
      .multi()
      .del(this.keys.tokenBySecret(secretHash))
      .del(this.keys.token(id))
      .zrem(this.keys.tokenIndex, id)
      .exec();
    return true;
  }
}

function toTokenRecord(h: Record<string, string>): TokenRecord {
  return {
    id: h.id,
    name: h.name,
    namespace: h.namespace,
    scopes: h.scopes.split(',').filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
    createdAt: h.createdAt,
    expiresAt: h.expiresAt || null,
  };
}
