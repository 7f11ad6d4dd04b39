/**
 * Bearer-token authentication and role checks for `/api/*`.
 *
 * Tokens look like `weft_<43 base64url chars>` (32 random bytes). Only their sha256 is stored,
 * so a copy of the database does not hand out API access.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../contract/clock.js';
import { WeftError } from '../contract/errors.js';
import { newId } from '../contract/ids.js';
import type { Store } from '../store/port.js';
import type { TokenRecord } from '../store/records.js';
import type { ApiEnv, Principal } from './context.js';
import { errorResponse } from './errors.js';

export type Role = TokenRecord['role'];
export const roles = ['viewer', 'operator', 'admin'] as const satisfies readonly Role[];

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** A fresh plaintext token. Shown once; only {@link hashToken} of it is kept. */
export function generateToken(): string {
  return `weft_${randomBytes(32).toString('base64url')}`;
}

/** What is stored and looked up: the sha256 of the token, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The least role a request needs. One table for the whole API:
 * reading is for everyone, changing state is for operators, managing tokens and writing
 * Connections is for admins.
 * `POST /api/flows/validate` changes nothing, so viewers may call it.
 *
 * @example requiredRole('POST', '/api/tokens') // 'admin'
 */
export function requiredRole(method: string, path: string): Role {
  if (path === '/api/tokens' || path.startsWith('/api/tokens/')) return 'admin';
  // Connections carry credentials: only admins set or remove them; operators may test them.
  if (path.startsWith('/api/connections/') && (method === 'PUT' || method === 'DELETE')) return 'admin';
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return 'viewer';
  if (method === 'POST' && path === '/api/flows/validate') return 'viewer';
  return 'operator';
}

/** Paths under `/api` that need no token. */
const publicPaths = new Set(['/api/openapi.json']);

/** The middleware, plus a way to drop a revoked token from its cache. */
export type AuthMiddleware = MiddlewareHandler<ApiEnv> & {
  /** Forgets the cached principal of this token id, so its next request reaches the store. */
  forget(tokenId: string): void;
  /** Forgets every cached principal (a token was revoked somewhere, perhaps by another process). */
  forgetAll(): void;
};

export interface AuthOptions {
  store: Store;
  clock: Clock;
  /** How long a valid token stays cached, so auth does not read the database per request. @default 5000 */
  cacheMs?: number;
  /** Bound on cached tokens; the cache is cleared when it fills. @default 1000 */
  maxCached?: number;
}

/**
 * The `/api/*` middleware: resolves the bearer token to a {@link Principal}, checks its role
 * against {@link requiredRole}, and sets `c.var.principal`.
 *
 * Only hits are cached: an unknown token always reaches the store, so a token created a moment
 * ago works at once. A token revoked through this process stops at once ({@link AuthMiddleware.forget});
 * one revoked through another process stops when the store's `tokens` topic arrives
 * ({@link AuthMiddleware.forgetAll}), and at the latest after `cacheMs` should that be missed.
 */
export function createAuthMiddleware(opts: AuthOptions): AuthMiddleware {
  const cacheMs = opts.cacheMs ?? 5_000;
  const maxCached = opts.maxCached ?? 1_000;
  const cache = new Map<string, { principal: Principal; expiresAt: number }>();

  async function lookup(tokenHash: string): Promise<Principal | null> {
    const now = opts.clock.now();
    const hit = cache.get(tokenHash);
    if (hit && hit.expiresAt > now) return hit.principal;
    cache.delete(tokenHash);
    const record = await opts.store.findTokenByHash(tokenHash);
    if (!record || record.revokedAt !== null) return null;
    const principal: Principal = { tokenId: record.id, name: record.name, role: record.role };
    if (cache.size >= maxCached) cache.clear();
    cache.set(tokenHash, { principal, expiresAt: now + cacheMs });
    return principal;
  }

  const authenticate: MiddlewareHandler<ApiEnv> = async (c, next) => {
    if (publicPaths.has(c.req.path)) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer[ \t]+([^\s]{1,512})[ \t]*$/i.exec(header);
    if (!match?.[1]) {
      c.header('WWW-Authenticate', 'Bearer realm="weft"');
      return errorResponse(c, { code: 'unauthorized', message: 'missing bearer token' });
    }
    const principal = await lookup(hashToken(match[1]));
    if (!principal) {
      c.header('WWW-Authenticate', 'Bearer realm="weft", error="invalid_token"');
      return errorResponse(c, { code: 'unauthorized', message: 'unknown or revoked token' });
    }
    const needed = requiredRole(c.req.method, c.req.path);
    if (rank[principal.role] < rank[needed]) {
      return errorResponse(c, {
        code: 'forbidden',
        message: `this needs the ${needed} role; token '${principal.name}' is ${principal.role}`,
      });
    }
    c.set('principal', principal);
    return next();
  };

  return Object.assign(authenticate, {
    forgetAll(): void {
      cache.clear();
    },
    forget(tokenId: string): void {
      for (const [hash, entry] of cache) if (entry.principal.tokenId === tokenId) cache.delete(hash);
    },
  });
}

