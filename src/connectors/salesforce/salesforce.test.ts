import { describe, expect, it } from 'vitest';
import { type ScriptedAnswer as Answer, scriptedFetch } from '../../../test/support/scripted-fetch.js';
import { classifiedFields } from '../../connector/classification.js';
import { connect } from '../../connector/connector.js';
import { signWeftWebhook } from '../../connector/signed-webhook.js';
import { WeftError } from '../../contract/errors.js';
import { decodeCursor, encodeCursor } from './changes.js';
import { createSalesforceConnector, salesforceConnector } from './connector.js';
import { defaultRequestLimitRetryAfterMs, parseApiUsage, sforceLimitInfoReader } from './errors.js';
import { soqlString } from './query.js';
import { SalesforceRecords } from './schemas.js';
import { salesforceChangeEventTrigger } from './webhook.js';

const base = 'https://acme.my.salesforce.com';
const session = '00DWf0000000001EAA!AQ4AQFakeSessionToken';
const open = (
  fetchFn: typeof fetch,
  settings: Record<string, string> = {},
  connector = salesforceConnector,
) =>
  connect(
    connector,
    { id: 'sf', connector: 'salesforce', baseUrl: base, auth: { kind: 'bearer', token: session }, settings },
    { fetch: fetchFn, maxRateLimitRetries: 0 },
  );

describe('Salesforce connector requests', () => {
  it('pins the API version in every path, configurable per Connection', async () => {
    const { requests, fetchFn } = scriptedFetch({
      status: 200,
      body: { Id: '001Wf0000000001IAA', Name: 'Acme' },
    });
    await open(fetchFn).run('accounts.get', { id: '001Wf0000000001IAA', fields: ['Id', 'Name'] });
    await open(fetchFn, { apiVersion: '62.0' }).run('accounts.get', { id: '001Wf0000000001IAA' });
    expect(requests.map((r) => r.url.toString())).toEqual([
      `${base}/services/data/v66.0/sobjects/Account/001Wf0000000001IAA?fields=Id%2CName`,
      `${base}/services/data/v62.0/sobjects/Account/001Wf0000000001IAA`,
    ]);
    expect(requests[0]?.headers.authorization).toBe(`Bearer ${session}`);
  });

  it('upserts by external id: the key in the URL, not in the body; 204 (old versions) reads the id back', async () => {
    const { requests, fetchFn } = scriptedFetch(
      { status: 201, body: { id: '003Wf0000000001IAA', success: true, errors: [], created: true } },
      { status: 204 },
      { status: 200, body: { attributes: { type: 'Contact' }, Id: '003Wf0000000001IAA' } },
    );
    const c = open(fetchFn);
    const input = { externalId: 'crm/42', fields: { LastName: 'Lovelace', Weft_External_Id__c: 'crm/42' } };
    await expect(c.run('contacts.upsert', input)).resolves.toEqual({
      id: '003Wf0000000001IAA',
      created: true,
    });
    await expect(c.run('contacts.upsert', input)).resolves.toEqual({
      id: '003Wf0000000001IAA',
      created: false,
    });
    expect(requests[0]?.method).toBe('PATCH');
    expect(requests[0]?.url.toString()).toBe(
      `${base}/services/data/v66.0/sobjects/Contact/Weft_External_Id__c/crm%2F42`,
    );
    expect(JSON.parse(requests[0]?.body ?? '{}')).toEqual({ LastName: 'Lovelace' });
    expect(requests[2]?.url.toString()).toContain('/sobjects/Contact/Weft_External_Id__c/crm%2F42?fields=Id');
  });

  it('stamps creates with the idempotency key in the configured field', async () => {
    const { requests, fetchFn } = scriptedFetch({
      status: 201,
      body: { id: '00QWf0000000001IAA', success: true, errors: [] },
    });
    await open(fetchFn, { idempotencyKeyField: 'Integration_Key__c' }).run(
      'leads.create',
      { fields: { LastName: 'Hopper', Company: 'Navy' } },
      { idempotencyKey: 'run1:s1:0', attempt: 1 },
    );
    expect(JSON.parse(requests[0]?.body ?? '{}')).toEqual({
      LastName: 'Hopper',
      Company: 'Navy',
      Integration_Key__c: 'run1:s1:0',
    });
  });

  it('declares how every write stays free of duplicates', () => {
    const writes = Object.values(salesforceConnector.actions).filter((a) => a.kind === 'write');
    expect(writes.length).toBe(6 * 4 + 1);
    for (const a of writes)
      if (a.kind === 'write') expect(['upsert', 'ledger']).toContain(a.idempotency.strategy);
  });

  it('escapes SOQL string literals', () => {
    expect(soqlString("O'Brien \\ x")).toBe("'O\\'Brien \\\\ x'");
  });

  it('classifies personal and financial fields', () => {
    expect(classifiedFields(SalesforceRecords.Contact)).toMatchObject({
      Email: ['pii'],
      MailingCity: ['pii'],
      Birthdate: ['pii'],
    });
    expect(classifiedFields(SalesforceRecords.Opportunity)).toMatchObject({
      Amount: ['financial'],
      Description: ['confidential'],
    });
  });
});

