import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackSandbox, startSlackSandbox } from '../../sandbox/slack/index.js';
import { checkJsonSchema, type JsonSchema, type JsonSchemaDoc } from './support/json-schema-check.js';

/**
 * The official Slack Web API spec (slackapi/slack-api-specs, trimmed to the methods Weft uses) and
 * the Events API wrapper schema live beside the repository (../shared/specs), as in CI;
 * WEFT_SPECS_DIR points elsewhere. Missing specs fail the suite rather than skip it.
 */
const specRoot =
  process.env.WEFT_SPECS_DIR ?? fileURLToPath(new URL('../../../shared/specs/', import.meta.url));
const specFile = (name: string) => {
  const file = `${specRoot.replace(/\/$/, '')}/slack/${name}`;
  if (!existsSync(file)) throw new Error(`Slack spec file missing: ${file} (set WEFT_SPECS_DIR)`);
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
};

type SwaggerDoc = JsonSchemaDoc & {
  paths: Record<string, Record<string, { responses: Record<string, { schema: JsonSchema }> }>>;
};

describe('Slack sandbox answers match the official OpenAPI (swagger 2.0) spec', () => {
  const doc = specFile('slack_web_openapi_v2.trimmed.json') as SwaggerDoc;
  const wrapper = specFile('slack_common_event_wrapper_schema.json') as JsonSchema & JsonSchemaDoc;
  let sandbox: SlackSandbox;
  let receiver: Server;
  const events: string[] = [];
  const checked = new Set<string>();

  /** The success or error schema of a method, chosen by the answer's `ok`. */
  const check = (method: string, body: Record<string, unknown>) => {
    const op = doc.paths[`/${method}`];
    const responses = op?.post?.responses ?? op?.get?.responses;
    if (!responses) throw new Error(`no ${method} in the spec`);
    const schema = body.ok === true ? responses['200']?.schema : responses.default?.schema;
    if (!schema) throw new Error(`no schema for ${method} ok=${String(body.ok)}`);
    checked.add(`${method}:${body.ok === true ? 'ok' : 'error'}`);
    return checkJsonSchema({ doc, schema, value: body });
  };
  const call = async (
    method: string,
    args: Record<string, unknown> = {},
    opts: { form?: boolean; token?: string | null; get?: boolean } = {},
  ) => {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? sandbox.botToken : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let url = `${sandbox.url}/api/${method}`;
    let body: string | undefined;
    if (opts.get) url += `?${new URLSearchParams(args as Record<string, string>)}`;
    else if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(
        Object.entries(args).map(([k, v]): [string, string] => [
          k,
          typeof v === 'string' ? v : JSON.stringify(v),
        ]),
      ).toString();
    } else {
      headers['content-type'] = 'application/json; charset=utf-8';
      body = JSON.stringify(args);
    }
    const res = await fetch(url, { method: opts.get ? 'GET' : 'POST', headers, ...(body ? { body } : {}) });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };

  beforeAll(async () => {
    sandbox = await startSlackSandbox({ port: 0, seedBusiness: true, tierLimits: false });
    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => {
        raw += c.toString();
      });
      req.on('end', () => {
        events.push(raw);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as AddressInfo).port;
    await fetch(`${sandbox.url}/_sandbox/webhooks`, {
      method: 'POST',
      body: JSON.stringify({ url: `http://127.0.0.1:${port}/slack/events`, secret: 'signing-secret' }),
    });
  });
  afterAll(async () => {
    await sandbox?.close();
    await new Promise<void>((r) => receiver?.close(() => r()));
  });

  it('auth.test: success and every auth failure', async () => {
    expect(check('auth.test', await call('auth.test', {}, { get: true }))).toEqual([]);
    for (const token of [null, 'xoxb-wrong', 'xoxb-weft-revoked']) {
      const body = await call('auth.test', {}, { token });
      expect(body.ok).toBe(false);
      expect(check('auth.test', body)).toEqual([]);
    }
  });

  it('chat.postMessage: JSON and form bodies, blocks, thread replies, and its errors', async () => {
    const posted = await call('chat.postMessage', {
      channel: '#sales',
      text: 'Closed Acme',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Closed* Acme' } }],
      metadata: { event_type: 'weft_write', event_payload: { weft_idempotency_key: 'k1' } },
      attachments: [{ fallback: 'Closed Acme' }],
    });
    expect(posted).toMatchObject({ ok: true, message: { text: 'Closed Acme' } });
    expect(check('chat.postMessage', posted)).toEqual([]);
    const reply = await call(
      'chat.postMessage',
      { channel: posted.channel, text: 'in thread', thread_ts: posted.ts, icon_emoji: ':robot_face:' },
      { form: true },
    );
    expect(reply.message).toMatchObject({ thread_ts: posted.ts });
    expect(check('chat.postMessage', reply)).toEqual([]);
    const errors = [
      [{ channel: 'C0NOSUCHCHAN', text: 'x' }, 'channel_not_found'],
      [{ channel: '#sales' }, 'no_text'],
      [{ channel: '#sales', text: 'x'.repeat(40_001) }, 'msg_too_long'],
      [{ channel: '#launch-2024', text: 'x' }, 'is_archived'],
    ] as const;
    for (const [args, error] of errors) {
      const body = await call('chat.postMessage', args);
      expect(body).toEqual({ ok: false, error });
      expect(check('chat.postMessage', body)).toEqual([]);
    }
    expect(
      check(
        'chat.postMessage',
        await call('chat.postMessage', { channel: '#sales', text: 'x' }, { token: null }),
      ),
    ).toEqual([]);
  });

  it('chat.update and chat.delete: success and message_not_found', async () => {
    const posted = await call('chat.postMessage', { channel: '#support', text: 'draft' });
    const updated = await call('chat.update', { channel: posted.channel, ts: posted.ts, text: 'final' });
    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: 'final' });
    expect(check('chat.update', updated)).toEqual([]);
    const deleted = await call('chat.delete', { channel: posted.channel, ts: posted.ts }, { form: true });
    expect(deleted).toEqual({ ok: true, channel: posted.channel, ts: posted.ts });
    expect(check('chat.delete', deleted)).toEqual([]);
    for (const method of ['chat.update', 'chat.delete']) {
      const body = await call(method, { channel: posted.channel, ts: posted.ts, text: 'again' });
      expect(body).toEqual({ ok: false, error: 'message_not_found' });
      expect(check(method, body)).toEqual([]);
    }
  });

  it('chat.postEphemeral: to a member, and user_not_in_channel', async () => {
    const users = (await call('users.list', { limit: 3 }, { get: true })).members as {
      id: string;
      is_bot: boolean;
    }[];
    const member = users.find((u) => !u.is_bot)?.id;
    const ok = await call('chat.postEphemeral', { channel: '#general', user: member, text: 'only you' });
    expect(ok.ok).toBe(true);
    expect(check('chat.postEphemeral', ok)).toEqual([]);
    const refused = await call('chat.postEphemeral', { channel: '#general', user: 'U0NOBODY00', text: 'x' });
    expect(refused).toEqual({ ok: false, error: 'user_not_in_channel' });
    expect(check('chat.postEphemeral', refused)).toEqual([]);
  });

  it('conversations.list: every page, public and private, and an auth error', async () => {
    let cursor = '';
    const names: string[] = [];
    do {
      const page = await call(
        'conversations.list',
        { limit: '3', types: 'public_channel,private_channel', ...(cursor ? { cursor } : {}) },
        { get: true },
      );
      expect(check('conversations.list', page)).toEqual([]);
      names.push(...(page.channels as { name: string }[]).map((c) => c.name));
      cursor = (page.response_metadata as { next_cursor: string }).next_cursor;
    } while (cursor !== '');
    expect(names).toEqual(
      expect.arrayContaining(['general', 'sales', 'support', 'alerts', 'finance', 'leadership']),
    );
    const refused = await call('conversations.list', {}, { token: 'xoxb-wrong', get: true });
    expect(refused).toEqual({ ok: false, error: 'invalid_auth' });
    expect(check('conversations.list', refused)).toEqual([]);
  });

  it('every method of the spec, success and error, was checked above', () => {
    const methods = Object.keys(doc.paths).map((p) => p.slice(1));
    expect([...checked].sort()).toEqual(methods.flatMap((m) => [`${m}:error`, `${m}:ok`]).sort());
  });

  it('Events API deliveries match the event_callback wrapper schema', async () => {
    await fetch(`${sandbox.url}/_sandbox/slack/messages`, {
      method: 'POST',
      body: JSON.stringify({ channel: '#support', text: 'Can someone look at ticket 42?' }),
    });
    await sandbox.kit.webhooks.drain();
    expect(events.length).toBeGreaterThan(3);
    for (const raw of events) {
      const event = JSON.parse(raw) as { type: string; event: { type: string } };
      expect(event).toMatchObject({ type: 'event_callback', event: { type: 'message' } });
      expect(checkJsonSchema({ doc: wrapper, schema: wrapper, value: event })).toEqual([]);
    }
  });

  it('the checker itself rejects a wrong shape', async () => {
    const posted = await call('chat.postMessage', { channel: '#alerts', text: 'x' });
    const broken = {
      ...posted,
      ts: 'yesterday',
      extra: true,
      message: { ...(posted.message as object), team: 'nope' },
    };
    expect(check('chat.postMessage', broken)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('$.ts'),
        expect.stringContaining('$.extra'),
        expect.stringContaining('$.message.team'),
      ]),
    );
    const badConversation = { ok: true, channels: [{ id: 'C1', name: 'x' }] };
    expect(check('conversations.list', badConversation).length).toBeGreaterThan(0);
  });
});
