import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { netsuiteTbaHeader } from './oauth1.js';
import { OAuth2TokenSource } from './oauth2.js';

/**
 * The credentials of a Connection, discriminated on `kind`. Values here are secrets: they are
 * resolved from the secret store when the Connection is opened and never logged or returned.
 */
export const AuthConfig = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('api-key'),
    /** Header carrying the key, e.g. `X-API-Key`. */
    header: z.string().min(1),
    key: z.string().min(1),
    prefix: z.string().optional(),
  }),
  z.object({ kind: z.literal('bearer'), token: z.string().min(1) }),
  z.object({ kind: z.literal('basic'), username: z.string(), password: z.string() }),
  z.object({
    kind: z.literal('oauth2-client-credentials'),
    tokenUrl: z.url(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    scope: z.string().optional(),
    audience: z.string().optional(),
    clientAuth: z.enum(['basic', 'body']).optional(),
  }),
  z.object({
    kind: z.literal('oauth2-refresh-token'),
    tokenUrl: z.url(),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    refreshToken: z.string().min(1),
    accessToken: z.string().optional(),
    /** Epoch ms at which `accessToken` expires. */
    expiresAt: z.number().optional(),
    clientAuth: z.enum(['basic', 'body']).optional(),
  }),
  z.object({
    kind: z.literal('netsuite-tba'),
    accountId: z.string().min(1),
    consumerKey: z.string().min(1),
    consumerSecret: z.string().min(1),
    tokenId: z.string().min(1),
    tokenSecret: z.string().min(1),
  }),
  /**
   * A credential that is a URL (a Slack incoming webhook: whoever has it may post). It adds no
   * header: the one action that needs it reads it from the Authenticator, so it stays sealed with
   * the other secrets instead of sitting in the Connection's clear `settings`.
   */
  z.object({ kind: z.literal('webhook-url'), url: z.url({ protocol: /^https?$/ }) }),
]);
export type AuthConfig = z.infer<typeof AuthConfig>;
export type AuthKind = AuthConfig['kind'];

/** Produces the auth headers of one outbound request. Holds secrets; never serialise it. */
export interface Authenticator {
  readonly kind: AuthKind;
  headersFor(request: { method: string; url: URL }): Promise<Record<string, string>>;
  /**
   * For `webhook-url` only: the URL that is the credential. Actions read it through `ctx.auth`
   * and must keep it out of messages, logs and details (name its host, never its path).
   */
  credentialUrl?(): URL;
}

export interface AuthDeps {
  fetch?: typeof fetch;
  now?: () => number;
  /** OAuth 1.0a nonce source; injectable for reproducible signatures in tests. */
  nonce?: () => string;
  onRefreshTokenRotated?: (refreshToken: string) => void;
}

type Factories = {
  [K in AuthKind]: (config: Extract<AuthConfig, { kind: K }>, deps: AuthDeps) => Authenticator;
};

/** One factory per kind: adding a kind to AuthConfig fails to build until it is handled here. */
const factories: Factories = {
  'api-key': (c) => fixed('api-key', { [c.header.toLowerCase()]: `${c.prefix ?? ''}${c.key}` }),
  bearer: (c) => fixed('bearer', { authorization: `Bearer ${c.token}` }),
  basic: (c) =>
    fixed('basic', {
      authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`,
    }),
  'oauth2-client-credentials': (c, deps) =>
    oauth2('oauth2-client-credentials', {
      tokenUrl: c.tokenUrl,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      clientAuth: c.clientAuth ?? 'basic',
      grant: {
        type: 'client_credentials',
        ...(c.scope ? { scope: c.scope } : {}),
        ...(c.audience ? { audience: c.audience } : {}),
      },
      ...oauthDeps(deps),
    }),
  'oauth2-refresh-token': (c, deps) =>
    oauth2('oauth2-refresh-token', {
      tokenUrl: c.tokenUrl,
      clientId: c.clientId,
      clientSecret: c.clientSecret,
      clientAuth: c.clientAuth ?? 'basic',
      grant: { type: 'refresh_token', refreshToken: c.refreshToken },
      ...(c.accessToken ? { initial: { accessToken: c.accessToken, expiresAt: c.expiresAt ?? 0 } } : {}),
      ...oauthDeps(deps),
    }),
  'netsuite-tba': (c, deps) => ({
    kind: 'netsuite-tba',
    headersFor: async ({ method, url }) => ({
      authorization: netsuiteTbaHeader({
        credentials: c,
        method,
        url,
        timestamp: Math.floor((deps.now ?? Date.now)() / 1000),
        nonce: (deps.nonce ?? randomNonce)(),
      }),
    }),
  }),
  'webhook-url': (c) => {
    const url = new URL(c.url);
    return { kind: 'webhook-url', headersFor: async () => ({}), credentialUrl: () => new URL(url) };
  },
};

/**
 * Builds the Authenticator for a Connection's credentials.
 *
 * @example
 * const auth = createAuthenticator({ kind: 'bearer', token: secret });
 * const headers = await auth.headersFor({ method: 'GET', url: new URL('https://api.example.com/x') });
 */
export function createAuthenticator(config: AuthConfig, deps: AuthDeps = {}): Authenticator {
  const factory = factories[config.kind] as (c: AuthConfig, d: AuthDeps) => Authenticator;
  return factory(config, deps);
}

function fixed(kind: AuthKind, headers: Record<string, string>): Authenticator {
  return { kind, headersFor: async () => ({ ...headers }) };
}

function oauth2(kind: AuthKind, opts: ConstructorParameters<typeof OAuth2TokenSource>[0]): Authenticator {
  const source = new OAuth2TokenSource(opts);
  return { kind, headersFor: async () => ({ authorization: `Bearer ${await source.accessToken()}` }) };
}

function oauthDeps(deps: AuthDeps) {
  return {
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.onRefreshTokenRotated ? { onRefreshTokenRotated: deps.onRefreshTokenRotated } : {}),
  };
}

function randomNonce(): string {
  // randomUUID draws from Node's entropy cache; randomBytes(16) asked the OS on every request,
  // which showed in the bulk-sync profile. 122 random bits are plenty for a nonce.
  return randomUUID().replaceAll('-', '');
}
