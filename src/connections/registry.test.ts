import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WeftError } from '../contract/errors.js';
import { silentLogger } from '../observability/logger.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { ConnectionRegistry } from './registry.js';
import { generateSecretsKey, SecretBox } from './secret-box.js';
import type { ConnectionSpec } from './spec.js';

const token = 'sk_test_registry_secret_0123456789';
const hookSecret = 'whsec_registry_hook_secret_abc';
const T0 = 1_700_000_000_000;

const spec: ConnectionSpec = {
  name: 'stripe-main',
  connector: 'stripe',
  baseUrl: 'http://127.0.0.1:9',
  auth: { kind: 'bearer', token },
  limits: { requestsPerSecond: 5 },
  webhookSecrets: [hookSecret],
};

let store: SqliteStore;
let box: SecretBox;
const registryWith = (b: SecretBox, retireAfterMs?: number) =>
  new ConnectionRegistry({
    store,
    keys: { box: () => b },
    clock: { now: () => T0 },
    logger: silentLogger,
    ...(retireAfterMs === undefined ? {} : { retireAfterMs }),
  });

/** A PostgreSQL Connection; its pool connects lazily, so nothing here needs a database. */
const pgSpec: ConnectionSpec = {
  name: 'warehouse',
  connector: 'postgres',
  settings: { host: '127.0.0.1', port: '9', database: 'app', sslmode: 'disable' },
  auth: { kind: 'basic', username: 'weft', password: 'pg_registry_password' },
};
const poolOf = (opened: { connected: { ctx: { client?: unknown } } }): pg.Pool => {
  const pool = opened.connected.ctx.client;
  if (!(pool instanceof pg.Pool)) throw new Error('a postgres Connection opens a pool');
  return pool;
};
/** Lets the retire timer (0 ms in these tests) and the pool's end run. */
const settle = () => new Promise((r) => setTimeout(r, 20));

beforeEach(async () => {
  store = SqliteStore.open({ path: ':memory:' });
  await store.migrate();
  box = new SecretBox({ current: generateSecretsKey() });
});
afterEach(async () => {
  await store.close();
});

