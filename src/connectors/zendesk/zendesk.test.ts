import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scriptedFetch } from '../../../test/support/scripted-fetch.js';
import { classifiedFields } from '../../connector/classification.js';
import { connect } from '../../connector/connector.js';
import type { WeftError } from '../../contract/errors.js';
import { organizationChanges } from './changes.js';
import { idempotencyTag } from './client.js';
import { zendeskConnector } from './connector.js';
import { zendeskRateLimitHeaders } from './rate-limit.js';
import { ZendeskUser } from './schemas.js';
import { verifyZendeskSignature, zendeskWebhookTrigger } from './webhook.js';

const connection = {
  id: 'zd',
  connector: 'zendesk',
  baseUrl: 'https://acme.zendesk.com',
  auth: { kind: 'basic' as const, username: 'agent@acme.com/token', password: 'tok_secret_123' },
};

const ticket = (over: Record<string, unknown> = {}) => ({
  id: 7,
  external_id: 'weft:run1:s1',
  subject: 'Printer offline',
  status: 'new',
  priority: null,
  requester_id: 1,
  assignee_id: null,
  organization_id: null,
  tags: [idempotencyTag('run1:s1')],
  created_at: '2026-11-01T10:00:00Z',
  updated_at: '2026-11-01T10:00:00Z',
  ...over,
});

describe('Zendesk connector requests', () => {
  it('sends the API token as Basic email/token, the Idempotency-Key, and marks the ticket for the look-up', async () => {
    const { requests, fetchFn } = scriptedFetch({ status: 201, body: { ticket: ticket(), audit: {} } });
    const zd = connect(zendeskConnector, connection, { fetch: fetchFn });
    await zd.run(
      'tickets.create',
      { comment: 'It is on fire', tags: ['vip'] },
      { idempotencyKey: 'run1:s1' },
    );
    const req = requests[0];
    expect(req?.url.toString()).toBe('https://acme.zendesk.com/api/v2/tickets');
    const headers = req?.headers ?? {};
    expect(headers.authorization).toBe(
      `Basic ${Buffer.from('agent@acme.com/token:tok_secret_123').toString('base64')}`,
    );
    expect(headers['idempotency-key']).toBe('run1:s1');
    expect(JSON.parse(String(req?.body))).toEqual({
      ticket: {
        comment: 'It is on fire',
        tags: ['vip', idempotencyTag('run1:s1')],
        external_id: 'weft:run1:s1',
      },
    });
  });

  it('looks an earlier ticket create up by external id and tag before retrying it', async () => {
    const other = ticket({ id: 3, tags: [] });
    const { requests, fetchFn } = scriptedFetch({
      status: 200,
      body: { tickets: [other, ticket()], count: 2 },
    });
    const zd = connect(zendeskConnector, connection, { fetch: fetchFn });
    const found = await zd.run('tickets.create', { comment: 'x' }, { idempotencyKey: 'run1:s1', attempt: 2 });
    expect(found.id).toBe(7);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe('GET');
    expect(requests[0]?.url.searchParams.get('external_id')).toBe('weft:run1:s1');
  });

  it('declares how every write stays free of duplicates', () => {
    const strategies = Object.fromEntries(
      Object.values(zendeskConnector.actions)
        .filter((a) => a.kind === 'write')
        .map((a) => [a.name, a.kind === 'write' ? a.idempotency.strategy : '']),
    );
    expect(strategies).toMatchObject({
      'tickets.create': 'ledger',
      'users.createOrUpdate': 'upsert',
      'organizations.createOrUpdate': 'upsert',
    });
  });

  it('refuses an upsert without a key to match on', async () => {
    const zd = connect(zendeskConnector, connection, {
      fetch: scriptedFetch({ status: 200, body: {} }).fetchFn,
    });
    const err = await zd.run('organizations.createOrUpdate', { name: 'Acme' }).catch((e: unknown) => e);
    expect((err as WeftError).code).toBe('invalid_input');
  });

  it('maps Zendesk errors without echoing addresses or credentials', async () => {
    const dup = {
      error: 'RecordInvalid',
      description: 'Record validation errors',
      details: {
        email: [{ error: 'DuplicateValue', description: 'Email: ada@x.com is already being used' }],
      },
    };
    const zd = connect(zendeskConnector, connection, {
      fetch: scriptedFetch({ status: 422, body: dup }).fetchFn,
    });
    const err = (await zd
      .run('users.createOrUpdate', { email: 'ada@x.com' })
      .catch((e: unknown) => e)) as WeftError;
    expect([err.code, err.retryable]).toEqual(['conflict', false]);
    expect(err.details.fields).toEqual({ email: ['DuplicateValue'] });
    expect(JSON.stringify(err.toJSON())).not.toContain('ada@x.com');

    const auth = connect(zendeskConnector, connection, {
      fetch: scriptedFetch({ status: 401, body: { error: "Couldn't authenticate you" } }).fetchFn,
    });
    const e401 = (await auth.run('tickets.get', { id: 1 }).catch((e: unknown) => e)) as WeftError;
    expect(e401.code).toBe('auth');
    expect(JSON.stringify(e401.toJSON())).not.toContain('tok_secret');

    const limited = connect(zendeskConnector, connection, {
      fetch: scriptedFetch({
        status: 429,
        body: { error: 'TooManyRequests' },
        headers: { 'retry-after': '93' },
      }).fetchFn,
      maxRateLimitRetries: 0,
    });
    const e429 = (await limited.run('tickets.get', { id: 1 }).catch((e: unknown) => e)) as WeftError;
    expect([e429.code, e429.retryable, e429.retryAfterMs]).toEqual(['rate_limited', true, 93_000]);
  });

  it('refuses to call the placeholder host', async () => {
    const { requests, fetchFn } = scriptedFetch({ status: 200, body: {} });
    const { baseUrl: _unset, ...withoutBase } = connection;
    const zd = connect(zendeskConnector, withoutBase, { fetch: fetchFn });
    const err = (await zd.run('tickets.get', { id: 1 }).catch((e: unknown) => e)) as WeftError;
    expect(err.code).toBe('invalid_input');
    expect(requests).toHaveLength(0);
  });

  it('pauses on an exhausted endpoint budget and on Retry-After', () => {
    const now = 1_000_000;
    const endpoint = new Headers({ 'zendesk-ratelimit-tickets-index': 'total=100; remaining=0; resets=41' });
    expect(zendeskRateLimitHeaders({ status: 200, headers: endpoint, now })).toEqual({
      pauseUntil: now + 41_000,
    });
    const fine = new Headers({ 'zendesk-ratelimit-tickets-index': 'total=100; remaining=99; resets=41' });
    expect(zendeskRateLimitHeaders({ status: 200, headers: fine, now })).toEqual({});
    const retry = new Headers({ 'retry-after': '7' });
    expect(zendeskRateLimitHeaders({ status: 429, headers: retry, now })).toEqual({ pauseUntil: now + 7000 });
  });

  it('classifies personal fields of users', () => {
    expect(classifiedFields(ZendeskUser)).toMatchObject({ name: ['pii'], email: ['pii'], phone: ['pii'] });
  });
});

