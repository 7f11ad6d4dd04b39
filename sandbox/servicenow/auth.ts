import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { RecordStore } from '../common/record-store.js';
import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import { snError } from './errors.js';

/** A user the instance knows: `itil` may write incidents, `read` may only read (writes get 403). */
export interface SnUser {
  userName: string;
  password: string;
  role: 'itil' | 'read';
}

/** An OAuth application registry entry (System OAuth > Application Registry). */
export interface SnOAuthClient {
  clientId: string;
  clientSecret: string;
  /** The user a client_credentials token acts as (the application's "OAuth Application User"). */
  applicationUser: string;
}

export interface SnCredentials {
  users: SnUser[];
  oauthClients: SnOAuthClient[];
  /** `x-sn-apikey` keys and the user each acts as. */
  apiKeys: { key: string; userName: string }[];
}

export const defaultCredentials: SnCredentials = {
  users: [
    { userName: 'weft.integration', password: 'weft-sandbox-password', role: 'itil' },
    { userName: 'weft.readonly', password: 'weft-sandbox-readonly', role: 'read' },
  ],
  oauthClients: [
    {
      clientId: 'weft-sandbox-client',
      clientSecret: 'weft-sandbox-client-secret',
      applicationUser: 'weft.integration',
    },
  ],
  apiKeys: [{ key: 'now_weft_sandbox_key', userName: 'weft.integration' }],
};

/** The instance's default access-token lifetime (seconds). */
export const accessTokenLifetimeS = 1799;
const refreshTokenLifetimeMs = 100 * 86_400_000;
const tokenPath = '/oauth_token.do';

interface TokenRow {
  userName: string;
  clientId: string;
  expiresMs: number;
}

const notAuthenticated = (): SandboxResponse =>
  snError(401, 'User Not Authenticated', 'Required to provide Auth information', {
    'www-authenticate': 'BASIC realm="Service-now"',
  });

/**
 * Basic, OAuth bearer and API-key auth, and the token endpoint `/oauth_token.do` (password,
 * refresh_token and client_credentials grants). Tokens live in the record store, so a sandbox on a
 * file keeps them across restarts.
 */
export class SnAuth {
  constructor(
    private readonly creds: SnCredentials,
    private readonly store: RecordStore,
    private readonly now: () => number,
  ) {}

  /** The caller's user name, or the instance's 401. The token endpoint authenticates itself. */
  authenticate(req: SandboxRequest): string | SandboxResponse {
    if (req.path === tokenPath) return 'oauth-token-endpoint';
    const header = req.headers.authorization ?? '';
    const apiKey = req.headers['x-sn-apikey'];
    if (apiKey !== undefined) {
      return this.creds.apiKeys.find((k) => same(k.key, apiKey))?.userName ?? notAuthenticated();
    }
    if (/^basic /i.test(header)) {
      const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = this.#user(decoded.slice(0, colon), decoded.slice(colon + 1));
      return colon > 0 && user ? user.userName : notAuthenticated();
    }
    if (/^bearer /i.test(header)) {
      const row = this.store.get<TokenRow>('oauth_access_token', header.slice(7).trim());
      return row && row.data.expiresMs > this.now() ? row.data.userName : notAuthenticated();
    }
    return notAuthenticated();
  }

  roleOf(userName: string): SnUser['role'] {
    return this.creds.users.find((u) => u.userName === userName)?.role ?? 'itil';
  }

  isTokenRequest(req: SandboxRequest): boolean {
    return req.path === tokenPath;
  }

  /** `POST /oauth_token.do`, form-encoded; client credentials in the body or a Basic header. */
  token(req: SandboxRequest): SandboxResponse {
    if (req.method !== 'POST') return snError(405, 'Method not Supported', 'Use POST');
    const form = new URLSearchParams(req.body);
    let clientId = form.get('client_id') ?? '';
    let clientSecret = form.get('client_secret') ?? '';
    const basic = /^basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic !== undefined && clientId === '') {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
    const client = this.creds.oauthClients.find(
      (c) => same(c.clientId, clientId) && same(c.clientSecret, clientSecret),
    );
    if (client === undefined) return denied();
    const grant = form.get('grant_type');
    if (grant === 'password') {
      const user = this.#user(form.get('username') ?? '', form.get('password') ?? '');
      return user ? this.#issue(user.userName, client.clientId, true) : denied();
    }
    if (grant === 'refresh_token') {
      const row = this.store.get<TokenRow>('oauth_refresh_token', form.get('refresh_token') ?? '');
      if (!row || row.data.clientId !== client.clientId || row.data.expiresMs <= this.now()) return denied();
      // ServiceNow keeps the refresh token until it expires (no rotation by default).
      return this.#issue(row.data.userName, client.clientId, false, row.id);
    }
    if (grant === 'client_credentials') return this.#issue(client.applicationUser, client.clientId, false);
    return {
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: `grant_type ${grant ?? '(none)'}` },
    };
  }

  #issue(userName: string, clientId: string, withRefresh: boolean, keepRefresh?: string): SandboxResponse {
    const now = this.now();
    const access = randomBytes(24).toString('base64url');
    this.store.insert<TokenRow>(
      'oauth_access_token',
      access,
      { userName, clientId, expiresMs: now + accessTokenLifetimeS * 1000 },
      { createdMs: now },
    );
    let refresh = keepRefresh;
    if (withRefresh) {
      refresh = randomBytes(24).toString('base64url');
      this.store.insert<TokenRow>(
        'oauth_refresh_token',
        refresh,
        { userName, clientId, expiresMs: now + refreshTokenLifetimeMs },
        { createdMs: now },
      );
    }
    return {
      status: 200,
      body: {
        access_token: access,
        ...(refresh === undefined ? {} : { refresh_token: refresh }),
        scope: 'useraccount',
        token_type: 'Bearer',
        expires_in: accessTokenLifetimeS,
      },
    };
  }

  #user(userName: string, password: string): SnUser | undefined {
    return this.creds.users.find((u) => same(u.userName, userName) && same(u.password, password));
  }
}

/** What the instance answers a refused grant. */
const denied = (): SandboxResponse => ({
  status: 401,
  body: { error_description: 'access_denied', error: 'server_error' },
});

/** Constant-time comparison, so the sandbox does not teach timing attacks by example. */
function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
