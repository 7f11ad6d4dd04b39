import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../observability/logger.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { testConnection } from './probe.js';
import { ConnectionRegistry, type OpenConnection } from './registry.js';
import { generateSecretsKey, SecretBox } from './secret-box.js';
import type { ConnectionSpec } from './spec.js';

const T0 = 1_700_000_000_000;
const token = 'probe_bearer_token_never_shown';

let store: SqliteStore;
let registry: ConnectionRegistry;

beforeEach(async () => {
  store = SqliteStore.open({ path: ':memory:' });
  await store.migrate();
  const box = new SecretBox({ current: generateSecretsKey() });
  registry = new ConnectionRegistry({
    store,
    keys: { box: () => box },
    clock: { now: () => T0 },
    logger: silentLogger,
  });
});
afterEach(async () => {
  await registry.close();
  await store.close();
});

/** A local server answering every request with `status` (and `text`), recording what came in. */
async function serve(status: number, text = '') {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const put = (spec: ConnectionSpec) => registry.put({ spec, actor: 'admin', now: T0 });

describe('testConnection: the generic http connector (no read action)', () => {
  it.each([
    [200, 'ok'],
    [404, 'ok'],
    [405, 'ok'],
    [401, 'auth_failed'],
    [403, 'auth_failed'],
    [429, 'rate_limited'],
    [503, 'error'],
  ] as const)('an authenticated GET of the base URL answered %i is %s', async (status, verdict) => {
    const target = await serve(status);
    await put({
      name: 'my-api',
      connector: 'http',
      baseUrl: `${target.base}/v2`,
      auth: { kind: 'bearer', token },
    });
    const result = await testConnection({ registry, name: 'my-api' });
    expect(result).toMatchObject({ verdict, ok: verdict === 'ok', probe: `GET ${target.base}/v2` });
    expect(result.host).toBe(new URL(target.base).host);
    // One GET of the base URL, with the credentials; never a write.
    expect(target.seen.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
      ['GET', '/v2', `Bearer ${token}`],
    ]);
    if (verdict === 'ok') expect(result.message).toMatch(new RegExp(`answered HTTP ${status} in \\d+ ms`));
    expect(JSON.stringify(result)).not.toContain(token);
    await target.close();
  });

  it('says an http Connection without a base URL needs one, without calling anything', async () => {
    await put({ name: 'no-base', connector: 'http', auth: { kind: 'bearer', token } });
    expect(await testConnection({ registry, name: 'no-base' })).toMatchObject({
      verdict: 'error',
      code: 'invalid_input',
      message: expect.stringMatching(/has no baseUrl/),
    });
  });
});

describe('testConnection: PostgreSQL', () => {
  it('names the database host from the settings, and closes the pool it opened', async () => {
    await put({
      name: 'warehouse',
      connector: 'postgres',
      // Port 9 (discard) on loopback: refused at once, no database needed.
      settings: { host: '127.0.0.1', port: '9', database: 'app', sslmode: 'disable' },
      auth: { kind: 'basic', username: 'weft', password: 'pg_probe_password' },
    });
    const opened: OpenConnection[] = [];
    const connectOnce = registry.connectOnce.bind(registry);
    vi.spyOn(registry, 'connectOnce').mockImplementation(async (name, opts) => {
      const c = await connectOnce(name, opts);
      opened.push(c);
      return c;
    });
    const result = await testConnection({ registry, name: 'warehouse' });
    expect(result).toMatchObject({ verdict: 'unreachable', host: '127.0.0.1:9', probe: 'query' });
    expect(result.message).toContain('127.0.0.1:9');
    expect(result.message).not.toContain('localhost');
    expect(JSON.stringify(result)).not.toContain('pg_probe_password');
    const pool = opened[0]?.ctx.client;
    expect(pool instanceof pg.Pool && pool.ended).toBe(true);
  });
});

describe('testConnection: a Slack incoming webhook', () => {
  const hookPath = '/services/T0TEAM/B0HOOK/hookSecretPathSegment';

  it('checks the URL with an empty payload (nothing posted) and names only its host', async () => {
    const slack = await serve(400, 'no_text');
    const url = `${slack.base}${hookPath}`;
    const put1 = await put({ name: 'slack-alerts', connector: 'slack', auth: { kind: 'webhook-url', url } });
    // The API's view: which credential is set, never the URL.
    expect(put1.connection).toMatchObject({ auth: { kind: 'webhook-url', fields: ['url'] }, settings: {} });
    expect(JSON.stringify([put1, await registry.list(), await store.listAudit({ limit: 10 })])).not.toContain(
      'hookSecretPathSegment',
    );
    const result = await testConnection({ registry, name: 'slack-alerts' });
    expect(result).toMatchObject({
      verdict: 'ok',
      probe: 'incomingWebhook.check',
      host: new URL(slack.base).host,
    });
    expect(slack.seen.map((r) => [r.method, r.body])).toEqual([['POST', '{}']]);
    await slack.close();
  });

  it('reports a wrong or revoked webhook URL as auth failed, without the URL', async () => {
    const slack = await serve(403, 'invalid_token');
    await put({
      name: 'slack-old',
      connector: 'slack',
      auth: { kind: 'webhook-url', url: `${slack.base}${hookPath}` },
    });
    const result = await testConnection({ registry, name: 'slack-old' });
    expect(result).toMatchObject({ verdict: 'auth_failed', code: 'auth' });
    expect(JSON.stringify(result)).not.toContain('hookSecretPathSegment');
    await slack.close();
    // Nothing listens any more: unreachable, still naming the host only.
    const down = await testConnection({ registry, name: 'slack-old' });
    expect(down.verdict).toBe('unreachable');
    expect(JSON.stringify(down)).not.toContain('hookSecretPathSegment');
  });
});
