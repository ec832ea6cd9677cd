import { GatewayEnv } from '@berth/config';
import { TokenRecord } from '@berth/contracts';
import { TokenRepository } from '@berth/state';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessService, Unauthenticated } from './access.service';

/** Tokens kept in a map: the unit under test is the service's reading of them, not Redis. */
class TokensInMemory {
  private readonly byHash = new Map<string, TokenRecord>();

  create(token: TokenRecord, secretHash: string): Promise<void> {
    this.byHash.set(secretHash, token);
    return Promise.resolve();
  }

  findBySecret(secretHash: string): Promise<TokenRecord | null> {
    return Promise.resolve(this.byHash.get(secretHash) ?? null);
  }

  expire(id: string): void {
    for (const token of this.byHash.values()) {
      if (token.id === id) {
        token.expiresAt = new Date(Date.now() - 1000).toISOString();
      }
    }
  }
}

describe('AccessService', () => {
  const adminSecret = `berth_${'a'.repeat(43)}`;
  const file = join(mkdtempSync(join(tmpdir(), 'berth-admin-')), 'admin-token');
  writeFileSync(file, `${adminSecret}\n`);
  const env = Object.assign(new GatewayEnv(), { BERTH_ADMIN_TOKEN_FILE: file });
  const tokens = new TokensInMemory();
  const access = new AccessService(tokens as unknown as TokenRepository, env);

  it('knows the admin token from its file, in the default namespace', async () => {
    expect(await access.authenticate(adminSecret)).toEqual({
      tokenId: 'admin',
      namespace: 'default',
      scopes: ['admin'],
    });
    await expect(access.authenticate(`${adminSecret}x`)).rejects.toThrow(Unauthenticated);
  });

  it('shows a new secret once and finds its token by it; an expired token is refused, saying so', async () => {
    const made = await access.issue({ name: 'ci', namespace: 'team-a', scopes: ['read', 'read', 'submit'] });
    expect(made.token).toMatch(/^berth_[A-Za-z0-9_-]{43}$/);
    expect(made.scopes).toEqual(['read', 'submit']);
    expect(await access.authenticate(made.token)).toEqual({
      tokenId: made.id,
      namespace: 'team-a',
      scopes: ['read', 'submit'],
    });
    tokens.expire(made.id);
    await expect(access.authenticate(made.token)).rejects.toThrow(/expired at/);
  });
});
