import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { type StripeSandbox, startStripeSandbox } from '../../sandbox/stripe/server.js';
import { bodyOf, createHarness, type Harness } from './test-kit.js';

const wrongKey = 'sk_test_wrong_key_never_shown_42';
const hookSecrets = ['whsec_current_secret_value', 'whsec_previous_secret_value'];

let h: Harness;
let sandbox: StripeSandbox;
let closed: string;
/** Every secret value these tests store: none may appear in any reply or audit entry. */
let secretValues: string[];

/** A local URL nothing listens on: a port the OS handed out and that was closed again. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  sandbox = await startStripeSandbox({ port: 0 });
  closed = await closedPortUrl();
  h = await createHarness();
  secretValues = [sandbox.apiKey, wrongKey, ...hookSecrets];
  return async () => {
    await h.close();
    await sandbox.close();
  };
});

const stripeBody = (token: string, baseUrl = sandbox.url) => ({
  connector: 'stripe',
  baseUrl,
  auth: { kind: 'bearer', token },
  limits: { requestsPerSecond: 20 },
  webhookSecrets: hookSecrets,
});

function expectNoSecrets(text: string): void {
  for (const s of secretValues) expect(text).not.toContain(s);
}

describe('/api/connections', () => {
  it('creates, replaces, reads and lists Connections without ever returning a secret', async () => {
    const created = await h.call('/api/connections/stripe-main', {
      method: 'PUT',
      body: stripeBody(sandbox.apiKey),
    });
    expect(created.status).toBe(201);
    const createdText = await created.text();
    expectNoSecrets(createdText);
    expect(JSON.parse(createdText)).toMatchObject({
      created: true,
      changed: true,
      connection: { name: 'stripe-main', auth: { kind: 'bearer', fields: ['token'] }, webhookSecrets: 2 },
    });

    const same = await h.call('/api/connections/stripe-main', {
      method: 'PUT',
      body: stripeBody(sandbox.apiKey),
    });
    expect(same.status).toBe(200);
    expect(await bodyOf(same)).toMatchObject({ created: false, changed: false });

    const get = await h.call('/api/connections/stripe-main', { as: 'viewer' });
    expect(get.status).toBe(200);
    const getText = await get.text();
    expectNoSecrets(getText);
    expect(JSON.parse(getText)).toMatchObject({
      connector: 'stripe',
      baseUrl: sandbox.url,
      limits: { requestsPerSecond: 20 },
    });

    const list = await h.call('/api/connections', { as: 'viewer' });
    const listText = await list.text();
    expectNoSecrets(listText);
    expect(
      (JSON.parse(listText) as { connections: { name: string }[] }).connections.map((c) => c.name),
    ).toEqual(['stripe-main']);

    const audit = await (await h.call('/api/audit')).text();
    expect(audit).toContain('connection.put');
    expectNoSecrets(audit);
  });

  it('lets only admins write and delete, operators test, viewers read', async () => {
    await h.call('/api/connections/roles', { method: 'PUT', body: stripeBody(sandbox.apiKey) });
    for (const as of ['viewer', 'operator'] as const) {
      expect(
        (await h.call('/api/connections/roles', { method: 'PUT', as, body: stripeBody('x') })).status,
      ).toBe(403);
      expect((await h.call('/api/connections/roles', { method: 'DELETE', as })).status).toBe(403);
    }
    expect((await h.call('/api/connections/roles/test', { method: 'POST', as: 'viewer' })).status).toBe(403);
    expect((await h.call('/api/connections/roles/test', { method: 'POST', as: 'operator' })).status).toBe(
      200,
    );
    expect((await h.call('/api/connections', { as: null })).status).toBe(401);
    const deleted = await h.call('/api/connections/roles', { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect((await h.call('/api/connections/roles', { method: 'DELETE' })).status).toBe(404);
    expect((await h.call('/api/connections/roles')).status).toBe(404);
  });

  it('validates the body, the name and the catalog', async () => {
    const bad = await h.call('/api/connections/Bad_Name', { method: 'PUT', body: stripeBody('sk_x') });
    expect(bad.status).toBe(400);
    const unknown = await h.call('/api/connections/crm', {
      method: 'PUT',
      body: { ...stripeBody('sk_x'), connector: 'nope' },
    });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(await bodyOf(unknown))).toContain("unknown connector 'nope'");
    const mismatch = await h.call('/api/connections/crm', {
      method: 'PUT',
      body: { ...stripeBody('sk_x'), name: 'other' },
    });
    expect(mismatch.status).toBe(400);
    const tooMany = await h.call('/api/connections/crm', {
      method: 'PUT',
      body: { ...stripeBody('sk_x'), webhookSecrets: ['a', 'b', 'c'] },
    });
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(await bodyOf(tooMany))).not.toContain('sk_x');
  });

  it('tests a Connection: ok, auth failed, unreachable — never echoing the key', async () => {
    await h.call('/api/connections/probe-ok', { method: 'PUT', body: stripeBody(sandbox.apiKey) });
    const ok = await bodyOf(
      await h.call('/api/connections/probe-ok/test', { method: 'POST', as: 'operator' }),
    );
    expect(ok).toMatchObject({ verdict: 'ok', ok: true, probe: 'customers.list', connector: 'stripe' });
    expect(ok.latencyMs).toEqual(expect.any(Number));

    await h.call('/api/connections/probe-auth', { method: 'PUT', body: stripeBody(wrongKey) });
    const authText = await (await h.call('/api/connections/probe-auth/test', { method: 'POST' })).text();
    expect(JSON.parse(authText)).toMatchObject({ verdict: 'auth_failed', ok: false, code: 'auth' });
    expectNoSecrets(authText);

    await h.call('/api/connections/probe-down', { method: 'PUT', body: stripeBody(wrongKey, closed) });
    const down = await bodyOf(await h.call('/api/connections/probe-down/test', { method: 'POST' }));
    expect(down).toMatchObject({
      verdict: 'unreachable',
      ok: false,
      code: 'network',
      host: closed.replace('http://', ''),
    });
    expect(String(down.message)).toContain(closed.replace('http://', ''));

    expect((await h.call('/api/connections/missing/test', { method: 'POST' })).status).toBe(404);
  });

  it('keeps a Slack incoming-webhook URL a secret: sealed in auth, never in a reply or the audit', async () => {
    const hook = 'https://hooks.slack.com/services/T0TEAM/B0HOOK/apiHookPathSecret';
    const put = await h.call('/api/connections/slack-alerts', {
      method: 'PUT',
      body: { connector: 'slack', auth: { kind: 'webhook-url', url: hook } },
    });
    expect(put.status).toBe(201);
    const texts = [
      await put.text(),
      await (await h.call('/api/connections/slack-alerts', { as: 'viewer' })).text(),
      await (await h.call('/api/connections', { as: 'viewer' })).text(),
      await (await h.call('/api/audit')).text(),
    ];
    expect(JSON.parse(texts[0] ?? '{}')).toMatchObject({
      connection: { auth: { kind: 'webhook-url', fields: ['url'] }, settings: {} },
    });
    // A malformed URL is refused without being echoed.
    const bad = await h.call('/api/connections/slack-bad', {
      method: 'PUT',
      body: { connector: 'slack', auth: { kind: 'webhook-url', url: 'hooks.slack.com/apiHookPathSecret' } },
    });
    expect(bad.status).toBe(400);
    texts.push(await bad.text());
    texts.push(await (await h.call('/api/connections/slack-alerts', { method: 'DELETE' })).text());
    for (const text of texts) expect(text).not.toContain('apiHookPathSecret');
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await bodyOf(await h.call('/api/openapi.json', { as: null }))) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/connections', '/api/connections/{name}', '/api/connections/{name}/test']),
    );
  });
});
