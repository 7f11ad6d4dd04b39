import { randomBytes } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import { hubspotError } from './errors.js';

export interface HubSpotOAuthApp {
  clientId: string;
  clientSecret: string;
  /** The refresh token the app was granted at install time. */
  refreshToken: string;
  /** Access-token lifetime in seconds (HubSpot: 1800). */
  expiresInSeconds?: number;
}

export const tokenPath = '/oauth/v1/token';

/**
 * Who may call: private-app tokens (`pat-…`, fixed) and OAuth access tokens this sandbox issued
 * from the app's refresh token at `POST /oauth/v1/token`, which expire as HubSpot's do.
 */
export class HubSpotAuth {
  readonly #issued = new Map<string, number>();

  constructor(
    private readonly privateAppTokens: readonly string[],
    private readonly app: HubSpotOAuthApp,
    private readonly now: () => number,
  ) {}

  /** The caller's account (the rate-limit scope), or HubSpot's 401. */
  authenticate(req: SandboxRequest): string | SandboxResponse {
    if (req.path === tokenPath) return 'oauth-token-endpoint';
    const header = req.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (token === undefined) {
      return hubspotError(
        401,
        'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
      );
    }
    if (this.privateAppTokens.includes(token)) return 'private-app';
    const expires = this.#issued.get(token);
    if (expires !== undefined && expires > this.now()) return `oauth-app:${this.app.clientId}`;
    if (expires !== undefined) {
      return hubspotError(
        401,
        'EXPIRED_AUTHENTICATION',
        'The OAuth token used to make this call expired. Refresh the access token and try again.',
      );
    }
    return hubspotError(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found or not valid.');
  }

  /** `POST /oauth/v1/token` with `grant_type=refresh_token` and the client credentials in the form. */
  token(req: SandboxRequest): SandboxResponse {
    if (req.method !== 'POST')
      return { status: 405, body: { status: 'error', message: 'method not allowed' } };
    const form = new URLSearchParams(req.body);
    const bad = (status: string, message: string): SandboxResponse => ({
      status: 400,
      body: { status, message, correlationId: randomBytes(16).toString('hex') },
    });
    if (form.get('grant_type') !== 'refresh_token')
      return bad('BAD_GRANT_TYPE', 'grant_type must be refresh_token');
    if (form.get('client_id') !== this.app.clientId || form.get('client_secret') !== this.app.clientSecret) {
      return bad('BAD_CLIENT_ID', 'missing or unknown client id or secret');
    }
    if (form.get('refresh_token') !== this.app.refreshToken) {
      return bad('BAD_REFRESH_TOKEN', 'missing or unknown refresh token');
    }
    const lifetime = this.app.expiresInSeconds ?? 1800;
    const accessToken = `sbx-oauth-${randomBytes(18).toString('base64url')}`;
    this.#issued.set(accessToken, this.now() + lifetime * 1000);
    return {
      status: 200,
      body: {
        token_type: 'bearer',
        refresh_token: this.app.refreshToken,
        access_token: accessToken,
        expires_in: lifetime,
      },
    };
  }
}
