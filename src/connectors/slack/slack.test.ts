import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { classifiedFields } from '../../connector/classification.js';
import { connect } from '../../connector/connector.js';
import { WeftError } from '../../contract/errors.js';
import { slackConnector } from './connector.js';
import { SlackMessage, SlackUser } from './schemas.js';
import { slackEventsTrigger, slackUrlVerificationChallenge, verifySlackSignature } from './webhook.js';

type Answer = { status?: number; body: unknown; headers?: Record<string, string> };

/** A fetch that records requests and answers by Slack method name. */
function slackFetch(answers: Record<string, Answer | ((body: unknown) => Answer)>) {
  const requests: { method: string; url: URL; headers: Record<string, string>; body: unknown }[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = url.pathname.split('/').at(-1) ?? '';
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    requests.push({ method, url, headers: init?.headers as Record<string, string>, body });
    const a = answers[method];
    const answer =
      typeof a === 'function' ? a(body) : (a ?? { body: { ok: false, error: 'unknown_method' } });
    return new Response(JSON.stringify(answer.body), {
      status: answer.status ?? 200,
      headers: { 'content-type': 'application/json; charset=utf-8', ...answer.headers },
    });
  }) as typeof fetch;
  return { requests, fetchFn };
}

const connection = {
  id: 'slack',
  connector: 'slack',
  auth: { kind: 'bearer' as const, token: 'xoxb-secret-token' },
};
const posted = (ts: string, extra: Record<string, unknown> = {}) => ({
  ok: true,
  channel: 'C0SALES0001',
  ts,
  message: { type: 'message', text: 'Closed Acme', ts, ...extra },
});

