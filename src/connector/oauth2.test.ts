import { describe, expect, it } from 'vitest';
import { WeftError } from '../contract/errors.js';
import { OAuth2TokenSource } from './oauth2.js';

function tokenServer(responses: { status: number; body: unknown }[]) {
  const calls: URLSearchParams[] = [];
  const fetchFn = (async (_url: string | URL | Request, init?: RequestInit) => {
    calls.push(new URLSearchParams(String(init?.body)));
    const next = responses.shift() ?? { status: 500, body: {} };
    return new Response(JSON.stringify(next.body), {
      status: next.status,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  return { calls, fetchFn };
}

describe('OAuth2TokenSource', () => {
  it('reuses a token until it nears expiry, then refreshes before it lapses', async () => {
    let now = 1_000_000;
    const server = tokenServer([
      { status: 200, body: { access_token: 'a1', expires_in: 3600 } },
      { status: 200, body: { access_token: 'a2', expires_in: 3600 } },
    ]);
    const source = new OAuth2TokenSource({
      tokenUrl: 'https://auth.example.com/token',
      clientId: 'id',
      clientSecret: 'secret',
      grant: { type: 'client_credentials', scope: 'crm' },
      fetch: server.fetchFn,
      now: () => now,
    });
    expect(await source.accessToken()).toBe('a1');
    now += 3_000_000; // 50 min: still more than the 60 s skew left
    expect(await source.accessToken()).toBe('a1');
    now += 560_000; // 59 min 20 s: inside the skew, so refreshed although not yet expired
    expect(await source.accessToken()).toBe('a2');
    expect(server.calls.map((c) => c.get('grant_type'))).toEqual([
      'client_credentials',
      'client_credentials',
    ]);
    expect(server.calls[0]?.get('scope')).toBe('crm');
  });

  it('shares one refresh between concurrent callers and keeps a rotated refresh token', async () => {
    const server = tokenServer([
      { status: 200, body: { access_token: 'a1', expires_in: 60, refresh_token: 'r2' } },
    ]);
    const rotated: string[] = [];
    const source = new OAuth2TokenSource({
      tokenUrl: 'https://auth.example.com/token',
      clientId: 'id',
      clientSecret: 'secret',
      grant: { type: 'refresh_token', refreshToken: 'r1' },
      onRefreshTokenRotated: (t) => rotated.push(t),
      fetch: server.fetchFn,
    });
    const tokens = await Promise.all([source.accessToken(), source.accessToken(), source.accessToken()]);
    expect(tokens).toEqual(['a1', 'a1', 'a1']);
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]?.get('refresh_token')).toBe('r1');
    expect(rotated).toEqual(['r2']);
  });

  it('turns a refused grant into a non-retryable auth error without the secret', async () => {
    const server = tokenServer([{ status: 400, body: { error: 'invalid_grant' } }]);
    const source = new OAuth2TokenSource({
      tokenUrl: 'https://auth.example.com/token',
      clientId: 'id',
      clientSecret: 'top-secret',
      grant: { type: 'refresh_token', refreshToken: 'revoked' },
      fetch: server.fetchFn,
    });
    const err = await source.accessToken().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftError);
    expect((err as WeftError).code).toBe('auth');
    expect((err as WeftError).retryable).toBe(false);
    expect(JSON.stringify((err as WeftError).toJSON())).not.toContain('top-secret');
  });
});
