import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemSandbox } from '../../sandbox/common/server.js';
import { defaultOAuth2Client, startNetSuiteSandbox } from '../../sandbox/netsuite/index.js';
import { accountNameIn, duplicatedAccountsIn, generateBusiness } from '../../sandbox/seed/index.js';
import { connect } from '../../src/connector/connector.js';
import { netsuiteTbaHeader } from '../../src/connector/oauth1.js';
import type { WebhookRequest } from '../../src/connector/triggers.js';
import { customerChanges, invoiceChanges } from '../../src/connectors/netsuite/changes.js';
import { netsuiteConnector } from '../../src/connectors/netsuite/connector.js';
import { suiteQlRows } from '../../src/connectors/netsuite/suiteql.js';
import { netsuiteRecordChangeTrigger } from '../../src/connectors/netsuite/webhook.js';
import { WeftError } from '../../src/contract/errors.js';
import { startReceiver } from './support/netsuite-harness.js';

let sb: SystemSandbox;
const tba = () => {
  const auth = sb.connection.auth;
  if (auth.kind !== 'netsuite-tba') throw new Error('expected TBA credentials');
  return auth;
};
const client = (settings: Record<string, string> = {}) =>
  connect(
    netsuiteConnector,
    {
      id: 'ns',
      connector: 'netsuite',
      baseUrl: sb.connection.baseUrl,
      auth: sb.connection.auth,
      settings,
      limits: { requestsPerSecond: 500, burst: 100 },
    },
    { maxRateLimitRetries: 0 },
  );