describe('Zendesk organization poll', () => {
  const org = (id: number, updated: string) => ({
    id,
    name: `Org ${id}`,
    external_id: null,
    created_at: '2026-11-01T09:00:00Z',
    updated_at: updated,
  });
  const t = (s: number) => new Date(s * 1000).toISOString().replace('.000', '');

  it('drops the records Zendesk repeats at a page boundary inside one second', async () => {
    // Zendesk's time-based export: page 2 starts at page 1's end_time, so org 2 and 3 come again.
    const { requests, fetchFn } = scriptedFetch(
      {
        status: 200,
        body: {
          organizations: [org(1, t(100)), org(2, t(200)), org(3, t(200))],
          end_time: 200,
          end_of_stream: false,
        },
      },
      {
        status: 200,
        body: {
          organizations: [org(2, t(200)), org(3, t(200)), org(4, t(200)), org(5, t(300))],
          end_time: 300,
          end_of_stream: true,
        },
      },
    );
    const zd = connect(
      zendeskConnector,
      { ...connection, settings: { incrementalStartTime: '50' } },
      { fetch: fetchFn },
    );
    const out = await organizationChanges.fetchChanges(zd.ctx, null);
    expect(out.changes.map((c) => (c.payload as { id: number }).id)).toEqual([1, 2, 3, 4, 5]);
    expect(requests.map((r) => r.url.searchParams.get('start_time'))).toEqual(['50', '200']);
    expect(JSON.parse(String(out.cursor))).toEqual({ start_time: 300, seen: [5] });
  });
});

describe('verifyZendeskSignature', () => {
  const secret = 'zd-secret';
  const body = '{"id":"e1","type":"zen:event-type:ticket.created"}';
  const timestamp = '2026-11-01T10:00:00Z';
  const signedAt = Date.parse(timestamp);
  const sign = (s: string, ts = timestamp) =>
    createHmac('sha256', s)
      .update(ts + body)
      .digest('base64');
  const verify = (
    signature: string | null,
    opts: { ts?: string | null; secrets?: string[]; now?: number } = {},
  ) =>
    verifyZendeskSignature({
      signature,
      timestamp: opts.ts === undefined ? timestamp : opts.ts,
      rawBody: body,
      secrets: opts.secrets ?? [secret],
      now: opts.now ?? signedAt,
    });

  it('accepts base64(HMAC(timestamp + body)) with any current secret', () => {
    expect(verify(sign(secret), { secrets: ['old', secret] })).toEqual({ ok: true });
  });

  it('rejects missing, malformed, forged and stale signatures', () => {
    expect(verify(null)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verify(sign(secret), { ts: null })).toEqual({ ok: false, reason: 'missing_signature' });
    expect(verify(sign(secret), { ts: 'yesterday' })).toEqual({ ok: false, reason: 'malformed' });
    expect(verify(sign('other'))).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify(sign(secret, '2026-11-01T10:00:01Z'))).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verify(sign(secret), { now: signedAt + 301_000 })).toEqual({ ok: false, reason: 'stale' });
  });

  it('parses events by id and trigger payloads by content', () => {
    const event = {
      id: 'e1',
      type: 'zen:event-type:ticket.created',
      subject: 'zen:ticket:7',
      time: timestamp,
      account_id: 1,
      detail: { id: '7' },
      event: {},
    };
    expect(zendeskWebhookTrigger.parse(JSON.stringify(event))[0]?.dedupeKey).toBe('e1');
    const custom = zendeskWebhookTrigger.parse('{"ticket_id":"7","status":"Open"}');
    expect(custom[0]?.type).toBe('conditional_ticket_event');
    expect(custom[0]?.dedupeKey).toMatch(/^zendesk-trigger:[0-9a-f]{64}$/);
  });
});
