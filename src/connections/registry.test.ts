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
const registryWith = (b: SecretBox) =>
  new ConnectionRegistry({ store, keys: { box: () => b }, clock: { now: () => T0 }, logger: silentLogger });

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
});
