import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classifiedFields } from '../../connector/classification.js';
import { connect } from '../../connector/connector.js';
import { WeftError } from '../../contract/errors.js';
import { hubspotChangesTrigger } from './changes.js';
import { hubspotConnector } from './connector.js';
import { hubspotRateLimitHeaders } from './rate-limit.js';
import { HubSpotContact, HubSpotDeal } from './schemas.js';
import { hubspotWebhookTrigger, verifyHubSpotSignature } from './webhook.js';

interface Recorded {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records requests and answers from `reply` (default: 200 `{}`). */
function recordingFetch(
  reply: (req: Recorded) => {
    status?: number;
    body?: unknown;
    headers?: Record<string, string>;
  } = () => ({}),
) {
  const requests: Recorded[] = [];
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    const req: Recorded = {
      method: init?.method ?? 'GET',
      url: new URL(String(url)),
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    requests.push(req);
    const r = reply(req);
    return new Response(r.status === 204 ? null : JSON.stringify(r.body ?? {}), {
      status: r.status ?? 200,
      headers: { 'content-type': 'application/json', ...(r.headers ?? {}) },
    });
  }) as typeof fetch;
  return { requests, fetchFn };
}

const token = 'pat-na1-11111111-2222-3333-4444-555555555555';
const open = (fetchFn: typeof fetch, settings: Record<string, string> = {}) =>
  connect(
    hubspotConnector,
    { id: 'hs', connector: 'hubspot', auth: { kind: 'bearer', token }, settings },
    { fetch: fetchFn, maxRateLimitRetries: 0 },
  );

const record = (id: string, props: Record<string, string> = {}, at = '2026-01-01T00:00:00.000Z') => ({
  id,
  properties: { hs_object_id: id, ...props },
  createdAt: at,
  updatedAt: at,
  archived: false,
});