describe('Salesforce errors', () => {
  const err = async (answer: Answer, connector = salesforceConnector) =>
    (await open(scriptedFetch(answer).fetchFn, {}, connector)
      .run('limits.get', {})
      .catch((e: unknown) => e)) as WeftError;

  it('treats the daily-limit 403 as rate_limited with a long wait, configurable', async () => {
    const limit = {
      status: 403,
      body: [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
    };
    const e = await err(limit);
    expect([e.code, e.retryable, e.retryAfterMs]).toEqual([
      'rate_limited',
      true,
      defaultRequestLimitRetryAfterMs,
    ]);
    const short = await err(limit, createSalesforceConnector({ requestLimitRetryAfterMs: 5_000 }));
    expect(short.retryAfterMs).toBe(5_000);
    const concurrent = await err({
      status: 403,
      body: [{ message: 'ConcurrentRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
    });
    expect(concurrent.retryAfterMs).toBe(5_000);
  });

  it('maps the error array: session → auth, access → forbidden, lock → retryable conflict, 300 → conflict', async () => {
    const cases: [Answer, string, boolean][] = [
      [
        {
          status: 401,
          body: [{ message: `Session expired or invalid ${session}`, errorCode: 'INVALID_SESSION_ID' }],
        },
        'auth',
        false,
      ],
      [
        { status: 403, body: [{ message: 'no', errorCode: 'INSUFFICIENT_ACCESS_OR_READONLY' }] },
        'forbidden',
        false,
      ],
      [{ status: 400, body: [{ message: 'locked', errorCode: 'UNABLE_TO_LOCK_ROW' }] }, 'conflict', true],
      [
        {
          status: 300,
          body: ['/services/data/v66.0/sobjects/Account/001A', '/services/data/v66.0/sobjects/Account/001B'],
        },
        'conflict',
        false,
      ],
      [
        {
          status: 400,
          body: [
            {
              message: 'Required fields are missing: [LastName]',
              errorCode: 'REQUIRED_FIELD_MISSING',
              fields: ['LastName'],
            },
          ],
        },
        'invalid_input',
        false,
      ],
      [{ status: 503, body: [{ message: 'down', errorCode: 'SERVER_UNAVAILABLE' }] }, 'unavailable', true],
    ];
    for (const [answer, code, retryable] of cases) {
      const e = await err(answer);
      expect([answer.status, e.code, e.retryable]).toEqual([answer.status, code, retryable]);
      expect(JSON.stringify(e.toJSON())).not.toContain('FakeSessionToken');
    }
    expect((await err(cases[4]?.[0] as Answer)).details).toMatchObject({
      errorCode: 'REQUIRED_FIELD_MISSING',
      fields: ['LastName'],
    });
  });

  it('reads Sforce-Limit-Info and pauses the Connection when the allocation is spent', () => {
    expect(parseApiUsage('api-usage=18/5000; per-app-api-usage=17/250(appName=x)')).toEqual({
      used: 18,
      max: 5000,
    });
    expect(parseApiUsage('per-app-api-usage=17/250(appName=x)')).toBeUndefined();
    const read = sforceLimitInfoReader({ retryAfterMs: 60_000 });
    const at = (v: string) =>
      read({ status: 200, headers: new Headers({ 'sforce-limit-info': v }), now: 1000 });
    expect(at('api-usage=4999/5000')).toEqual({});
    expect(at('api-usage=5000/5000')).toEqual({ pauseUntil: 61_000 });
  });
});

describe('Salesforce poll triggers', () => {
  const row = (id: string, stamp: string) => ({
    attributes: { type: 'Account' },
    Id: id,
    Name: id,
    SystemModstamp: stamp,
  });

  it('resumes after the (SystemModstamp, Id) of the last record, following nextRecordsUrl', async () => {
    const stamp = '2026-11-05T08:00:00.000+0000';
    const { requests, fetchFn } = scriptedFetch(
      {
        status: 200,
        body: {
          totalSize: 3,
          done: false,
          nextRecordsUrl: '/services/data/v66.0/query/01gX-2',
          records: [row('001A00000000001AAA', stamp), row('001A00000000002AAA', stamp)],
        },
      },
      { status: 200, body: { totalSize: 3, done: true, records: [row('001A00000000003AAA', stamp)] } },
      { status: 200, body: { totalSize: 0, done: true, records: [] } },
    );
    const c = open(fetchFn, { pollFrom: '2026-11-01T00:00:00Z', pollLimit: '3' });
    const trigger = salesforceConnector.pollTriggers?.accounts;
    if (!trigger) throw new Error('accounts trigger missing');
    const first = await trigger.fetchChanges(c.ctx, null);
    expect(first.changes.map((e) => e.dedupeKey)).toEqual([
      `Account:001A00000000001AAA:${Date.UTC(2026, 10, 5, 8)}`,
      `Account:001A00000000002AAA:${Date.UTC(2026, 10, 5, 8)}`,
      `Account:001A00000000003AAA:${Date.UTC(2026, 10, 5, 8)}`,
    ]);
    expect(first.cursor).toBe(encodeCursor(Date.UTC(2026, 10, 5, 8), '001A00000000003AAA'));
    const q1 = requests[0]?.url.searchParams.get('q');
    expect(q1).toContain(
      'WHERE SystemModstamp >= 2026-11-01T00:00:00.000Z ORDER BY SystemModstamp ASC, Id ASC LIMIT 3',
    );
    expect(requests[1]?.url.toString()).toBe(`${base}/services/data/v66.0/query/01gX-2`);

    const second = await trigger.fetchChanges(c.ctx, first.cursor);
    expect(second).toEqual({ changes: [], cursor: first.cursor });
    const q2 = requests[2]?.url.searchParams.get('q');
    expect(q2).toContain(
      "WHERE (SystemModstamp > 2026-11-05T08:00:00.000Z OR (SystemModstamp = 2026-11-05T08:00:00.000Z AND Id > '001A00000000003AAA'))",
    );
  });

  it('refuses a cursor it did not write', () => {
    expect(() => decodeCursor("2026-01-01T00:00:00Z|x' OR Id != '")).toThrow(WeftError);
  });
});

describe('Salesforce change-event webhook', () => {
  const event = {
    ChangeEventHeader: {
      entityName: 'Contact',
      recordIds: ['003A00000000001AAA', '003A00000000002AAA'],
      changeType: 'UPDATE',
      changedFields: ['Email'],
      commitTimestamp: 1_767_000_000_000,
      transactionKey: 't-1',
    },
    Email: 'ada@example.com',
  };
  const rawBody = JSON.stringify({ events: [event] });
  const now = 1_767_000_000_000;

  it('verifies the Weft signature (rotation, tampering, age)', () => {
    const headers = new Headers({ 'x-weft-signature': signWeftWebhook('new', rawBody, now) });
    expect(salesforceChangeEventTrigger.verify({ headers, rawBody }, ['old', 'new'], now)).toEqual({
      ok: true,
    });
    expect(
      salesforceChangeEventTrigger.verify({ headers, rawBody: rawBody.replace('ada', 'eve') }, ['new'], now),
    ).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(salesforceChangeEventTrigger.verify({ headers, rawBody }, ['new'], now + 301_000)).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  it('yields one event per record id, deduped like the poll triggers', () => {
    const events = salesforceChangeEventTrigger.parse(rawBody);
    expect(events.map((e) => [e.type, e.dedupeKey])).toEqual([
      ['Contact.updated', `Contact:003A00000000001AAA:${now}`],
      ['Contact.updated', `Contact:003A00000000002AAA:${now}`],
    ]);
    expect(salesforceChangeEventTrigger.parse(JSON.stringify(event))).toHaveLength(2);
    expect(() => salesforceChangeEventTrigger.parse('{"hello":1}')).toThrow(WeftError);
  });
});