/** Creates a token row and its audit event; returns the plaintext once. */
export async function issueToken(opts: {
  store: Store;
  name: string;
  role: Role;
  actor: string;
  now: number;
  /** Use this plaintext instead of generating one (the operator's WEFT_ADMIN_TOKEN). */
  plaintext?: string;
}): Promise<{ record: TokenRecord; token: string }> {
  const token = opts.plaintext ?? generateToken();
  const record: TokenRecord = {
    id: newId('tok', opts.now),
    name: opts.name,
    role: opts.role,
    tokenHash: hashToken(token),
    createdAt: opts.now,
    revokedAt: null,
  };
  await opts.store.createToken({
    token: record,
    audit: {
      actor: opts.actor,
      action: 'token.create',
      target: record.id,
      data: { name: record.name, role: record.role },
      at: opts.now,
    },
  });
  return { record, token };
}

/** The name of the token {@link ensureBootstrapToken} creates. */
export const bootstrapTokenName = 'bootstrap-admin';

/**
 * Makes sure someone can log in after a fresh start.
 *
 * - With `adminToken` (WEFT_ADMIN_TOKEN): a token with that hash exists afterwards, named
 *   `bootstrap-admin`. The plaintext is never returned: the operator already has it. When the
 *   variable changed since the last start, the live `bootstrap-admin` token of the old value is
 *   revoked first (rotation; token names are unique among live tokens). A revoked WEFT_ADMIN_TOKEN
 *   stays revoked: set a new value to get back in.
 * - Without it, and with no tokens at all: a new admin token is generated and returned, so
 *   `weft start` can print it once.
 *
 * Several processes booting at once may race: a loser of the WEFT_ADMIN_TOKEN path sees the
 * winner's token and reports `created: false`; on the generated path the loser's insert fails with
 * `conflict` and the caller asks again (see `bootstrap` in main.ts).
 *
 * @example
 * const { token } = await ensureBootstrapToken({ store, adminToken: config.adminToken, clock });
 * if (token) console.log(`admin token (shown once): ${token}`);
 */
export async function ensureBootstrapToken(opts: {
  store: Store;
  adminToken?: string;
  clock: Clock;
}): Promise<{ token?: string; created: boolean }> {
  const now = opts.clock.now();
  if (opts.adminToken !== undefined) {
    const tokenHash = hashToken(opts.adminToken);
    if (await opts.store.findTokenByHash(tokenHash)) return { created: false };
    for (let attempt = 1; ; attempt++) {
      try {
        const stale = (await opts.store.listTokens()).filter(
          (t) => t.name === bootstrapTokenName && t.revokedAt === null,
        );
        for (const old of stale) {
          await opts.store.revokeToken({
            id: old.id,
            now,
            audit: {
              actor: 'system',
              action: 'token.revoke',
              target: old.id,
              data: { name: old.name, reason: 'WEFT_ADMIN_TOKEN changed' },
              at: now,
            },
          });
        }
        await issueToken({
          store: opts.store,
          name: bootstrapTokenName,
          role: 'admin',
          actor: 'system',
          now,
          plaintext: opts.adminToken,
        });
        return { created: true };
      } catch (err) {
        // Another process is rotating too: it revoked the old token or stored this one first.
        if (!(err instanceof WeftError && err.code === 'conflict')) throw err;
        if (await opts.store.findTokenByHash(tokenHash)) return { created: false };
        if (attempt >= 3) throw err;
      }
    }
  }
  if ((await opts.store.countTokens()) > 0) return { created: false };
  const { token } = await issueToken({
    store: opts.store,
    name: bootstrapTokenName,
    role: 'admin',
    actor: 'system',
    now,
  });
  return { token, created: true };
}
