import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../common/server.js';

/** An OAuth 2.0 integration record: the client and the refresh token a user's consent produced. */
export interface OAuth2Client {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/** NetSuite access tokens last 60 minutes. */
const accessTokenLifetimeMs = 60 * 60_000;

/**
 * The OAuth 2.0 side of the sandbox: the token endpoint
 * (`POST /services/rest/auth/oauth2/v1/token`, `grant_type=refresh_token`, client authenticated
 * with HTTP Basic or form fields) and the check of `Authorization: Bearer` on API calls. The
 * consent (authorization-code) step and the certificate-signed client-credentials (M2M) grant are
 * not modelled: the sandbox starts with a refresh token already issued.
 */
export class OAuth2Tokens {
  readonly #tokens = new Map<string, number>();

  constructor(
    private readonly clients: () => readonly OAuth2Client[],
    private readonly now: () => number,
  ) {}

  /** True when `authorization` carries an access token this sandbox issued and that has not expired. */
  accepts(authorization: string | undefined): boolean {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) return false;
    const expires = this.#tokens.get(token);
    return expires !== undefined && expires > this.now();
  }

  /** Issues a token for a test without the token endpoint (e.g. a `bearer` Connection). */
  issue(): { accessToken: string; expiresAt: number } {
    const accessToken = randomBytes(24).toString('base64url');
    const expiresAt = this.now() + accessTokenLifetimeMs;
    this.#tokens.set(accessToken, expiresAt);
    return { accessToken, expiresAt };
  }

  tokenEndpoint(req: SandboxRequest): SandboxResponse {
    if (req.method !== 'POST') return oauthError(405, 'invalid_request');
    const form = new URLSearchParams(req.body);
    let clientId = form.get('client_id') ?? '';
    let clientSecret = form.get('client_secret') ?? '';
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic !== undefined) {
      const [id = '', secret = ''] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id);
      clientSecret = decodeURIComponent(secret);
    }
    const client = this.clients().find((c) => c.clientId === clientId && same(c.clientSecret, clientSecret));
    if (client === undefined) return oauthError(401, 'invalid_client');
    if (form.get('grant_type') !== 'refresh_token') return oauthError(400, 'unsupported_grant_type');
    if (!same(client.refreshToken, form.get('refresh_token') ?? '')) return oauthError(400, 'invalid_grant');
    const { accessToken } = this.issue();
    return {
      status: 200,
      headers: { 'cache-control': 'no-store' },
      body: {
        access_token: accessToken,
        expires_in: String(accessTokenLifetimeMs / 1000),
        token_type: 'bearer',
      },
    };
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function oauthError(status: number, error: string): SandboxResponse {
  return { status, body: { error } };
}