describe('HubSpot connector requests', () => {
  it('upserts a contact by email through batch/upsert with the bearer token', async () => {
    const { requests, fetchFn } = recordingFetch(() => ({
      body: { status: 'COMPLETE', results: [{ ...record('51', { email: 'ada@example.com' }), new: true }] },
    }));
    const out = await open(fetchFn).run('contacts.upsert', {
      id: 'ada@example.com',
      properties: { firstname: 'Ada', numberofemployees: 12 },
    });
    expect(out).toMatchObject({ id: '51', new: true });
    const req = requests[0] as Recorded;
    expect(`${req.method} ${req.url.pathname}`).toBe('POST /crm/v3/objects/contacts/batch/upsert');
    expect(req.headers.authorization).toBe(`Bearer ${token}`);
    expect(req.body).toEqual({
      inputs: [
        {
          id: 'ada@example.com',
          idProperty: 'email',
          properties: { firstname: 'Ada', numberofemployees: 12 },
        },
      ],
    });
  });

  it("upserts companies on the Connection's unique external-id property, not the non-unique domain", async () => {
    const { requests, fetchFn } = recordingFetch(() => ({
      body: { status: 'COMPLETE', results: [{ ...record('7'), new: false }] },
    }));
    await open(fetchFn).run('companies.upsert', { id: 'acct-1', properties: { name: 'Acme' } });
    await open(fetchFn, { externalIdProperty: 'erp_id' }).run('companies.upsert', {
      id: 'C-9',
      properties: {},
    });
    const idProps = requests.map(
      (r) => (r.body as { inputs: { idProperty: string }[] }).inputs[0]?.idProperty,
    );
    expect(idProps).toEqual(['weft_external_id', 'erp_id']);
  });

  it('stamps the idempotency key on create and finds the first try on a retry instead of creating again', async () => {
    const { requests, fetchFn } = recordingFetch((req) =>
      req.method === 'GET'
        ? { body: record('90', { dealname: 'Pilot', weft_idempotency_key: 'run1:s2' }) }
        : { status: 201, body: record('90', { dealname: 'Pilot' }) },
    );
    const hs = open(fetchFn);
    await hs.run(
      'deals.create',
      { properties: { dealname: 'Pilot' } },
      { idempotencyKey: 'run1:s2', attempt: 1 },
    );
    expect(requests[0]?.body).toEqual({ properties: { dealname: 'Pilot', weft_idempotency_key: 'run1:s2' } });
    const again = await hs.run(
      'deals.create',
      { properties: { dealname: 'Pilot' } },
      { idempotencyKey: 'run1:s2', attempt: 2 },
    );
    expect(again).toMatchObject({ id: '90' });
    expect(requests).toHaveLength(2);
    expect(requests[1]?.method).toBe('GET');
    expect(requests[1]?.url.pathname).toBe('/crm/v3/objects/deals/run1%3As2');
    expect(requests[1]?.url.searchParams.get('idProperty')).toBe('weft_idempotency_key');
  });

  it('falls back to search when the idempotency property is not unique in the portal', async () => {
    const { requests, fetchFn } = recordingFetch((req) =>
      req.method === 'GET'
        ? { status: 400, body: { status: 'error', category: 'VALIDATION_ERROR', message: 'not unique' } }
        : { body: { total: 1, results: [record('77', { hs_task_subject: 'Call' })] } },
    );
    const found = await open(fetchFn, { idempotencyProperty: 'weft_key' }).run(
      'tasks.create',
      { properties: { hs_task_subject: 'Call', hs_timestamp: '2026-01-01T00:00:00Z' } },
      { idempotencyKey: 'k1', attempt: 2 },
    );
    expect(found).toMatchObject({ id: '77' });
    expect(requests.map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      'GET /crm/v3/objects/tasks/k1',
      'POST /crm/v3/objects/tasks/search',
    ]);
    expect(requests[1]?.body).toMatchObject({
      filterGroups: [{ filters: [{ propertyName: 'weft_key', operator: 'EQ', value: 'k1' }] }],
    });
  });

  it('looks a retried contact create up by its email', async () => {
    const { requests, fetchFn } = recordingFetch(() => ({
      status: 404,
      body: { status: 'error', category: 'OBJECT_NOT_FOUND', message: 'nope' },
    }));
    await open(fetchFn)
      .run('contacts.create', { properties: { email: 'x@y.example' } }, { idempotencyKey: 'k', attempt: 2 })
      .catch(() => undefined);
    expect(requests[0]?.url.pathname).toBe('/crm/v3/objects/contacts/x%40y.example');
    expect(requests[0]?.url.searchParams.get('idProperty')).toBe('email');
    expect(requests[1]?.method).toBe('POST');
    await expect(
      open(fetchFn).run('contacts.create', { properties: { firstname: 'No email' } }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });

  it('refuses searches over HubSpot limits before sending anything', async () => {
    const { requests, fetchFn } = recordingFetch();
    const group = { filters: [{ propertyName: 'email', operator: 'HAS_PROPERTY' as const }] };
    const tooMany = open(fetchFn).run('contacts.search', {
      filterGroups: Array.from({ length: 6 }, () => group),
    });
    await expect(tooMany).rejects.toMatchObject({ code: 'invalid_input' });
    const total = { filters: Array.from({ length: 9 }, () => group.filters[0]) };
    await expect(
      open(fetchFn).run('contacts.search', { filterGroups: [total, total, total] }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
    });
    expect(requests).toHaveLength(0);
  });

  it('declares an idempotency strategy on every write: upsert by key, or ledger with a look-up for creates', () => {
    for (const action of Object.values(hubspotConnector.actions)) {
      if (action.kind !== 'write') continue;
      const expected =
        action.name.endsWith('.create') && !action.name.startsWith('associations') ? 'ledger' : 'upsert';
      expect([action.name, action.idempotency.strategy]).toEqual([action.name, expected]);
    }
  });

  it('classifies personal and financial fields', () => {
    expect(classifiedFields(HubSpotContact)).toMatchObject({
      'properties.email': ['pii'],
      'properties.phone': ['pii'],
    });
    expect(classifiedFields(HubSpotDeal)).toMatchObject({ 'properties.amount': ['financial'] });
  });
});

describe('HubSpot errors', () => {
  const failing = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    open(recordingFetch(() => ({ status, body, headers })).fetchFn);
  const fail = (c: ReturnType<typeof failing>) =>
    c.run('contacts.list', {}).then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e as WeftError,
    );

  it('maps 401 to a final auth error that never carries the token', async () => {
    const err = await fail(
      failing(401, {
        status: 'error',
        message: `token ${token} is invalid`,
        category: 'INVALID_AUTHENTICATION',
      }),
    );
    expect([err.code, err.retryable]).toEqual(['auth', false]);
    expect(JSON.stringify(err.toJSON())).not.toContain(token);
  });

  it('sends a DAILY 429 to the engine with a wait until the next day', async () => {
    const err = await fail(
      failing(429, { status: 'error', errorType: 'RATE_LIMIT', policyName: 'DAILY', message: 'daily limit' }),
    );
    expect([err.code, err.retryable]).toEqual(['rate_limited', true]);
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(err.retryAfterMs).toBeLessThanOrEqual(86_400_000);
    expect(err.details.policyName).toBe('DAILY');
  });

  it('keeps the existing id of a conflict and the codes of a validation error', async () => {
    const conflict = await fail(
      failing(409, {
        status: 'error',
        category: 'CONFLICT',
        message: 'Contact already exists. Existing ID: 4242',
      }),
    );
    expect([conflict.code, conflict.details.existingId]).toEqual(['conflict', '4242']);
    const invalid = await fail(
      failing(400, {
        status: 'error',
        category: 'VALIDATION_ERROR',
        message: 'Property values were not valid',
        errors: [{ message: 'Property "x" does not exist', code: 'PROPERTY_DOESNT_EXIST' }],
      }),
    );
    expect([invalid.code, invalid.retryable, invalid.details.errorCodes]).toEqual([
      'invalid_input',
      false,
      ['PROPERTY_DOESNT_EXIST'],
    ]);
    expect(invalid.details.body).toBeUndefined();
  });
});

