import { describe, expect, it } from 'vitest';
import { classifiedFields } from '../../connector/classification.js';
import { connect } from '../../connector/connector.js';
import { signWeftWebhook } from '../../connector/signed-webhook.js';
import { WeftError } from '../../contract/errors.js';
import { advanceCursor, resumeCondition } from './changes.js';
import { netsuiteBaseUrl, netsuiteConnector } from './connector.js';
import { externalIdForKey } from './record-actions.js';
import { NetSuiteCustomer, NetSuiteInvoice } from './schemas.js';
import { netsuiteRecordChangeTrigger } from './webhook.js';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records requests and answers from a script, in order. */
function scriptedFetch(answers: { status: number; body?: unknown; headers?: Record<string, string> }[]) {
  const sent: Sent[] = [];
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    sent.push({
      method: String(init?.method),
      url: String(url),
      headers: init?.headers as Record<string, string>,
      body: init?.body === undefined ? undefined : JSON.parse(String(init.body)),
    });
    const a = answers.shift() ?? { status: 500 };
    return new Response(a.body === undefined ? null : JSON.stringify(a.body), {
      status: a.status,
      headers: { 'content-type': 'application/vnd.oracle.resource+json; type=error', ...a.headers },
    });
  }) as typeof fetch;
  return { sent, fetchFn };
}

const baseUrl = netsuiteBaseUrl('1234567_SB1');
const connection = {
  id: 'ns',
  connector: 'netsuite',
  baseUrl,
  auth: {
    kind: 'netsuite-tba' as const,
    accountId: '1234567_SB1',
    consumerKey: 'ck',
    consumerSecret: 'cs',
    tokenId: 'tk',
    tokenSecret: 'ts',
  },
};
const location = (type: string, id: string) => ({ location: `${baseUrl}/record/v1/${type}/${id}` });
const nsError = (status: number, code: string, detail: string, path?: string) => ({
  status,
  body: {
    type: 'https://www.rfc-editor.org/rfc/rfc9110.html',
    title: 'x',
    status,
    'o:errorDetails': [{ detail, 'o:errorCode': code, ...(path ? { 'o:errorPath': path } : {}) }],
  },
});

describe('NetSuite connector requests', () => {
  it('upserts with PUT eid:, signs with TBA for the account realm and reads the id from Location', async () => {
    const { sent, fetchFn } = scriptedFetch([{ status: 204, headers: location('customer', '42') }]);
    const ns = connect(netsuiteConnector, connection, { fetch: fetchFn });
    const out = await ns.run('customers.upsert', {
      externalId: 'crm-7',
      companyName: 'Acme',
      customFields: { custentity_crm_owner: 'ada' },
    });
    expect(out).toEqual({ id: '42', externalId: 'crm-7', location: `${baseUrl}/record/v1/customer/42` });
    expect(sent[0]?.method).toBe('PUT');
    expect(sent[0]?.url).toBe(
      'https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer/eid:crm-7',
    );
    expect(sent[0]?.body).toEqual({ companyName: 'Acme', custentity_crm_owner: 'ada' });
    expect(sent[0]?.headers.authorization).toMatch(
      /^OAuth realm="1234567_SB1", .*oauth_signature_method="HMAC-SHA256"/,
    );
  });

  it('stamps a create with an external id from the key, and looks it up before a retry', async () => {
    const key = 'run-1:step-2';
    const eid = externalIdForKey(key);
    const first = scriptedFetch([{ status: 204, headers: location('salesOrder', '900') }]);
    const ns = connect(netsuiteConnector, connection, { fetch: first.fetchFn });
    const input = { entity: { id: '42' }, item: { items: [{ item: { id: '11' }, quantity: 2 }] } };
    await ns.run('salesOrders.create', input, { idempotencyKey: key, attempt: 1 });
    expect(first.sent[0]?.body).toMatchObject({ externalId: eid });

    // The retry finds the first attempt's record and sends no second POST.
    const retry = scriptedFetch([{ status: 200, body: { id: '900', externalId: eid } }]);
    const again = connect(netsuiteConnector, connection, { fetch: retry.fetchFn });
    const out = await again.run('salesOrders.create', input, { idempotencyKey: key, attempt: 2 });
    expect(out.id).toBe('900');
    expect(retry.sent.map((s) => s.method)).toEqual(['GET']);
    expect(retry.sent[0]?.url).toContain(`/record/v1/salesOrder/eid:${eid}?fields=id%2CexternalId`);
  });

  it('replaces the item sublist when an update sends lines, so a repeat does not append them twice', async () => {
    const { sent, fetchFn } = scriptedFetch([{ status: 204 }, { status: 204 }]);
    const ns = connect(netsuiteConnector, connection, { fetch: fetchFn });
    await ns.run('invoices.update', { id: '5', item: { items: [{ item: { id: '10' }, quantity: 1 }] } });
    await ns.run('invoices.update', { id: '5', memo: 'paid by wire' });
    expect(sent[0]?.url).toMatch(/\/record\/v1\/invoice\/5\?replace=item$/);
    expect(sent[1]?.url).toMatch(/\/record\/v1\/invoice\/5$/);
  });

  it('classifies NetSuite errors by o:errorCode and never keeps the body', async () => {
    const cases: [ReturnType<typeof nsError>, string, boolean][] = [
      [nsError(401, 'INVALID_LOGIN', 'Invalid login attempt.'), 'auth', false],
      [
        nsError(400, 'USER_ERROR', 'Please enter value(s) for: Company Name', 'companyName'),
        'invalid_input',
        false,
      ],
      [nsError(404, 'NONEXISTENT_ID', 'The record instance does not exist.'), 'not_found', false],
      [nsError(429, 'CONCURRENCY_LIMIT_EXCEEDED', 'Too many requests.'), 'rate_limited', true],
      [nsError(400, 'SSS_REQUEST_LIMIT_EXCEEDED', 'RESTlet concurrency exceeded.'), 'rate_limited', true],
      [nsError(500, 'UNEXPECTED_ERROR', 'An unexpected error occurred.'), 'unavailable', true],
    ];
    for (const [answer, code, retryable] of cases) {
      const ns = connect(netsuiteConnector, connection, {
        fetch: scriptedFetch([answer]).fetchFn,
        maxRateLimitRetries: 0,
      });
      const err = (await ns.run('customers.get', { id: '1' }).catch((e: unknown) => e)) as WeftError;
      expect(err).toBeInstanceOf(WeftError);
      expect([err.code, err.retryable]).toEqual([code, retryable]);
      expect(err.details.body).toBeUndefined();
      expect(JSON.stringify(err.toJSON())).not.toContain('"ts"');
    }
  });

  it('declares idempotency on every write and classifies personal and financial fields', () => {
    const strategies = Object.values(netsuiteConnector.actions)
      .filter((a) => a.kind === 'write')
      .map((a) => [a.name, a.kind === 'write' ? a.idempotency.strategy : '']);
    expect(Object.fromEntries(strategies)).toMatchObject({
      'customers.upsert': 'upsert',
      'customers.create': 'ledger',
      'salesOrders.bill': 'ledger',
      'invoices.delete': 'ledger',
    });
    expect(classifiedFields(NetSuiteCustomer)).toMatchObject({ email: ['pii'], balance: ['financial'] });
    expect(classifiedFields(NetSuiteInvoice)).toMatchObject({
      total: ['financial'],
      'item.items[].amount': ['financial'],
    });
  });
});

