import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountNameIn, generateBusiness } from '../../sandbox/seed/index.js';
import { type SystemSandbox, startZendeskSandbox } from '../../sandbox/zendesk/index.js';
import { connect } from '../../src/connector/connector.js';
import type { TriggerEvent } from '../../src/connector/triggers.js';
import { organizationChanges, ticketChanges } from '../../src/connectors/zendesk/changes.js';
import { zendeskConnector } from '../../src/connectors/zendesk/connector.js';
import { zendeskWebhookTrigger } from '../../src/connectors/zendesk/webhook.js';
import { webhookReceiver } from './support/zendesk-harness.js';

type Json = Record<string, unknown>;

function client(sb: SystemSandbox) {
  const auth = sb.connection.auth as { username: string; password: string };
  const basic = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${sb.url}${path}`, {
      method,
      headers: { authorization: basic, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Json };
  };
}

describe('Zendesk sandbox: the seeded business', () => {
  let sb: SystemSandbox;
  let call: ReturnType<typeof client>;
  beforeAll(async () => {
    sb = await startZendeskSandbox({ port: 0, seedBusiness: true });
    call = client(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  it('holds organizations, users and tickets that refer to each other, messily named', async () => {
    const business = generateBusiness();
    const orgs = sb.kit.store.all<Json>('organization').map((r) => r.data);
    const users = sb.kit.store.all<Json>('user').map((r) => r.data);
    const tickets = sb.kit.store.all<Json>('ticket').map((r) => r.data);
    // Every account once, plus the few true duplicates someone created by hand.
    expect(orgs.length).toBeGreaterThan(business.accounts.length);
    expect(orgs.length).toBeLessThan(business.accounts.length * 1.05);
    const names = new Set(orgs.map((o) => o.name));
    const canonical = business.accounts.filter((a) => names.has(a.name)).length;
    expect(canonical).toBeLessThan(business.accounts.length * 0.7);
    for (const account of business.accounts.slice(0, 20))
      expect(names.has(accountNameIn('zendesk', account))).toBe(true);

    const userIds = new Set(users.map((u) => u.id));
    const orgIds = new Set(orgs.map((o) => o.id));
    expect(tickets.length).toBeGreaterThan(1000);
    for (const t of tickets) {
      expect(userIds.has(t.requester_id)).toBe(true);
      if (t.organization_id !== null) expect(orgIds.has(t.organization_id)).toBe(true);
    }
    // Support desks know many people by their personal address, often without their company.
    const personal = users.filter((u) => /@(gmail|outlook|yahoo|proton|icloud)\./.test(String(u.email)));
    expect(personal.length).toBeGreaterThan(users.length * 0.1);
    expect(personal.some((u) => u.organization_id === null)).toBe(true);
    const emails = users.map((u) => String(u.email).toLowerCase());
    expect(new Set(emails).size).toBe(emails.length);
    expect(users.filter((u) => u.role === 'agent').length).toBeGreaterThan(0);
  });

  it('pages by cursor to the end, and refuses offset paging past 10,000 records', async () => {
    const seen = new Set<unknown>();
    let next: string | null = '/api/v2/organizations.json?page[size]=100&sort=-updated_at';
    let pages = 0;
    while (next !== null) {
      const page = await call('GET', next.replace(sb.url, ''));
      for (const o of page.body.organizations as Json[]) seen.add(o.id);
      const meta = page.body.meta as { has_more: boolean };
      next = meta.has_more ? ((page.body.links as { next: string }).next ?? null) : null;
      pages += 1;
    }
    expect(seen.size).toBe(sb.kit.store.count('organization'));
    expect(pages).toBe(Math.ceil(seen.size / 100));
    const offset = await call('GET', '/api/v2/users?page=2&per_page=100');
    expect(offset.body.count).toBe(sb.kit.store.count('user'));
    expect(offset.body.next_page).toContain('page=3');
    expect((await call('GET', '/api/v2/users?page=101&per_page=100')).status).toBe(400);
  });
});

describe('Zendesk sandbox: API behaviour', () => {
  let sb: SystemSandbox;
  let call: ReturnType<typeof client>;
  let clock = Date.UTC(2026, 10, 20, 12, 0, 0);
  const advance = (ms: number) => {
    clock += ms;
  };
  beforeAll(async () => {
    sb = await startZendeskSandbox({ port: 0, now: () => clock, incrementalRequestsPerMinute: 1000 });
    call = client(sb);
  });
  afterAll(async () => {
    await sb?.close();
  });

  it('answers Zendesk auth errors: wrong token, password auth, and accepts an OAuth bearer', async () => {
    const wrong = await fetch(`${sb.url}/api/v2/users/me.json`, {
      headers: {
        authorization: `Basic ${Buffer.from('admin@loomwise.example/token:nope').toString('base64')}`,
      },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: "Couldn't authenticate you" });
    const password = await fetch(`${sb.url}/api/v2/tickets`, {
      headers: { authorization: `Basic ${Buffer.from('admin@loomwise.example:secret').toString('base64')}` },
    });
    expect(password.status).toBe(401);
    const bearer = await fetch(`${sb.url}/api/v2/tickets.json`, {
      headers: { authorization: 'Bearer zd-sandbox-oauth-token-000000000000000' },
    });
    expect(bearer.status).toBe(200);
    expect(bearer.headers.get('x-rate-limit')).toBe('700');
  });

  it('replays a ticket create by Idempotency-Key and refuses the key with another body', async () => {
    const body = { ticket: { subject: 'Printer offline', comment: { body: 'It is on fire' } } };
    const first = await call('POST', '/api/v2/tickets.json', body, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(201);
    expect(first.headers.get('x-idempotency-lookup')).toBe('miss');
    const again = await call('POST', '/api/v2/tickets', body, { 'idempotency-key': 'k-1' });
    expect(again.headers.get('x-idempotency-lookup')).toBe('hit');
    expect((again.body.ticket as Json).id).toBe((first.body.ticket as Json).id);
    const other = await call(
      'POST',
      '/api/v2/tickets',
      { ticket: { comment: 'other' } },
      { 'idempotency-key': 'k-1' },
    );
    expect(other.status).toBe(400);
  });

  it('upserts users by email in any case and organizations by external id', async () => {
    const a = await call('POST', '/api/v2/users/create_or_update', {
      user: { name: 'Ada', email: 'Ada@Example.com' },
    });
    const b = await call('POST', '/api/v2/users/create_or_update', {
      user: { name: 'Ada L', email: 'ada@example.com' },
    });
    expect([a.status, b.status]).toEqual([201, 200]);
    expect((b.body.user as Json).id).toBe((a.body.user as Json).id);
    expect((b.body.user as Json).name).toBe('Ada L');
    const o1 = await call('POST', '/api/v2/organizations/create_or_update', {
      organization: { name: 'Acme', external_id: 'crm-1' },
    });
    const o2 = await call('POST', '/api/v2/organizations/create_or_update', {
      organization: { name: 'ACME Inc', external_id: 'crm-1' },
    });
    expect([o1.status, o2.status]).toEqual([201, 200]);
    expect((o2.body.organization as Json).id).toBe((o1.body.organization as Json).id);
  });

  it("answers Zendesk's error shapes", async () => {
    const dup = await call('POST', '/api/v2/organizations', { organization: { name: '  acme inc ' } });
    expect(dup.status).toBe(422);
    expect(dup.body).toMatchObject({
      error: 'RecordInvalid',
      details: { name: [{ error: 'DuplicateValue' }] },
    });
    const blank = await call('POST', '/api/v2/tickets', { ticket: { subject: 'no comment' } });
    expect(blank.body).toMatchObject({
      error: 'RecordInvalid',
      details: { base: [{ error: 'BlankValue' }] },
    });
    expect((await call('GET', '/api/v2/tickets/999999')).body).toEqual({
      error: 'RecordNotFound',
      description: 'Not found',
    });
  });

  it('polls tickets and organizations without loss or repeats when a page ends inside one second', async () => {
    const second = new Date(clock).toISOString();
    await fetch(`${sb.url}/_sandbox/seed`, {
      method: 'POST',
      body: JSON.stringify({ tickets: 7, organizations: 7, updatedAt: second }),
    });
    advance(61_000); // past the export's one-minute lag
    const zd = connect(
      zendeskConnector,
      {
        id: 'zd',
        connector: 'zendesk',
        ...sb.connection,
        settings: { incrementalStartTime: '0', incrementalPageSize: '3', incrementalPagesPerPoll: '2' },
      },
      { now: () => clock },
    );
    const drain = async (name: 'tickets' | 'organizations') => {
      const trigger = name === 'tickets' ? ticketChanges : organizationChanges;
      const events: TriggerEvent<unknown>[] = [];
      let cursor: string | null = null;
      for (let poll = 0; poll < 10; poll++) {
        const out: { changes: TriggerEvent<unknown>[]; cursor: string | null } = await trigger.fetchChanges(
          zd.ctx,
          cursor,
        );
        events.push(...out.changes);
        cursor = out.cursor;
        if (out.changes.length === 0) break;
      }
      return { events, cursor };
    };
    const tickets = await drain('tickets');
    const orgs = await drain('organizations');
    const ticketCount = sb.kit.store.count('ticket');
    const orgCount = sb.kit.store.count('organization');
    for (const [got, total] of [
      [tickets.events, ticketCount],
      [orgs.events, orgCount],
    ] as const) {
      const keys = got.map((e) => e.dedupeKey);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.length).toBe(total);
    }

    // One later change comes through once, from the stored cursors; nothing younger than the lag does.
    const ticketId = (tickets.events.at(-1)?.payload as { id: number } | undefined)?.id;
    advance(5_000);
    await call('PUT', `/api/v2/tickets/${ticketId}`, { ticket: { status: 'solved' } });
    const early = await ticketChanges.fetchChanges(zd.ctx, tickets.cursor);
    expect(early.changes).toHaveLength(0);
    advance(61_000);
    const late = await ticketChanges.fetchChanges(zd.ctx, early.cursor);
    expect(late.changes.map((c) => c.type)).toEqual(['ticket.updated']);
    expect(late.changes[0]?.dedupeKey).toMatch(new RegExp(`^ticket:${ticketId}:`));
  });

  it('sends Zendesk events signed for targets set through the kit', async () => {
    const receiver = await webhookReceiver();
    try {
      await fetch(`${sb.url}/_sandbox/webhooks`, {
        method: 'POST',
        body: JSON.stringify({
          url: receiver.url,
          secret: 'kit-secret',
          events: ['zen:event-type:user.created'],
        }),
      });
      const next = receiver.next();
      await call('POST', '/api/v2/users', { user: { name: 'Grace', email: 'grace@example.com' } });
      const delivery = await next;
      const trigger = zendeskWebhookTrigger;
      expect(trigger.verify(delivery, ['kit-secret'], clock)).toEqual({ ok: true });
      const [event] = trigger.parse(delivery.rawBody);
      expect(event?.type).toBe('zen:event-type:user.created');
      expect((event?.payload as { detail: Json } | undefined)?.detail.email).toBe('grace@example.com');
    } finally {
      await receiver.close();
    }
  });

  it('limits incremental exports separately, with Retry-After', async () => {
    const tight = await startZendeskSandbox({ port: 0, incrementalRequestsPerMinute: 1, exportLagMs: 0 });
    try {
      const get = client(tight);
      expect((await get('GET', '/api/v2/incremental/users/cursor?start_time=0')).status).toBe(200);
      const refused = await get('GET', '/api/v2/incremental/users/cursor?start_time=0');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await tight.close();
    }
  });
});
