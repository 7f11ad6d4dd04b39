import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackSandbox, startSlackSandbox } from '../../sandbox/slack/index.js';
import { startEventReceiver } from './support/slack-harness.js';

/** Sandbox behaviours the contract suite does not cover, over raw HTTP (no connector code). */
describe('Slack sandbox', () => {
  let sandbox: SlackSandbox;
  beforeAll(async () => {
    sandbox = await startSlackSandbox({ port: 0, seedBusiness: true });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  const api = async (
    method: string,
    args: Record<string, unknown> = {},
    token: string | null = sandbox.botToken,
  ) => {
    const res = await fetch(`${sandbox.url}/api/${method}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(args),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };
  const admin = async (path: string, body: unknown) =>
    (await (
      await fetch(`${sandbox.url}/_sandbox/${path}`, { method: 'POST', body: JSON.stringify(body) })
    ).json()) as Record<string, unknown>;

  it('answers auth failures as HTTP 200 ok:false, and takes the token as a form argument too', async () => {
    expect((await api('auth.test', {}, null)).body).toEqual({ ok: false, error: 'not_authed' });
    expect((await api('auth.test', {}, 'xoxb-nope')).body).toEqual({ ok: false, error: 'invalid_auth' });
    const revoked = await api('auth.test', {}, 'xoxb-weft-revoked');
    expect([revoked.status, revoked.body.error]).toEqual([200, 'token_revoked']);
    const form = await fetch(`${sandbox.url}/api/auth.test`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${sandbox.botToken}`,
    });
    expect(((await form.json()) as { team_id: string }).team_id).toBe('T0LOOMWISE');
  });

  it('seeds the business: team channels, employees as members, and chatter naming customers', async () => {
    const list = await api('conversations.list', { limit: 100 });
    const names = (list.body.channels as { name: string }[]).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['general', 'sales', 'support', 'alerts', 'finance']));
    expect(names).not.toContain('leadership'); // private: only with types=private_channel
    const users = (await api('users.list')).body.members as { profile: { email?: string } }[];
    expect(users.filter((u) => u.profile.email?.endsWith('@loomwise.example')).length).toBe(25);
    const someone = users.find((u) => u.profile.email)?.profile.email ?? '';
    const found = await api('users.lookupByEmail', { email: someone.toUpperCase() });
    expect(found.body.ok).toBe(true);
    const sales = await api('conversations.history', { channel: '#sales', limit: 5 });
    const messages = sales.body.messages as { text: string; ts: string }[];
    expect(messages[0]?.text).toMatch(/Closed-won: \*.+\*/);
    // Posted when the business says, newest first.
    expect(Number(messages[0]?.ts)).toBeLessThanOrEqual(Date.UTC(2026, 10, 1) / 1000);
    expect(Number(messages[0]?.ts)).toBeGreaterThan(Number(messages[1]?.ts));
    const support = await api('conversations.history', { channel: 'support', limit: 50 });
    expect((support.body.messages as { text: string }[]).some((m) => /mailto:/.test(m.text))).toBe(true);
  });

  it('pages history with next_cursor and honours oldest/latest', async () => {
    await admin('slack/channels', { name: 'paging' });
    await admin('seed', { messages: { channel: 'paging', count: 250 } });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api('conversations.history', {
        channel: 'paging',
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...(page.body.messages as { ts: string }[]).map((m) => m.ts));
      cursor = (page.body.response_metadata as { next_cursor?: string } | undefined)?.next_cursor;
      expect(page.body.has_more).toBe(cursor !== undefined);
    } while (cursor);
    expect(seen.length).toBe(250);
    expect(new Set(seen).size).toBe(250);
    expect(seen).toEqual([...seen].sort().reverse());
    const window = await api('conversations.history', {
      channel: 'paging',
      oldest: seen[10],
      latest: seen[5],
      inclusive: true,
    });
    expect((window.body.messages as { ts: string }[]).map((m) => m.ts)).toEqual(seen.slice(5, 11));
  });

  it('keeps metadata for the app that posted it and shows others only with include_all_metadata', async () => {
    const metadata = { event_type: 'weft_message', event_payload: { weft_idempotency_key: 'run-1:step-2' } };
    const posted = await api('chat.postMessage', { channel: '#finance', text: 'Invoice sent', metadata });
    expect(posted.body.message).not.toHaveProperty('metadata');
    const history = await api('conversations.history', { channel: '#finance', limit: 1 });
    expect((history.body.messages as { metadata?: unknown }[])[0]?.metadata).toEqual(metadata);
  });

  it('limits chat.postMessage to about one per second per channel with 429 + Retry-After', async () => {
    await admin('slack/channels', { name: 'burst' });
    const answers = [];
    for (let i = 0; i < 11; i++)
      answers.push(await api('chat.postMessage', { channel: '#burst', text: `n${i}` }));
    const limited = answers.at(-1);
    expect(answers.slice(0, 10).every((a) => a.body.ok === true)).toBe(true);
    expect(limited?.status).toBe(429);
    expect(limited?.body).toEqual({ ok: false, error: 'ratelimited' });
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another channel has its own budget.
    expect((await api('chat.postMessage', { channel: '#alerts', text: 'other channel' })).body.ok).toBe(true);
  });

  it('serves incoming webhooks with plain-text answers, bound to their channel', async () => {
    const post = (url: string, body: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        async (r) => [r.status, await r.text()],
      );
    expect(
      await post(sandbox.incomingWebhookUrl, JSON.stringify({ text: 'Build green', channel: '#sales' })),
    ).toEqual([200, 'ok']);
    expect(await post(sandbox.incomingWebhookUrl, JSON.stringify({}))).toEqual([400, 'no_text']);
    expect(await post(sandbox.incomingWebhookUrl, '{not json')).toEqual([400, 'invalid_payload']);
    expect(
      await post(sandbox.incomingWebhookUrl.replace(/\/[^/]+$/, '/WRONGSECRET0000000000000'), '{"text":"x"}'),
    ).toEqual([403, 'invalid_token']);
    expect(await post(`${sandbox.url}/services/T0LOOMWISE/B0NOSUCH00/abc`, '{"text":"x"}')).toEqual([
      404,
      'no_service',
    ]);
    const general = await api('conversations.history', { channel: '#general', limit: 1 });
    expect((general.body.messages as { text: string; subtype: string }[])[0]).toMatchObject({
      text: 'Build green',
      subtype: 'bot_message',
    });
  });

  it('signs Events API deliveries with v0 HMAC and runs the url_verification handshake', async () => {
    const receiver = await startEventReceiver();
    await admin('webhooks', { url: receiver.url, secret: 'sign-me', events: ['message'] });
    const next = receiver.next();
    await admin('slack/messages', { channel: '#support', text: 'Customer says the export is broken' });
    const delivery = await next;
    const t = delivery.headers.get('x-slack-request-timestamp');
    const expected = `v0=${createHmac('sha256', 'sign-me').update(`v0:${t}:${delivery.rawBody}`).digest('hex')}`;
    expect(delivery.headers.get('x-slack-signature')).toBe(expected);
    expect(JSON.parse(delivery.rawBody)).toMatchObject({
      type: 'event_callback',
      event: { type: 'message', text: 'Customer says the export is broken', channel_type: 'channel' },
    });
    await receiver.close();

    const echo: Server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => {
        raw += c.toString();
      });
      req.on('end', () => {
        const body = JSON.parse(raw) as { challenge: string };
        res
          .writeHead(200, { 'content-type': 'text/plain' })
          .end(req.url === '/good' ? body.challenge : 'nope');
      });
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    expect(await admin('slack/url-verification', { url: `${base}/good`, secret: 's' })).toEqual({
      verified: true,
      status: 200,
    });
    expect(await admin('slack/url-verification', { url: `${base}/bad`, secret: 's' })).toMatchObject({
      verified: false,
    });
    await new Promise<void>((r) => echo.close(() => r()));
  });
});