describe('NetSuite change cursor', () => {
  const t = '2026-01-15 10:00:05';
  it('remembers the ids of the newest second, so a later save in that second is still seen', () => {
    const c1 = advanceCursor(null, [
      { id: '3', lastmodified: '2026-01-15 10:00:04' },
      { id: '9', lastmodified: t },
      { id: '12', lastmodified: t },
    ]);
    expect(c1).toEqual({ t, ids: ['9', '12'] });
    const where = resumeCondition(c1);
    expect(where).toContain(`lastmodifieddate > TO_TIMESTAMP('${t}', 'YYYY-MM-DD HH24:MI:SS')`);
    // id 5 saved later in the same second is not excluded: NOT IN, not "id > 12".
    expect(where).toContain('id NOT IN (9, 12)');
    expect(advanceCursor(c1, [{ id: '5', lastmodified: t }])).toEqual({ t, ids: ['9', '12', '5'] });
    expect(advanceCursor(c1, [])).toBe(c1);
  });

  it('falls back to a strict keyset past 1,000 ids in one second', () => {
    const rows = Array.from({ length: 1001 }, (_, i) => ({ id: String(i + 1), lastmodified: t }));
    const c = advanceCursor(null, rows);
    expect(c).toEqual({ t, afterId: '1001' });
    expect(resumeCondition(c)).toContain('AND id > 1001');
  });
});

describe('NetSuite record-change callouts', () => {
  const body = JSON.stringify({
    id: 'e1',
    type: 'invoice.edit',
    account: '1234567_SB1',
    recordType: 'invoice',
    recordId: '77',
    eventType: 'edit',
    externalId: null,
    lastModifiedDate: '2026-01-15T10:00:05Z',
    occurredAt: '2026-01-15T10:00:06Z',
    fields: { total: 1650 },
  });
  const now = Date.parse('2026-01-15T10:00:06Z');

  it('verifies the Weft signature and dedupes on record, id and modification time', () => {
    const headers = new Headers({ 'x-weft-signature': signWeftWebhook('s3cret', body, now) });
    expect(netsuiteRecordChangeTrigger.verify({ headers, rawBody: body }, ['old', 's3cret'], now)).toEqual({
      ok: true,
    });
    expect(
      netsuiteRecordChangeTrigger.verify({ headers, rawBody: body.replace('1650', '1651') }, ['s3cret'], now),
    ).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const [event] = netsuiteRecordChangeTrigger.parse(body);
    expect(event?.dedupeKey).toBe('invoice:77:2026-01-15T10:00:05Z');
  });
});
