import { WeftError } from '../contract/errors.js';
import { errorFromNetwork, errorFromResponse } from './http-errors.js';

/** How an OAuth 2 access token is obtained. */
export type OAuth2Grant =
  | { type: 'client_credentials'; scope?: string; audience?: string }
  | { type: 'refresh_token'; refreshToken: string };

export interface OAuth2TokenSourceOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  grant: OAuth2Grant;
  /** `basic` sends the client credentials in an Authorization header (RFC 6749 §2.3.1), `body` as form fields. */
  clientAuth?: 'basic' | 'body';
  /** A token already held (e.g. from the consent flow), used until it nears expiry. */
  initial?: { accessToken: string; expiresAt?: number };
  /** Refresh this long before expiry (default 60 s), so no request ever carries a token about to lapse. */
  refreshSkewMs?: number;
  /** Called when the server rotates the refresh token, so the Connection can persist the new one. */
  onRefreshTokenRotated?: (refreshToken: string) => void;
  fetch?: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
}

/** Lifetime assumed when a token response has no `expires_in`: short, so we refresh rather than fail. */
const defaultLifetimeMs = 5 * 60_000;

/**
 * Holds an OAuth 2 access token and renews it **before** it expires, never after a failure: a 401
 * from the target stays an `auth` error (the credentials are wrong), it does not trigger a refresh
 * storm. Concurrent callers share one in-flight refresh.
 *
 * @example
 * const source = new OAuth2TokenSource({ tokenUrl, clientId, clientSecret, grant: { type: 'client_credentials' } });
 * const token = await source.accessToken();
 */
export class OAuth2TokenSource {
  readonly #opts: OAuth2TokenSourceOptions;
  #token: { accessToken: string; expiresAt: number } | undefined;
  #refreshToken: string | undefined;
  #inflight: Promise<string> | undefined;

  constructor(opts: OAuth2TokenSourceOptions) {
    this.#opts = opts;
    if (opts.initial) {
      this.#token = {
        accessToken: opts.initial.accessToken,
        expiresAt: opts.initial.expiresAt ?? Number.POSITIVE_INFINITY,
      };
    }
    if (opts.grant.type === 'refresh_token') this.#refreshToken = opts.grant.refreshToken;
  }

  /** A token valid for at least `refreshSkewMs` more; fetches a new one when needed. */
  async accessToken(): Promise<string> {
    const now = (this.#opts.now ?? Date.now)();
    const skew = this.#opts.refreshSkewMs ?? 60_000;
    if (this.#token && now < this.#token.expiresAt - skew) return this.#token.accessToken;
    this.#inflight ??= this.#fetchToken().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetchToken(): Promise<string> {
    const o = this.#opts;
    const now = (o.now ?? Date.now)();
    const form = new URLSearchParams();
    if (o.grant.type === 'client_credentials') {
      form.set('grant_type', 'client_credentials');
      if (o.grant.scope) form.set('scope', o.grant.scope);
      if (o.grant.audience) form.set('audience', o.grant.audience);
    } else {
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', this.#refreshToken ?? o.grant.refreshToken);
    }
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if ((o.clientAuth ?? 'basic') === 'basic') {
      const basic = `${encodeURIComponent(o.clientId)}:${encodeURIComponent(o.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    } else {
      form.set('client_id', o.clientId);
      form.set('client_secret', o.clientSecret);
    }
    const target = o.tokenUrl;
    const timeoutMs = o.timeoutMs ?? 15_000;
    let response: Response;
    let text: string;
    try {
      response = await (o.fetch ?? fetch)(o.tokenUrl, {
        method: 'POST',
        headers,
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw errorFromNetwork({ err, method: 'POST', target, timeoutMs });
    }
    if (!response.ok) {
      // Token endpoints answer 400 invalid_grant for revoked credentials: that is an auth failure.
      const error = errorFromResponse({
        status: response.status,
        headers: response.headers,
        method: 'POST',
        target,
        bodyExcerpt: '',
        now,
      });
      if (error.code === 'invalid_input' || error.code === 'forbidden') {
        throw new WeftError({
          code: 'auth',
          message: `token endpoint refused the grant (HTTP ${response.status})`,
        });
      }
      throw error;
    }
    const body = parseTokenBody(text);
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in * 1000 : defaultLifetimeMs;
    this.#token = { accessToken: body.access_token, expiresAt: now + lifetime };
    if (typeof body.refresh_token === 'string' && body.refresh_token !== this.#refreshToken) {
      this.#refreshToken = body.refresh_token;
      o.onRefreshTokenRotated?.(body.refresh_token);
    }
    return body.access_token;
  }
}

interface TokenBody {
  access_token: string;
  expires_in?: number;
  refresh_token?: string;
}

function parseTokenBody(text: string): TokenBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const body = parsed as Partial<TokenBody> | undefined;
  if (typeof body?.access_token !== 'string') {
    throw new WeftError({ code: 'auth', message: 'token endpoint answered without an access_token' });
  }
  const expires = Number(body.expires_in);
  return {
    access_token: body.access_token,
    ...(Number.isFinite(expires) ? { expires_in: expires } : {}),
    ...(typeof body.refresh_token === 'string' ? { refresh_token: body.refresh_token } : {}),
  };
}