describe('ConnectionRegistry', () => {
  it('stores ciphertext only, and resolves the decrypted Connection', async () => {
    const registry = registryWith(box);
    const put = await registry.put({ spec, actor: 'admin', now: T0 });
    expect(put).toMatchObject({ created: true, changed: true });
    expect(put.connection).toEqual({
      name: 'stripe-main',
      connector: 'stripe',
      baseUrl: 'http://127.0.0.1:9',
      settings: {},
      limits: { requestsPerSecond: 5 },
      auth: { kind: 'bearer', fields: ['token'] },
      webhookSecrets: 1,
      createdAt: T0,
      updatedAt: T0,
    });
    const stored = JSON.stringify([await store.listConnections(), await store.listAudit({ limit: 10 })]);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(hookSecret);

    const resolved = await registry.resolve('stripe-main');
    expect(resolved.connection).toEqual({
      id: 'stripe-main',
      connector: 'stripe',
      baseUrl: 'http://127.0.0.1:9',
      auth: { kind: 'bearer', token },
      limits: { requestsPerSecond: 5 },
    });
    expect(resolved.entry.connector.name).toBe('stripe');
    expect(resolved.webhookSecrets).toEqual([hookSecret]);
  });

  it('writes nothing for an unchanged spec, and replaces a changed one', async () => {
    const registry = registryWith(box);
    await registry.put({ spec, actor: 'admin', now: T0 });
    const again = await registry.put({ spec: { ...spec, settings: {} }, actor: 'admin', now: T0 + 1 });
    expect(again).toMatchObject({ created: false, changed: false });
    expect(await store.listAudit({ limit: 10 })).toHaveLength(1);
    const changed = await registry.put({
      spec: { ...spec, auth: { kind: 'bearer', token: `${token}-2` } },
      actor: 'admin',
      now: T0 + 2,
    });
    expect(changed).toMatchObject({ created: false, changed: true });
    expect(changed.connection).toMatchObject({ createdAt: T0, updatedAt: T0 + 2 });
    expect((await registry.resolve('stripe-main')).connection.auth).toEqual({
      kind: 'bearer',
      token: `${token}-2`,
    });
    const audit = await store.listAudit({ limit: 10 });
    expect(audit.map((e) => [e.action, e.actor, e.target])).toEqual([
      ['connection.put', 'admin', 'stripe-main'],
      ['connection.put', 'admin', 'stripe-main'],
    ]);
    expect(audit[0]?.data).toMatchObject({ authKind: 'bearer', authFields: ['token'], webhookSecrets: 1 });
  });

  it('refuses a connector that is not in the catalog, or an auth kind it does not take', async () => {
    const registry = registryWith(box);
    await expect(registry.put({ spec: { ...spec, connector: 'nope' }, actor: 'a', now: T0 })).rejects.toThrow(
      /unknown connector 'nope'/,
    );
    await expect(
      registry.put({
        spec: { ...spec, auth: { kind: 'api-key', header: 'x-key', key: 'k' } },
        actor: 'a',
        now: T0,
      }),
    ).rejects.toThrow(/does not accept auth kind 'api-key'/);
  });

  it('names an unknown Connection', async () => {
    await expect(registryWith(box).resolve('missing')).rejects.toMatchObject({
      code: 'not_found',
      message: "no connection named 'missing'",
    });
  });

  it('reports a wrong key naming the Connection and both keys, never the secret', async () => {
    await registryWith(box).put({ spec, actor: 'admin', now: T0 });
    const other = new SecretBox({ current: generateSecretsKey() });
    const err = await registryWith(other)
      .resolve('stripe-main')
      .then(
        () => new WeftError({ code: 'internal', message: 'resolved with the wrong key' }),
        (e: unknown) => e as WeftError,
      );
    expect(err.details).toMatchObject({ connection: 'stripe-main', reason: 'unknown_key' });
    expect(err.message).toContain("connection 'stripe-main'");
    expect(err.message).toContain(box.keyId);
    expect(err.message).toContain(other.keyId);
    expect(JSON.stringify(err.toJSON())).not.toContain(token);
    // And a process with the wrong key does not overwrite what the others can read.
    await expect(registryWith(other).put({ spec, actor: 'admin', now: T0 + 1 })).rejects.toMatchObject({
      code: 'conflict',
    });
  });

  it('re-seals with the current key when a rotated key stored it', async () => {
    const old = generateSecretsKey();
    await registryWith(new SecretBox({ current: old })).put({ spec, actor: 'admin', now: T0 });
    const rotated = new SecretBox({ current: generateSecretsKey(), previous: [old] });
    const registry = registryWith(rotated);
    expect((await registry.resolve('stripe-main')).connection.auth).toEqual(spec.auth);
    expect(await registry.put({ spec, actor: 'system:startup', now: T0 + 1 })).toMatchObject({
      changed: true,
    });
    expect(SecretBox.keyIdOf((await store.getConnection('stripe-main'))?.secret ?? '')).toBe(rotated.keyId);
  });

  it('keeps one opened connector per Connection, rebuilt after a change, dropped after a delete', async () => {
    const registry = registryWith(box);
    const stop = registry.follow();
    await registry.put({ spec, actor: 'admin', now: T0 });
    const first = await registry.open('stripe-main');
    expect(first).toMatchObject({ limits: { requestsPerSecond: 5 }, webhookSecrets: [hookSecret] });
    expect(first.connected.ctx.connection).toMatchObject({
      id: 'stripe-main',
      baseUrl: 'http://127.0.0.1:9',
    });
    expect(await registry.open('stripe-main')).toBe(first);

    // Another writer (another process, say) changes it: the topic drops the cache.
    await registryWith(box).put({
      spec: { ...spec, baseUrl: 'http://127.0.0.1:10' },
      actor: 'admin',
      now: T0 + 1,
    });
    const second = await registry.open('stripe-main');
    expect(second).not.toBe(first);
    expect(second.connected.ctx.connection.baseUrl).toBe('http://127.0.0.1:10');
    expect(await registry.open('stripe-main')).toBe(second);

    await registry.delete({ name: 'stripe-main', actor: 'admin', now: T0 + 2 });
    await expect(registry.open('stripe-main')).rejects.toMatchObject({ code: 'not_found' });
    stop();
  });

  it('replaces a Connection whose stored ciphertext was altered', async () => {
    const registry = registryWith(box);
    await registry.put({ spec, actor: 'admin', now: T0 });
    const stored = await store.getConnection('stripe-main');
    if (stored === null) throw new Error('not stored');
    const parts = stored.secret.split(':');
    const ciphertext = parts[4] ?? '';
    parts[4] = `${ciphertext.startsWith('A') ? 'B' : 'A'}${ciphertext.slice(1)}`;
    await store.putConnection({
      record: { ...stored, secret: parts.join(':') },
      audit: { actor: 'mallory', action: 'tamper', target: 'stripe-main', at: T0 + 1 },
    });
    await expect(registry.resolve('stripe-main')).rejects.toThrow(/fails authentication/);
    expect(await registry.put({ spec, actor: 'admin', now: T0 + 2 })).toMatchObject({ changed: true });
    expect((await registry.resolve('stripe-main')).connection.auth).toEqual(spec.auth);
  });

  it('closes the pool of a replaced or deleted PostgreSQL Connection, and every pool at close()', async () => {
    const registry = registryWith(box, 0);
    await registry.put({ spec: pgSpec, actor: 'admin', now: T0 });
    const first = poolOf(await registry.open('warehouse'));
    await registry.put({
      spec: { ...pgSpec, settings: { ...pgSpec.settings, poolSize: '2' } },
      actor: 'admin',
      now: T0 + 1,
    });
    await settle();
    expect(first.ended).toBe(true);
    const second = poolOf(await registry.open('warehouse'));
    expect(second).not.toBe(first);
    expect(second.ended).toBe(false);

    await registry.delete({ name: 'warehouse', actor: 'admin', now: T0 + 2 });
    await settle();
    expect(second.ended).toBe(true);

    await registry.put({ spec: pgSpec, actor: 'admin', now: T0 + 3 });
    const third = poolOf(await registry.open('warehouse'));
    await registry.close();
    expect(third.ended).toBe(true);
    await expect(registry.open('warehouse')).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('closes a pool replaced by another process once the change is heard, after the grace period', async () => {
    const registry = registryWith(box, 0);
    const stop = registry.follow();
    await registry.put({ spec: pgSpec, actor: 'admin', now: T0 });
    const pool = poolOf(await registry.open('warehouse'));
    // Another writer deletes it: this process never opens it again, yet its pool must not linger.
    await registryWith(box).delete({ name: 'warehouse', actor: 'admin', now: T0 + 1 });
    await settle();
    expect(pool.ended).toBe(true);
    stop();
  });

  it('keeps a replaced connector open during the grace period, for users that hold it', async () => {
    const registry = registryWith(box, 60_000);
    await registry.put({ spec: pgSpec, actor: 'admin', now: T0 });
    const pool = poolOf(await registry.open('warehouse'));
    await registry.put({ spec: { ...pgSpec, baseUrl: 'http://127.0.0.1:10' }, actor: 'admin', now: T0 + 1 });
    await settle();
    expect(pool.ended).toBe(false);
    await registry.close();
    expect(pool.ended).toBe(true);
  });

  it('opens an http Connection whose request goes below its base URL, with its credentials', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization} ${req.headers['idempotency-key']}`);
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"o1"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const registry = registryWith(box);
    await registry.put({
      spec: { name: 'my-api', connector: 'http', baseUrl: `${base}/v2`, auth: { kind: 'bearer', token } },
      actor: 'admin',
      now: T0,
    });
    const { connected } = await registry.open('my-api');
    const out = await connected.run(
      'request',
      { method: 'POST', url: '/orders', body: { sku: 'A1' } },
      {
        idempotencyKey: 'run1:create_order',
      },
    );
    expect(out).toEqual({ status: 201, headers: { 'content-type': 'application/json' }, body: { id: 'o1' } });
    expect(seen).toEqual([`POST /v2/orders Bearer ${token} run1:create_order`]);
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe('rotated refresh tokens', () => {
  it('are sealed into the stored Connection, without rebuilding the opened connector, and survive re-applying the same file', async () => {
    // One server plays the OAuth token endpoint (which rotates) and the API.
    let issued = 0;
    const server = createServer((req, res) => {
      if (req.url === '/oauth/token') {
        issued += 1;
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ access_token: `at-${issued}`, expires_in: 3600, refresh_token: `rt-${issued}` }),
          );
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const registry = registryWith(box);
      await registry.put({
        spec: {
          name: 'api',
          connector: 'http',
          baseUrl: base,
          auth: {
            kind: 'oauth2-refresh-token',
            tokenUrl: `${base}/oauth/token`,
            clientId: 'client',
            clientSecret: 'client-secret',
            refreshToken: 'rt-0',
          },
        },
        actor: 'test',
        now: T0,
      });
      const first = await registry.open('api');
      await first.connected.run('request', { method: 'GET', url: '/things' });
      await settle();
      const resolved = await registry.resolve('api');
      expect(resolved.connection.auth).toMatchObject({ refreshToken: 'rt-1' });
      expect(await registry.open('api')).toBe(first);
      const audit = await store.listAudit({ limit: 10 });
      expect(audit.map((a) => a.action)).toContain('connection.refresh-token-rotated');
      expect(JSON.stringify(audit)).not.toContain('rt-1');

      // The same file applied again at the next start keeps the rotated token…
      const declared = {
        name: 'api',
        connector: 'http',
        baseUrl: base,
        auth: {
          kind: 'oauth2-refresh-token' as const,
          tokenUrl: `${base}/oauth/token`,
          clientId: 'client',
          clientSecret: 'client-secret',
          refreshToken: 'rt-0',
        },
      };
      expect((await registry.put({ spec: declared, actor: 'startup', now: T0 + 1 })).changed).toBe(false);
      expect((await registry.resolve('api')).connection.auth).toMatchObject({ refreshToken: 'rt-1' });
      // …while a newly declared token replaces it.
      const renewed = { ...declared, auth: { ...declared.auth, refreshToken: 'rt-new' } };
      expect((await registry.put({ spec: renewed, actor: 'admin', now: T0 + 2 })).changed).toBe(true);
      expect((await registry.resolve('api')).connection.auth).toMatchObject({ refreshToken: 'rt-new' });
      await registry.close();
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