/** A hand-signed request, so a test controls nonce, timestamp and credentials. */
async function raw(
  method: string,
  path: string,
  opts: {
    body?: unknown;
    headers?: Record<string, string>;
    nonce?: string;
    timestamp?: number;
    tokenSecret?: string;
  } = {},
) {
  const url = new URL(`${sb.connection.baseUrl}${path}`);
  const authorization = netsuiteTbaHeader({
    credentials: { ...tba(), ...(opts.tokenSecret ? { tokenSecret: opts.tokenSecret } : {}) },
    method,
    url,
    timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
    nonce: opts.nonce ?? randomUUID(),
  });
  const res = await fetch(url, {
    method,
    headers: { authorization, 'content-type': 'application/json', ...opts.headers },
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
  };
}

const errorCode = (body: Record<string, unknown> | null) =>
  (body?.['o:errorDetails'] as { 'o:errorCode': string }[] | undefined)?.[0]?.['o:errorCode'];

beforeAll(async () => {
  sb = await startNetSuiteSandbox({ seedBusiness: true });
});
afterAll(async () => {
  await sb?.close();
});

describe('NetSuite sandbox: the seeded business', () => {
  it('holds paying accounts as customers with messy names, a true duplicate, and coherent invoices', async () => {
    const biz = generateBusiness();
    const c = client();
    const customers = [];
    for await (const row of suiteQlRows(c.ctx, 'SELECT id, companyname, email FROM customer ORDER BY id'))
      customers.push(row);
    const paying = biz.accounts.filter((a) => biz.subscriptions.some((s) => s.accountKey === a.key));
    const names = new Set(customers.map((r) => r.companyname));
    const dups = duplicatedAccountsIn('netsuite', biz).filter((a) => paying.includes(a));
    expect(dups.length).toBeGreaterThan(0);
    expect(customers.length).toBe(paying.length + dups.length);
    // Names as finance typed them, not the canonical legal name.
    expect(paying.every((a) => names.has(accountNameIn('netsuite', a)))).toBe(true);
    expect(paying.filter((a) => !names.has(a.name)).length).toBeGreaterThan(paying.length / 5);

    const invoices = [];
    for await (const row of suiteQlRows(
      c.ctx,
      "SELECT id, entity, createdfrom, foreigntotal, foreignamountremaining FROM transaction WHERE type = 'CustInvc'",
    ))
      invoices.push(row);
    expect(invoices.length).toBe(biz.invoices.length);
    const customerIds = new Set(customers.map((r) => r.id));
    expect(invoices.every((i) => customerIds.has(i.entity) && i.createdfrom !== undefined)).toBe(true);

    // The invoice poll trigger reads the same set through its keyset cursor, each invoice once.
    const polled = await invoiceChanges.fetchChanges(c.ctx, null);
    expect(polled.changes.length).toBe(invoices.length);
    expect(new Set(polled.changes.map((ch) => ch.dedupeKey)).size).toBe(invoices.length);
    expect(polled.changes[0]?.payload.trandate).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const one = await c.run('invoices.get', { id: String(invoices[7]?.id) });
    const lines = one.item?.items ?? [];
    expect(lines.length).toBeGreaterThan(0);
    expect(one.total).toBeCloseTo(
      lines.reduce((s, l) => s + (l.amount ?? 0), 0),
      2,
    );
    expect(one.createdFrom?.id).toBe(String(invoices[7]?.createdfrom));
  });
});

describe('NetSuite sandbox: token-based auth', () => {
  it('refuses a replayed nonce, a stale timestamp, a wrong secret and a tampered query', async () => {
    const nonce = randomUUID();
    expect((await raw('GET', '/record/v1/customer?limit=1', { nonce })).status).toBe(200);
    const replay = await raw('GET', '/record/v1/customer?limit=1', { nonce });
    expect([replay.status, errorCode(replay.body)]).toEqual([401, 'INVALID_LOGIN']);
    expect(replay.headers.get('x-sandbox-auth-failure')).toBe('replayed_nonce');

    const stale = await raw('GET', '/record/v1/customer', { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.headers.get('x-sandbox-auth-failure')).toBe('stale_timestamp');
    const wrong = await raw('GET', '/record/v1/customer', { tokenSecret: 'nope' });
    expect(wrong.headers.get('x-sandbox-auth-failure')).toBe('bad_signature');

    // The query string is part of the signature: a changed limit fails it.
    const url = new URL(`${sb.connection.baseUrl}/record/v1/customer?limit=1`);
    const authorization = netsuiteTbaHeader({
      credentials: tba(),
      method: 'GET',
      url,
      timestamp: Math.floor(Date.now() / 1000),
      nonce: randomUUID(),
    });
    const tampered = await fetch(`${sb.connection.baseUrl}/record/v1/customer?limit=2`, {
      headers: { authorization },
    });
    expect(tampered.status).toBe(401);
  });

  it('accepts OAuth 2.0 access tokens from the refresh-token grant', async () => {
    const c = connect(netsuiteConnector, {
      id: 'ns-oauth2',
      connector: 'netsuite',
      baseUrl: sb.connection.baseUrl,
      auth: {
        kind: 'oauth2-refresh-token',
        tokenUrl: `${sb.connection.baseUrl}/auth/oauth2/v1/token`,
        ...defaultOAuth2Client,
      },
    });
    await expect(c.run('customers.list', { limit: 1 })).resolves.toMatchObject({ count: 1 });
    const bad = await fetch(`${sb.connection.baseUrl}/record/v1/customer`, {
      headers: { authorization: 'Bearer forged' },
    });
    expect(bad.status).toBe(401);
  });
});

describe('NetSuite sandbox: records', () => {
  it('creates with 204 + Location, upserts by eid without duplicates, and refuses a mismatched eid', async () => {
    const created = await raw('POST', '/record/v1/customer', { body: { companyName: 'Location Test Oy' } });
    expect(created.status).toBe(204);
    expect(created.body).toBeNull();
    expect(created.headers.get('location')).toMatch(/\/services\/rest\/record\/v1\/customer\/\d+$/);

    const c = client();
    const before = (await c.run('customers.list', { limit: 1 })).totalResults;
    const first = await c.run('customers.upsert', { externalId: 'crm-acme-1', companyName: 'Acme' });
    const again = await c.run('customers.upsert', { externalId: 'crm-acme-1', companyName: 'Acme Inc.' });
    expect(again.id).toBe(first.id);
    expect((await c.run('customers.list', { limit: 1 })).totalResults).toBe(before + 1);
    expect((await c.run('customers.get', { externalId: 'crm-acme-1' })).companyName).toBe('Acme Inc.');

    const order = await c.run('salesOrders.upsert', {
      externalId: 'crm-deal-1',
      entity: { externalId: 'crm-acme-1' },
      item: { items: [{ item: { id: '11' }, quantity: 4 }] },
    });
    // PUT replaces the sublist, so repeating the upsert does not double the lines.
    await c.run('salesOrders.upsert', {
      externalId: 'crm-deal-1',
      entity: { externalId: 'crm-acme-1' },
      item: { items: [{ item: { id: '11' }, quantity: 4 }] },
    });
    const so = await c.run('salesOrders.get', { id: order.id });
    expect([so.item?.items?.length, so.total, so.entity?.id]).toEqual([1, 196, first.id]);

    const mismatch = await raw('PUT', '/record/v1/customer/eid:crm-acme-1', {
      body: { externalId: 'other', companyName: 'X' },
    });
    expect([mismatch.status, errorCode(mismatch.body)]).toEqual([400, 'USER_ERROR']);
    const err = await c
      .run('salesOrders.create', {
        entity: { id: '999999' },
        item: { items: [{ item: { id: '11' }, quantity: 1 }] },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftError);
    expect([(err as WeftError).code, (err as WeftError).details.netsuiteCode]).toEqual([
      'invalid_input',
      'USER_ERROR',
    ]);
  });

  it('bills a sales order into an invoice and refuses to delete a customer with transactions', async () => {
    const c = client();
    const cust = await c.run('customers.upsert', {
      externalId: 'crm-bill-1',
      companyName: 'Billing Test BV',
    });
    const so = await c.run('salesOrders.create', {
      entity: { id: cust.id },
      item: {
        items: [
          { item: { id: '10' }, quantity: 10 },
          { item: { id: '30' }, quantity: 1 },
        ],
      },
    });
    const inv = await c.run('salesOrders.bill', { salesOrderId: so.id });
    const invoice = await c.run('invoices.get', { id: inv.id });
    expect([invoice.createdFrom?.id, invoice.total, invoice.amountRemaining]).toEqual([so.id, 1650, 1650]);
    const blocked = await c.run('customers.delete', { id: cust.id }).catch((e: unknown) => e);
    expect((blocked as WeftError).code).toBe('invalid_input');
  });

  it('pages with limit/offset links and filters with q', async () => {
    const page = await raw('GET', '/record/v1/customer?limit=5&offset=5');
    const rels = ((page.body?.links ?? []) as { rel: string }[]).map((l) => l.rel);
    expect(rels).toEqual(['previous', 'first', 'next', 'last', 'self']);
    expect(page.body).toMatchObject({ count: 5, offset: 5, hasMore: true });
    const odd = await raw('GET', '/record/v1/customer?limit=5&offset=3');
    expect([odd.status, errorCode(odd.body)]).toEqual([400, 'INVALID_PARAMETER']);
    const c = client();
    const found = await c.run('customers.list', { q: 'companyName START_WITH "billing test"' });
    expect(found.totalResults).toBe(1);
  });
});

describe('NetSuite sandbox: SuiteQL', () => {
  it('needs Prefer: transient and refuses what its subset does not support', async () => {
    const noPrefer = await raw('POST', '/query/v1/suiteql', { body: { q: 'SELECT id FROM customer' } });
    expect([noPrefer.status, errorCode(noPrefer.body)]).toEqual([400, 'INVALID_HEADER']);
    const join = await raw('POST', '/query/v1/suiteql', {
      body: { q: 'SELECT c.id FROM customer c JOIN transaction t ON t.entity = c.id' },
      headers: { prefer: 'transient' },
    });
    expect([join.status, errorCode(join.body)]).toEqual([400, 'INVALID_PARAMETER']);
    const column = await client()
      .run('suiteql.query', { q: 'SELECT nosuchcolumn FROM customer' })
      .catch((e: unknown) => e);
    expect((column as WeftError).code).toBe('invalid_input');
  });

  it('filters on lastmodifieddate with TO_TIMESTAMP and pages with hasMore', async () => {
    const c = client();
    const page = await c.run('suiteql.query', {
      q: "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lmd FROM transaction WHERE type = 'CustInvc' AND lastmodifieddate >= TO_TIMESTAMP('2026-10-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS') ORDER BY lastmodifieddate, id",
      limit: 50,
    });
    expect(page.hasMore).toBe(true);
    const stamps = page.items.map((r) => String(r.lmd));
    expect(stamps.every((s) => s >= '2026-10-01 00:00:00')).toBe(true);
    expect([...stamps].sort()).toEqual(stamps);
  });
});

describe('NetSuite sandbox: governance and callouts', () => {
  it('answers 429 when more requests run at once than the account allows', async () => {
    const admin = (path: string, body: unknown) =>
      fetch(`${sb.url}/_sandbox/${path}`, { method: 'POST', body: JSON.stringify(body) });
    await admin('governance', { concurrencyLimit: 2 });
    await admin('faults', { latencyMs: 150 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => raw('GET', '/record/v1/customer?limit=1')),
      );
      const refused = answers.filter((a) => a.status === 429);
      expect(refused.length).toBe(3);
      expect(errorCode(refused[0]?.body ?? null)).toBe('CONCURRENCY_LIMIT_EXCEEDED');
      expect(refused[0]?.headers.get('retry-after')).toBeNull();
    } finally {
      await admin('governance', { concurrencyLimit: 15 });
      await admin('faults', { latencyMs: 0 });
    }
  });

  it('sends signed record-change callouts for edits and deletes', async () => {
    const receiver = await startReceiver();
    const secret = 'callout-secret';
    await fetch(`${sb.url}/_sandbox/webhooks`, {
      method: 'POST',
      body: JSON.stringify({ url: receiver.url, secret, events: ['customer.edit', 'customer.delete'] }),
    });
    try {
      const c = client();
      const cust = await c.run('customers.create', { companyName: 'Callout AB' });
      const edited = receiver.next();
      await c.run('customers.update', { id: cust.id, email: 'ap@callout.example' });
      const edit = (await edited) as WebhookRequest & { signedAt: number };
      expect(netsuiteRecordChangeTrigger.verify(edit, [secret], edit.signedAt)).toEqual({ ok: true });
      const [event] = netsuiteRecordChangeTrigger.parse(edit.rawBody);
      expect(event?.type).toBe('customer.edit');
      expect(event?.payload.fields?.email).toBe('ap@callout.example');
      const deleted = receiver.next();
      await c.run('customers.delete', { id: cust.id });
      const [gone] = netsuiteRecordChangeTrigger.parse((await deleted).rawBody);
      expect(gone?.dedupeKey).toBe(`customer:${cust.id}:deleted`);
    } finally {
      await receiver.close();
    }
  });
});

describe('NetSuite poll trigger against the sandbox', () => {
  it('emits every record once when many share one lastmodifieddate across page boundaries', async () => {
    const fresh = await startNetSuiteSandbox();
    try {
      await fetch(`${fresh.url}/_sandbox/seed`, {
        method: 'POST',
        body: JSON.stringify({ customers: 7, lastModifiedDate: '2026-01-15T10:00:05Z' }),
      });
      const c = connect(netsuiteConnector, {
        id: 'p',
        connector: 'netsuite',
        ...fresh.connection,
        settings: { pollPageSize: '3', pollMaxPages: '1' },
      });
      const trigger = customerChanges;
      const keys: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 6; i++) {
        const out = await trigger.fetchChanges(c.ctx, cursor);
        keys.push(...out.changes.map((ch) => ch.dedupeKey));
        cursor = out.cursor;
      }
      expect(keys.length).toBe(7);
      expect(new Set(keys).size).toBe(7);
      expect(keys.every((k) => k.endsWith(':2026-01-15 10:00:05'))).toBe(true);

      // A change after the cursor is picked up, and only it.
      await fetch(`${fresh.url}/_sandbox/seed`, {
        method: 'POST',
        body: JSON.stringify({ customers: 1, lastModifiedDate: '2026-01-15T10:00:05Z' }),
      });
      const next = await trigger.fetchChanges(c.ctx, cursor);
      expect(next.changes.map((ch) => ch.payload.companyname)).toEqual(['Sandbox Customer 8']);
    } finally {
      await fresh.close();
    }
  });
});