describe('hubspotRateLimitHeaders', () => {
  const read = (headers: Record<string, string>, status = 200) =>
    hubspotRateLimitHeaders({ status, headers: new Headers(headers), now: 1_000 });

  it('holds the Connection for the interval once the window is spent', () => {
    expect(
      read({ 'X-HubSpot-RateLimit-Remaining': '0', 'X-HubSpot-RateLimit-Interval-Milliseconds': '10000' }),
    ).toEqual({ pauseUntil: 11_000 });
    expect(
      read({ 'X-HubSpot-RateLimit-Remaining': '5', 'X-HubSpot-RateLimit-Interval-Milliseconds': '10000' }),
    ).toEqual({});
    expect(read({ 'X-HubSpot-RateLimit-Secondly-Remaining': '0' })).toEqual({ pauseUntil: 2_000 });
    expect(read({ 'Retry-After': '3', 'X-HubSpot-RateLimit-Remaining': '0' }, 429)).toEqual({
      pauseUntil: 4_000,
    });
  });
});

describe('HubSpot webhook signature v3', () => {
  const secret = 'app-client-secret';
  const body =
    '[{"eventId":1,"subscriptionId":2,"portalId":3,"occurredAt":1700000000000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":51}]';
  const url = 'https://weft.example.com/hooks/hubspot?portal=3&source=a%3Ab';
  const timestamp = 1_700_000_000_000;
  // The URI is signed with %3A decoded, as HubSpot's validation guide says.
  const sign = (s: string, t = timestamp) =>
    createHmac('sha256', s)
      .update(`POST${url.replace('%3A', ':')}${body}${t}`)
      .digest('base64');
  const request = (signature: string | null, t = timestamp) => {
    const headers = new Headers({ 'x-hubspot-request-timestamp': String(t) });
    if (signature !== null) headers.set('x-hubspot-signature-v3', signature);
    return { headers, rawBody: body, method: 'POST', url };
  };

  it('accepts a genuine request with any of the rotating secrets', () => {
    expect(
      verifyHubSpotSignature(request(sign(secret)), ['old-secret', secret], timestamp + 299_000),
    ).toEqual({
      ok: true,
    });
  });

  it('rejects a missing, malformed, forged or stale signature, and a request without its URL', () => {
    expect(verifyHubSpotSignature(request(null), [secret], timestamp)).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
    expect(verifyHubSpotSignature(request('abc'), [secret], timestamp)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyHubSpotSignature(request(sign('other')), [secret], timestamp)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifyHubSpotSignature(request(sign(secret)), [secret], timestamp + 301_000)).toEqual({
      ok: false,
      reason: 'stale',
    });
    const { url: _url, ...noUrl } = request(sign(secret));
    expect(verifyHubSpotSignature(noUrl, [secret], timestamp)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('dedupes a redelivery: the attempt number is not part of the key', () => {
    const [first] = hubspotWebhookTrigger.parse(body);
    const [retry] = hubspotWebhookTrigger.parse(body.replace('"attemptNumber":0', '"attemptNumber":1'));
    expect(first?.dedupeKey).toBe(retry?.dedupeKey);
    expect(first?.type).toBe('contact.creation');
  });
});

describe('contacts.changed poll trigger', () => {
  /**
   * A search endpoint that, like HubSpot, honours one sort only: equal timestamps come back in
   * DESCENDING id order, the adversarial case for a cursor.
   */
  function searchServer(rows: { id: string; t: number }[]) {
    return recordingFetch((req) => {
      const body = req.body as {
        filterGroups: { filters: { propertyName: string; operator: string; value: string }[] }[];
        sorts: { propertyName: string }[];
        limit: number;
        after?: string;
      };
      const value = (row: { id: string; t: number }, p: string) =>
        p === 'hs_object_id' ? Number(row.id) : row.t;
      const ok = (
        row: { id: string; t: number },
        f: { propertyName: string; operator: string; value: string },
      ) => {
        const v = value(row, f.propertyName);
        const x = Number(f.value);
        return f.operator === 'GT'
          ? v > x
          : f.operator === 'EQ'
            ? v === x
            : f.operator === 'LTE'
              ? v <= x
              : false;
      };
      const byId = body.sorts[0]?.propertyName === 'hs_object_id';
      const hits = rows
        .filter((r) => body.filterGroups.some((g) => g.filters.every((f) => ok(r, f))))
        .sort((a, b) => (byId ? Number(a.id) - Number(b.id) : a.t - b.t || Number(b.id) - Number(a.id)));
      const offset = Number(body.after ?? 0);
      const page = hits.slice(offset, offset + body.limit);
      return {
        body: {
          total: hits.length,
          results: page.map((r) => {
            const iso = new Date(r.t).toISOString();
            return record(r.id, { lastmodifieddate: iso, createdate: iso }, iso);
          }),
          ...(offset + body.limit < hits.length
            ? { paging: { next: { after: String(offset + body.limit) } } }
            : {}),
        },
      };
    });
  }

  it('delivers every record once when equal timestamps straddle a page boundary', async () => {
    const t0 = Date.parse('2026-05-01T00:00:00Z');
    const rows = [
      { id: '1', t: t0 },
      ...['12', '5', '9', '3', '20', '7', '15'].map((id) => ({ id, t: t0 + 1000 })),
      { id: '2', t: t0 + 2000 },
    ];
    const { fetchFn } = searchServer(rows);
    const hs = open(fetchFn, { pollLagMs: '0' });
    const trigger = hubspotChangesTrigger('contacts', { pageSize: 3 });
    const first = await trigger.fetchChanges(hs.ctx, `${t0 - 1}:0`);
    const seen = first.changes.map((c) => c.dedupeKey);
    expect(seen).toEqual([
      `contact:1:${t0}`,
      ...['3', '5', '7', '9', '12', '15', '20'].map((id) => `contact:${id}:${t0 + 1000}`),
      `contact:2:${t0 + 2000}`,
    ]);
    expect(first.cursor).toBe(`${t0 + 2000}:2`);
    expect((await trigger.fetchChanges(hs.ctx, first.cursor)).changes).toHaveLength(0);

    // A run is never split across polls, even when one poll's budget is smaller than the run.
    const capped = hubspotChangesTrigger('contacts', { pageSize: 3, maxChanges: 1 });
    const one = await capped.fetchChanges(hs.ctx, `${t0}:1`);
    expect([one.changes.length, one.cursor]).toEqual([7, `${t0 + 1000}:20`]);
    // A cursor inside a run resumes after the last id it delivered.
    const resumed = await trigger.fetchChanges(hs.ctx, `${t0 + 1000}:9`);
    expect(resumed.changes.map((c) => (c.payload as { id: string }).id)).toEqual(['12', '15', '20', '2']);
  });

  it('refuses a cursor it did not write', async () => {
    const hs = open(recordingFetch().fetchFn);
    await expect(hubspotChangesTrigger('deals').fetchChanges(hs.ctx, 'yesterday')).rejects.toBeInstanceOf(
      WeftError,
    );
  });
});