describe('Slack connector requests', () => {
  it('posts JSON with the bearer token and carries the idempotency key in message metadata', async () => {
    const { requests, fetchFn } = slackFetch({ 'chat.postMessage': { body: posted('1712345678.000100') } });
    const slack = connect(slackConnector, connection, { fetch: fetchFn });
    const out = await slack.run(
      'chat.postMessage',
      {
        channel: '#sales',
        text: 'Closed Acme',
        metadata: { event_type: 'deal_won', event_payload: { deal: 'd1' } },
      },
      { idempotencyKey: 'run1:step3' },
    );
    expect(out.ts).toBe('1712345678.000100');
    const req = requests[0];
    expect(req?.url.toString()).toBe('https://slack.com/api/chat.postMessage');
    expect(req?.headers.authorization).toBe('Bearer xoxb-secret-token');
    expect(req?.body).toEqual({
      channel: '#sales',
      text: 'Closed Acme',
      metadata: { event_type: 'deal_won', event_payload: { deal: 'd1', weft_idempotency_key: 'run1:step3' } },
    });
  });

  it('classifies ok:false answers by their error string and never echoes the token', async () => {
    const cases: [string, string, boolean][] = [
      ['invalid_auth', 'auth', false],
      ['not_authed', 'auth', false],
      ['token_revoked', 'auth', false],
      ['channel_not_found', 'not_found', false],
      ['missing_scope', 'forbidden', false],
      ['msg_too_long', 'invalid_input', false],
      ['invalid_blocks', 'invalid_input', false],
      ['no_text', 'invalid_input', false],
      ['is_archived', 'conflict', false],
      ['ratelimited', 'rate_limited', true],
      ['internal_error', 'unavailable', true],
      ['something_new', 'http_error', false],
    ];
    for (const [error, code, retryable] of cases) {
      const { fetchFn } = slackFetch({
        'chat.postMessage': { body: { ok: false, error, needed: 'chat:write', provided: 'channels:read' } },
      });
      const slack = connect(slackConnector, connection, { fetch: fetchFn });
      const err = (await slack
        .run('chat.postMessage', { channel: 'C1', text: 'x' })
        .catch((e: unknown) => e)) as WeftError;
      expect(err).toBeInstanceOf(WeftError);
      expect([error, err.code, err.retryable]).toEqual([error, code, retryable]);
      expect(err.details.slackError).toBe(error);
      expect(JSON.stringify(err.toJSON())).not.toContain('xoxb');
    }
  });

  it('reads a 429 Retry-After as the wait', async () => {
    const { fetchFn } = slackFetch({
      'auth.test': {
        status: 429,
        body: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': '7' },
      },
    });
    const slack = connect(slackConnector, connection, { fetch: fetchFn, maxRateLimitRetries: 0 });
    const err = (await slack.run('auth.test', {}).catch((e: unknown) => e)) as WeftError;
    expect([err.code, err.retryable, err.retryAfterMs, err.details.slackError]).toEqual([
      'rate_limited',
      true,
      7000,
      'ratelimited',
    ]);
  });

  it('a retried post finds its earlier attempt in the channel history instead of posting again', async () => {
    const mine = { metadata: { event_type: 'weft_message', event_payload: { weft_idempotency_key: 'k-7' } } };
    const { requests, fetchFn } = slackFetch({
      'conversations.list': {
        body: {
          ok: true,
          channels: [{ id: 'C0SALES0001', name: 'sales', created: 1 }],
          response_metadata: { next_cursor: '' },
        },
      },
      'conversations.history': {
        body: {
          ok: true,
          has_more: false,
          messages: [
            { type: 'message', text: 'other', ts: '1712345679.000001' },
            { type: 'message', text: 'Closed Acme', ts: '1712345678.000100', ...mine },
          ],
        },
      },
      'chat.postMessage': { body: posted('1712345680.000000') },
    });
    const slack = connect(slackConnector, connection, { fetch: fetchFn });
    const out = await slack.run(
      'chat.postMessage',
      { channel: '#sales', text: 'Closed Acme' },
      { idempotencyKey: 'k-7', attempt: 2 },
    );
    expect(out).toMatchObject({ channel: 'C0SALES0001', ts: '1712345678.000100' });
    expect(requests.map((r) => r.method)).toEqual(['conversations.list', 'conversations.history']);
    expect(requests[1]?.url.searchParams.get('include_all_metadata')).toBe('true');

    // Not found in history: the retry posts.
    const again = await slack.run(
      'chat.postMessage',
      { channel: 'C0SALES0001', text: 'x' },
      { idempotencyKey: 'k-8', attempt: 2 },
    );
    expect(again.ts).toBe('1712345680.000000');
  });

  it('a retried delete that finds the message gone counts as done', async () => {
    const { fetchFn } = slackFetch({ 'chat.delete': { body: { ok: false, error: 'message_not_found' } } });
    const slack = connect(slackConnector, connection, { fetch: fetchFn });
    const input = { channel: 'C0SALES0001', ts: '1712345678.000100' };
    await expect(slack.run('chat.delete', input, { attempt: 2 })).resolves.toMatchObject({
      ok: true,
      ...input,
    });
    await expect(slack.run('chat.delete', input, { attempt: 1 })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('classifies message text as confidential and member identities as personal data', () => {
    expect(classifiedFields(SlackMessage)).toMatchObject({ text: ['confidential'] });
    expect(classifiedFields(SlackUser)).toMatchObject({ name: ['pii'], 'profile.email': ['pii'] });
  });
});

describe('incomingWebhook.send and incomingWebhook.check', () => {
  const hookSecret = 'T0TEAM/B0HOOK/s3cr3tPathSegment';
  /** A local webhook: answers `status text`, and records what was posted. */
  const serve = async (status: number, text: string) => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/${hookSecret}`,
      server,
      bodies,
    };
  };
  const withHook = (url: string) =>
    connect(slackConnector, { id: 'slack-alerts', connector: 'slack', auth: { kind: 'webhook-url', url } });

  it('posts to the URL of the webhook-url credential, which sends no auth header', async () => {
    const { url, server, bodies } = await serve(200, 'ok');
    const hook = withHook(url);
    expect(await hook.ctx.auth.headersFor({ method: 'POST', url: new URL(url) })).toEqual({});
    expect(hook.ctx.connection.settings).toEqual({});
    await expect(hook.run('incomingWebhook.send', { text: 'hi' })).resolves.toEqual({
      ok: true,
      confirmed: true,
    });
    expect(bodies).toEqual(['{"text":"hi"}']);
    server.close();
  });

  it('classifies plain-text errors and never shows the webhook URL', async () => {
    const { url, server } = await serve(404, 'channel_not_found');
    const err = (await withHook(url)
      .run('incomingWebhook.send', { text: 'hi' })
      .catch((e: unknown) => e)) as WeftError;
    expect([err.code, err.retryable, err.details.slackError]).toEqual([
      'not_found',
      false,
      'channel_not_found',
    ]);
    expect(JSON.stringify(err.toJSON())).not.toContain('s3cr3t');
    server.close();
    const refused = (await withHook(url)
      .run('incomingWebhook.send', { text: 'hi' })
      .catch((e: unknown) => e)) as WeftError;
    expect([refused.code, refused.retryable]).toEqual(['network', true]);
    expect(JSON.stringify(refused.toJSON())).not.toContain('s3cr3t');
  });

  it('does not resend on a retry: webhooks cannot be read back, so at most once', async () => {
    const { url, server } = await serve(200, 'ok');
    await expect(withHook(url).run('incomingWebhook.send', { text: 'hi' }, { attempt: 2 })).resolves.toEqual({
      ok: true,
      confirmed: false,
    });
    server.close();
  });

  it('refuses a bot-token Connection, and no longer reads the URL from settings', async () => {
    const { url, server, bodies } = await serve(200, 'ok');
    const legacy = connect(slackConnector, { ...connection, settings: { incomingWebhookUrl: url } });
    const err = (await legacy
      .run('incomingWebhook.send', { text: 'hi' })
      .catch((e: unknown) => e)) as WeftError;
    expect(err.code).toBe('invalid_input');
    expect(err.message).toMatch(/auth kind webhook-url/);
    expect(err.message).toMatch(/incomingWebhookUrl setting is no longer read/);
    expect(err.message).not.toContain('s3cr3t');
    expect(bodies).toEqual([]);
    server.close();
  });

  it('checks a webhook with an empty payload, which Slack refuses without posting', async () => {
    const good = await serve(400, 'no_text');
    await expect(withHook(good.url).run('incomingWebhook.check', {})).resolves.toEqual({ ok: true });
    expect(good.bodies).toEqual(['{}']);
    good.server.close();
    for (const [status, text] of [
      [403, 'invalid_token'],
      [404, 'no_service'],
    ] as const) {
      const bad = await serve(status, text);
      const err = (await withHook(bad.url)
        .run('incomingWebhook.check', {})
        .catch((e: unknown) => e)) as WeftError;
      expect([err.code, err.details.slackError]).toEqual(['auth', text]);
      expect(JSON.stringify(err.toJSON())).not.toContain('s3cr3t');
      bad.server.close();
    }
  });
});

describe('Slack Events API verification', () => {
  const secret = 'signing-secret';
  const body =
    '{"type":"event_callback","token":"t","team_id":"T1","api_app_id":"A1","event_id":"Ev1","event_time":1700000000,"event":{"type":"message","text":"hi","ts":"1700000000.000100"}}';
  const t = 1_700_000_000;
  const headers = (s: string, ts = t) =>
    new Headers({
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': `v0=${createHmac('sha256', s).update(`v0:${ts}:${body}`).digest('hex')}`,
    });

  it('accepts a genuine signature (any of the rotated secrets) within five minutes', () => {
    expect(
      verifySlackSignature({
        headers: headers(secret),
        rawBody: body,
        secrets: ['old', secret],
        now: t * 1000 + 299_000,
      }),
    ).toEqual({ ok: true });
  });

  it('rejects missing, malformed, forged and stale requests', () => {
    const now = t * 1000;
    expect(verifySlackSignature({ headers: new Headers(), rawBody: body, secrets: [secret], now }).ok).toBe(
      false,
    );
    const malformed = new Headers({ 'x-slack-request-timestamp': String(t), 'x-slack-signature': 'v1=abc' });
    expect(verifySlackSignature({ headers: malformed, rawBody: body, secrets: [secret], now })).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(
      verifySlackSignature({ headers: headers('other'), rawBody: body, secrets: [secret], now }),
    ).toEqual({ ok: false, reason: 'bad_signature' });
    expect(
      verifySlackSignature({
        headers: headers(secret),
        rawBody: body,
        secrets: [secret],
        now: now + 301_000,
      }),
    ).toEqual({ ok: false, reason: 'stale' });
  });

  it('parses event_callback deliveries, deduped on event_id, and leaves url_verification to the endpoint', () => {
    expect(slackEventsTrigger.parse(body)).toMatchObject([{ dedupeKey: 'Ev1', type: 'message' }]);
    const challenge =
      '{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}';
    expect(slackEventsTrigger.parse(challenge)).toEqual([]);
    expect(slackEventsTrigger.handshake?.(challenge)).toEqual({
      status: 200,
      body: { challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' },
    });
    expect(slackEventsTrigger.handshake?.(body)).toBeUndefined();
    expect(slackUrlVerificationChallenge(challenge)).toBe(
      '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    );
    expect(slackUrlVerificationChallenge(body)).toBeUndefined();
  });
});
