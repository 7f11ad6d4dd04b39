import { afterEach, describe, expect, test, vi } from 'vitest';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { createApi } from './app.js';
import { ensureBootstrapToken, generateToken, hashToken, requiredRole } from './auth.js';
import { bodyOf, createHarness, type Harness } from './test-kit.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('bearer auth', () => {
  test('401 without a token, in the error shape, with WWW-Authenticate', async () => {
    h = await createHarness();
    const res = await h.call('/api/flows', { as: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await bodyOf(res)).toEqual({ error: { code: 'unauthorized', message: 'missing bearer token' } });
  });

  test('401 for an unknown token', async () => {
    h = await createHarness();
    const res = await h.call('/api/flows', {
      as: null,
      headers: { authorization: `Bearer ${generateToken()}` },
    });
    expect(res.status).toBe(401);
    expect((await bodyOf(res)).error).toMatchObject({ code: 'unauthorized' });
  });

  test('viewers may read but not mutate', async () => {
    h = await createHarness();
    expect((await h.call('/api/flows', { as: 'viewer' })).status).toBe(200);
    const res = await h.call('/api/events', { as: 'viewer', body: { flow: 'manual-flow', payload: {} } });
    expect(res.status).toBe(403);
    expect((await bodyOf(res)).error).toMatchObject({ code: 'forbidden' });
    // Validation changes nothing, so a viewer may use it.
    const validate = await h.call('/api/flows/validate', { as: 'viewer', body: { source: 'name: x' } });
    expect(validate.status).not.toBe(403);
  });

  test('only admins create tokens', async () => {
    h = await createHarness();
    const res = await h.call('/api/tokens', { as: 'operator', body: { name: 'ci', role: 'viewer' } });
    expect(res.status).toBe(403);
    const ok = await h.call('/api/tokens', { as: 'admin', body: { name: 'ci', role: 'viewer' } });
    expect(ok.status).toBe(201);
  });

  test('a created token works at once, and only its hash is stored', async () => {
    h = await createHarness();
    const res = await h.call('/api/tokens', { body: { name: 'deployer', role: 'operator' } });
    const created = await bodyOf(res);
    const token = created.token as string;
    expect(token).toMatch(/^weft_[A-Za-z0-9_-]{43}$/);
    const stored = await h.store.findTokenByHash(hashToken(token));
    expect(stored).toMatchObject({ name: 'deployer', role: 'operator' });
    expect(stored?.tokenHash).not.toBe(token);
    expect(JSON.stringify(stored)).not.toContain(token);
    // Nor does the audit log carry it.
    expect(JSON.stringify(await h.store.listAudit({ limit: 100 }))).not.toContain(token);
    const me = await h.call('/api/runs', { as: null, headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
  });

  test('valid tokens are cached briefly instead of read per request', async () => {
    h = await createHarness();
    const spy = vi.spyOn(h.store, 'findTokenByHash');
    await h.call('/api/runs');
    await h.call('/api/runs');
    await h.call('/api/runs');
    expect(spy).toHaveBeenCalledTimes(1);
    h.clock.advance(6_000);
    await h.call('/api/runs');
    expect(spy).toHaveBeenCalledTimes(2);
  });

  test('openapi.json and /health need no token', async () => {
    h = await createHarness();
    expect((await h.app.request('/api/openapi.json')).status).toBe(200);
    expect(await bodyOf(await h.app.request('/health'))).toEqual({ status: 'ok' });
  });

  test('/health/ready says whether the database answers', async () => {
    h = await createHarness();
    const ok = await h.app.request('/health/ready');
    expect([ok.status, await bodyOf(ok)]).toEqual([200, { status: 'ready' }]);
    await h.store.close();
    const down = await h.app.request('/health/ready');
    expect([down.status, await bodyOf(down)]).toEqual([503, { status: 'unavailable' }]);
    // Liveness does not depend on the database: a load balancer drains, nothing restarts.
    expect((await h.app.request('/health')).status).toBe(200);
  });
});

describe('requiredRole', () => {
  test.each([
    ['GET', '/api/runs', 'viewer'],
    ['GET', '/api/audit', 'viewer'],
    ['POST', '/api/flows/validate', 'viewer'],
    ['POST', '/api/flows', 'operator'],
    ['POST', '/api/events', 'operator'],
    ['POST', '/api/exceptions/x/retry', 'operator'],
    ['POST', '/api/tokens', 'admin'],
    ['GET', '/api/tokens', 'admin'],
  ] as const)('%s %s needs %s', (method, path, role) => {
    expect(requiredRole(method, path)).toBe(role);
  });
});

describe('ensureBootstrapToken', () => {
  const clock = { now: () => 1_000 };

  test('generates one admin token on an empty store, once', async () => {
    const store = SqliteStore.open({ path: ':memory:' });
    await store.migrate();
    const first = await ensureBootstrapToken({ store, clock });
    expect(first.created).toBe(true);
    expect(first.token).toMatch(/^weft_/);
    expect(await store.findTokenByHash(hashToken(first.token as string))).toMatchObject({
      name: 'bootstrap-admin',
      role: 'admin',
    });
    expect(await ensureBootstrapToken({ store, clock })).toEqual({ created: false });
    expect(await store.countTokens()).toBe(1);
    await store.close();
  });

  test('WEFT_ADMIN_TOKEN is stored by hash and never returned', async () => {
    const store = SqliteStore.open({ path: ':memory:' });
    await store.migrate();
    const adminToken = 'operator-chosen-secret-123';
    expect(await ensureBootstrapToken({ store, clock, adminToken })).toEqual({ created: true });
    expect(await ensureBootstrapToken({ store, clock, adminToken })).toEqual({ created: false });
    const stored = await store.findTokenByHash(hashToken(adminToken));
    expect(stored?.role).toBe('admin');
    expect(await store.countTokens()).toBe(1);
    await store.close();
  });

  test('a changed WEFT_ADMIN_TOKEN revokes the old bootstrap token; the old value stays revoked', async () => {
    const store = SqliteStore.open({ path: ':memory:' });
    await store.migrate();
    expect(await ensureBootstrapToken({ store, clock, adminToken: 'first-secret-value-1' })).toEqual({
      created: true,
    });
    expect(await ensureBootstrapToken({ store, clock, adminToken: 'second-secret-value-2' })).toEqual({
      created: true,
    });
    expect((await store.findTokenByHash(hashToken('first-secret-value-1')))?.revokedAt).toBe(1_000);
    expect(await store.findTokenByHash(hashToken('second-secret-value-2'))).toMatchObject({
      name: 'bootstrap-admin',
      revokedAt: null,
    });
    // A process still configured with the old value does not bring it back.
    expect(await ensureBootstrapToken({ store, clock, adminToken: 'first-secret-value-1' })).toEqual({
      created: false,
    });
    expect((await store.listAudit({ limit: 10 })).map((e) => e.action)).toEqual([
      'token.create',
      'token.revoke',
      'token.create',
    ]);
    await store.close();
  });

  test('processes booting at once with a new WEFT_ADMIN_TOKEN all succeed; one token results', async () => {
    const store = SqliteStore.open({ path: ':memory:' });
    await store.migrate();
    await ensureBootstrapToken({ store, clock, adminToken: 'old-secret-value-0' });
    const adminToken = 'new-secret-value-99';
    const results = await Promise.all(
      Array.from({ length: 4 }, () => ensureBootstrapToken({ store, clock, adminToken })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const live = (await store.listTokens()).filter((t) => t.revokedAt === null);
    expect(live).toHaveLength(1);
    expect(live[0]?.tokenHash).toBe(hashToken(adminToken));
    await store.close();
  });
});

describe('revocation across API instances', () => {
  test('a token revoked through one API stops at once in another that had it cached', async () => {
    h = await createHarness();
    // A second API on the same store: another `serve` process, as far as its auth cache goes.
    const other = createApi(h.deps);
    const asViewer = () =>
      other.request('/api/runs', { headers: { authorization: `Bearer ${h?.tokens.viewer}` } });
    expect((await asViewer()).status).toBe(200); // now cached there
    const tokens = (await bodyOf(await h.call('/api/tokens'))) as { tokens: { id: string; name: string }[] };
    const viewer = tokens.tokens.find((t) => t.name === 'viewer-token');
    expect((await h.call(`/api/tokens/${viewer?.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await asViewer()).status).toBe(401);
  });
});
