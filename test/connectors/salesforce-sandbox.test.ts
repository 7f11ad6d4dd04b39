import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemSandbox } from '../../sandbox/common/server.js';
import { salesforceSandboxCredentials, startSalesforceSandbox } from '../../sandbox/salesforce/index.js';
import { generateBusiness } from '../../sandbox/seed/business.js';
import { verifyWeftWebhook } from '../../src/connector/signed-webhook.js';
import { startReceiver } from './support/salesforce-harness.js';

/** Sandbox behaviours over raw HTTP, with no connector code involved. */
describe('Salesforce sandbox', () => {
  let sb: SystemSandbox;
  let token: string;
  let clock = Date.UTC(2026, 10, 2, 9, 0, 0);
  const v = '/services/data/v66.0';
  beforeAll(async () => {
    sb = await startSalesforceSandbox({
      port: 0,
      seedBusiness: true,
      now: () => clock,
      sessionTimeoutMs: 3_600_000,
    });
    token = await issueToken('client_credentials');
  });
  afterAll(async () => {
    await sb?.close();
  });

  async function tokenResponse(form: Record<string, string>) {
    const res = await fetch(`${sb.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  }
  async function issueToken(grant: 'client_credentials' | 'refresh_token') {
    const { clientId, clientSecret, refreshToken } = salesforceSandboxCredentials;
    const res = await tokenResponse({
      grant_type: grant,
      client_id: clientId,
      client_secret: clientSecret,
      ...(grant === 'refresh_token' ? { refresh_token: refreshToken } : {}),
    });
    return res.body.access_token as string;
  }
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${sb.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text === '' ? null : (JSON.parse(text) as unknown),
    };
  }
  const soql = (q: string, headers?: Record<string, string>) =>
    call('GET', `${v}/query?q=${encodeURIComponent(q)}`, undefined, headers);
  type Rows = {
    totalSize: number;
    done: boolean;
    nextRecordsUrl?: string;
    records: Record<string, unknown>[];
  };

  it('seeds one coherent, messy org from the business', async () => {
    const accounts = ((await soql('SELECT Id, Name, Website FROM Account')).body as Rows).records;
    const contacts = ((await soql('SELECT Id, AccountId, Email FROM Contact')).body as Rows).records;
    expect(accounts.length).toBeGreaterThanOrEqual(500);
    expect(contacts.length).toBeGreaterThanOrEqual(2000);
    const accountIds = new Set(accounts.map((a) => a.Id));
    expect(contacts.every((c) => accountIds.has(c.AccountId))).toBe(true);
    // True duplicates: two accounts for one company (same domain), spelt differently.
    const domain = (w: unknown) =>
      String(w)
        .replace(/^https?:\/\//, '')
        .replace(/^www\./, '')
        .replace(/\/$/, '');
    const byDomain = new Map<string, Set<string>>();
    for (const a of accounts)
      byDomain.set(domain(a.Website), (byDomain.get(domain(a.Website)) ?? new Set()).add(String(a.Name)));
    expect([...byDomain.values()].filter((names) => names.size > 1).length).toBeGreaterThan(0);
    // Messy spellings: some names are all caps or carry stray spaces.
    expect(
      accounts.some(
        (a) => String(a.Name) === String(a.Name).toUpperCase() || /\s{2}|\s$/.test(String(a.Name)),
      ),
    ).toBe(true);
    // Leads that are really known people, some under a personal email.
    const leads = ((await soql('SELECT Email FROM Lead')).body as Rows).records;
    expect(leads.length).toBeGreaterThan(50);
    expect(
      leads.some((l) =>
        /@(gmail\.com|outlook\.com|yahoo\.com|proton\.me|icloud\.com)$/.test(String(l.Email)),
      ),
    ).toBe(true);
    const count = (await soql('SELECT COUNT() FROM Case WHERE IsClosed = false')).body as Rows;
    expect(count.totalSize).toBeGreaterThan(0);
    expect(count.records).toEqual([]);
  });

  it("carries each paying account's latest product usage, as the business has it", async () => {
    const business = generateBusiness();
    const latest = new Map(business.usage.map((u) => [u.accountKey, u]));
    const q = 'SELECT Name, Usage_Month__c, Monthly_Api_Calls__c, Active_Seats__c FROM Account';
    const withUsage = ((await soql(q)).body as Rows).records.filter((a) => a.Usage_Month__c != null);
    const expected = new Set(business.subscriptions.map((s) => s.accountKey)).size;
    // Every paying account has usage; a hand-made duplicate of one carries it too.
    expect(withUsage.length).toBeGreaterThanOrEqual(expected);
    const months = new Set([...latest.values()].map((u) => u.month));
    const calls = new Set([...latest.values()].map((u) => u.apiCalls));
    for (const a of withUsage) {
      expect(months.has(String(a.Usage_Month__c))).toBe(true);
      expect(calls.has(Number(a.Monthly_Api_Calls__c))).toBe(true);
    }
  });

  it('issues sessions by client credentials or refresh token, refuses bad ones as Salesforce does', async () => {
    const ok = await tokenResponse({
      grant_type: 'client_credentials',
      client_id: salesforceSandboxCredentials.clientId,
      client_secret: salesforceSandboxCredentials.clientSecret,
    });
    expect(ok.body).toMatchObject({ token_type: 'Bearer', instance_url: sb.url });
    expect(typeof (await issueToken('refresh_token'))).toBe('string');
    const bad = await tokenResponse({ grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' });
    expect([bad.status, bad.body.error]).toEqual([400, 'invalid_client']);
    const anonymous = await fetch(`${sb.url}${v}/limits`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual([
      { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' },
    ]);
    // Sessions expire after the org's timeout.
    const old = await issueToken('client_credentials');
    clock += 3_600_001;
    const expired = await fetch(`${sb.url}${v}/limits`, { headers: { authorization: `Bearer ${old}` } });
    expect(expired.status).toBe(401);
    token = await issueToken('client_credentials');
  });

  it('batches SOQL answers and follows nextRecordsUrl to the end', async () => {
    const first = (
      await soql('SELECT Id FROM Contact ORDER BY Id', { 'sforce-query-options': 'batchSize=500' })
    ).body as Rows;
    expect(first.done).toBe(false);
    expect(first.records.length).toBe(500);
    expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v66\.0\/query\/01g[A-Za-z0-9]+-500$/);
    const seen = first.records.map((r) => r.Id);
    let next = first.nextRecordsUrl;
    while (next) {
      const page = (await call('GET', next, undefined, { 'sforce-query-options': 'batchSize=500' }))
        .body as Rows;
      seen.push(...page.records.map((r) => r.Id));
      next = page.done ? undefined : page.nextRecordsUrl;
    }
    expect(seen.length).toBe(first.totalSize);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('answers what its SOQL subset cannot do with MALFORMED_QUERY / INVALID_FIELD', async () => {
    const cases: [string, string][] = [
      ['SELECT Id, Nope FROM Account', 'INVALID_FIELD'],
      ['SELECT Id FROM Account WHERE CreatedDate > 2026-01-01', 'INVALID_FIELD'],
      ["SELECT Id FROM Account WHERE Name = 'a' AND Industry = 'b' OR Rating = 'c'", 'MALFORMED_QUERY'],
      ['SELECT Id, Account.Name FROM Contact', 'INVALID_FIELD'],
      ['SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry', 'MALFORMED_QUERY'],
      ['SELECT Id FROM Account WHERE CreatedDate = TODAY', 'MALFORMED_QUERY'],
      ['SELECT Id FROM Widget__c', 'INVALID_TYPE'],
    ];
    for (const [q, code] of cases) {
      const res = await soql(q);
      expect([q, res.status, (res.body as { errorCode: string }[])[0]?.errorCode]).toEqual([q, 400, code]);
    }
  });

  it('upserts by external id: 201 created, then 200 created:false (204 before v46), updateOnly 404', async () => {
    const path = `${v}/sobjects/Account/Weft_External_Id__c/ERP-1001`;
    const created = await call('PATCH', path, { Name: 'Upsert Co' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ success: true, created: true });
    const updated = await call('PATCH', path, { Industry: 'Retail' });
    expect(updated.body).toEqual({
      id: (created.body as { id: string }).id,
      success: true,
      errors: [],
      created: false,
    });
    expect((await call('PATCH', path.replace('v66.0', 'v45.0'), { Rating: 'Hot' })).status).toBe(204);
    const missing = await call('PATCH', `${v}/sobjects/Account/Weft_External_Id__c/ERP-404?updateOnly=true`, {
      Name: 'x',
    });
    expect(missing.status).toBe(404);
    const invalid = await call('POST', `${v}/sobjects/Contact`, { FirstName: 'No Last Name' });
    expect(invalid).toMatchObject({
      status: 400,
      body: [{ errorCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] }],
    });
  });

  it('refuses over the daily allocation with 403 REQUEST_LIMIT_EXCEEDED and reports usage', async () => {
    const ok = await call('GET', `${v}/limits`);
    expect(ok.headers.get('sforce-limit-info')).toMatch(/^api-usage=\d+\/100000$/);
    await fetch(`${sb.url}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ rateLimit: { requests: 1, windowMs: 60_000 } }),
    });
    await call('GET', `${v}/limits`);
    const refused = await call('GET', `${v}/limits`);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual([
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    expect(refused.headers.get('sforce-limit-info')).toBe('api-usage=1/1');
    await fetch(`${sb.url}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ rateLimit: { requests: 100_000, windowMs: 86_400_000 } }),
    });
  });

  it('runs composite subrequests with references, and rolls all back under allOrNone', async () => {
    const ok = await call('POST', `${v}/composite`, {
      allOrNone: true,
      compositeRequest: [
        {
          method: 'PATCH',
          url: `${v}/sobjects/Account/Weft_External_Id__c/C-1`,
          referenceId: 'acct',
          body: { Name: 'Composite Co' },
        },
        {
          method: 'POST',
          url: `${v}/sobjects/Contact`,
          referenceId: 'ct',
          body: { LastName: 'Ref', AccountId: '@{acct.id}' },
        },
        { method: 'GET', url: `${v}/sobjects/Contact/@{ct.id}?fields=AccountId`, referenceId: 'read' },
      ],
    });
    const responses = (
      ok.body as { compositeResponse: { httpStatusCode: number; body: Record<string, unknown> }[] }
    ).compositeResponse;
    expect(responses.map((r) => r.httpStatusCode)).toEqual([201, 201, 200]);
    expect(responses[2]?.body.AccountId).toBe(responses[0]?.body.id);

    const before = ((await soql('SELECT COUNT() FROM Account')).body as Rows).totalSize;
    const failed = await call('POST', `${v}/composite`, {
      allOrNone: true,
      compositeRequest: [
        { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'a', body: { Name: 'Rolled Back' } },
        {
          method: 'POST',
          url: `${v}/sobjects/Contact`,
          referenceId: 'b',
          body: { FirstName: 'no last name' },
        },
      ],
    });
    const codes = (
      failed.body as { compositeResponse: { body: { errorCode: string }[] }[] }
    ).compositeResponse.map((r) => r.body[0]?.errorCode);
    expect(codes).toEqual(['PROCESSING_HALTED', 'REQUIRED_FIELD_MISSING']);
    expect(((await soql('SELECT COUNT() FROM Account')).body as Rows).totalSize).toBe(before);
  });

  it('sends CDC-shaped change events signed with X-Weft-Signature', async () => {
    const receiver = await startReceiver();
    try {
      await fetch(`${sb.url}/_sandbox/webhooks`, {
        method: 'POST',
        body: JSON.stringify({ url: receiver.url, secret: 's3cret', events: ['ContactChangeEvent'] }),
      });
      const next = receiver.next();
      const created = await call('POST', `${v}/sobjects/Contact`, {
        LastName: 'Event',
        Email: 'ev@example.com',
      });
      const delivery = await next;
      expect(verifyWeftWebhook(delivery, ['s3cret'], delivery.signedAt)).toEqual({ ok: true });
      const event = JSON.parse(delivery.rawBody) as {
        ChangeEventHeader: Record<string, unknown>;
        Email: string;
      };
      expect(event.ChangeEventHeader).toMatchObject({
        entityName: 'Contact',
        changeType: 'CREATE',
        recordIds: [(created.body as { id: string }).id],
        commitTimestamp: clock,
      });
      expect(event.Email).toBe('ev@example.com');
    } finally {
      await sb.kit.webhooks.drain();
      await receiver.close();
    }
  });

  it('answers SystemModstamp delta queries in (SystemModstamp, Id) order, ties included', async () => {
    clock = Date.UTC(2026, 10, 3, 12, 0, 0);
    token = await issueToken('client_credentials');
    await fetch(`${sb.url}/_sandbox/seed`, { method: 'POST', body: JSON.stringify({ Lead: 3 }) });
    const t = new Date(clock).toISOString();
    const tied = (
      (
        await soql(
          `SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp >= ${t} ORDER BY SystemModstamp, Id`,
        )
      ).body as Rows
    ).records;
    expect(tied.length).toBe(3);
    expect(new Set(tied.map((r) => r.SystemModstamp))).toEqual(new Set(['2026-11-03T12:00:00.000+0000']));
    const after = (
      (
        await soql(
          `SELECT Id FROM Lead WHERE (SystemModstamp > ${t} OR (SystemModstamp = ${t} AND Id > '${String(tied[0]?.Id)}')) ORDER BY SystemModstamp, Id`,
        )
      ).body as Rows
    ).records;
    expect(after.map((r) => r.Id)).toEqual(tied.slice(1).map((r) => r.Id));
  });
});
