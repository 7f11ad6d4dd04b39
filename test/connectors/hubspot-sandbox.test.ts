import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubSpotSandbox, startHubSpotSandbox } from '../../sandbox/hubspot/index.js';
import {
  type Account,
  accountNameIn,
  duplicatedAccountsIn,
  generateBusiness,
} from '../../sandbox/seed/index.js';
import { connect } from '../../src/connector/connector.js';
import { hubspotChangesTrigger } from '../../src/connectors/hubspot/changes.js';
import { hubspotConnector } from '../../src/connectors/hubspot/connector.js';
import { hubspotWebhookTrigger } from '../../src/connectors/hubspot/webhook.js';
import { startReceiver } from './support/hubspot-harness.js';

type Json = Record<string, unknown> & { results?: Record<string, unknown>[] };

/** Sandbox behaviours the contract suite does not cover, over raw HTTP unless a connector is the point. */
describe('HubSpot sandbox', () => {
  let sb: HubSpotSandbox;
  beforeAll(async () => {
    // Search has its own 5/s limit at HubSpot; these tests search faster than that on purpose.
    sb = await startHubSpotSandbox({ port: 0, seedBusiness: true, searchRequestsPerSecond: 0 });
  });
  afterAll(async () => {
    await sb?.close();
  });
  const call = async (method: string, path: string, body?: unknown, token = sb.privateAppToken) => {
    const res = await fetch(`${sb.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const searchContacts = (body: unknown) => call('POST', '/crm/v3/objects/contacts/search', body);
  const hubspot = (settings: Record<string, string> = {}) =>
    connect(hubspotConnector, {
      id: 'hs',
      connector: 'hubspot',
      baseUrl: sb.url,
      auth: { kind: 'bearer', token: sb.privateAppToken },
      settings: { pollLagMs: '0', ...settings },
    });

  it('seeds the business as HubSpot holds it: messy names and emails, a few true duplicates, all associated', async () => {
    const business = generateBusiness();
    const stats = (await (await fetch(`${sb.url}/_sandbox/stats`)).json()) as {
      objects: Record<string, number>;
    };
    expect(stats.objects.companies).toBeGreaterThan(business.accounts.length);
    expect(stats.objects.contacts).toBeGreaterThan(business.contacts.length);
    expect(stats.objects.deals).toBe(business.deals.length);

    // A true duplicate: the same company typed in twice by hand, spelt differently.
    const duplicated = duplicatedAccountsIn('hubspot', business)[0] as Account;
    const twice = await call('POST', '/crm/v3/objects/companies/search', {
      filterGroups: [{ filters: [{ propertyName: 'domain', operator: 'EQ', value: duplicated.domain }] }],
    });
    expect(twice.body.total).toBe(2);
    const names = twice.body.results?.map((r) => (r.properties as Json).name);
    expect(new Set(names).size).toBe(2);
    expect(names).toContain(accountNameIn('hubspot', duplicated));

    // Some contacts are known by a personal address; every contact hangs off a company.
    const personal = await searchContacts({
      filterGroups: [
        { filters: [{ propertyName: 'email', operator: 'CONTAINS_TOKEN', value: '*@gmail.com' }] },
      ],
    });
    expect(personal.body.total).toBeGreaterThan(0);
    const first = await call('GET', '/crm/v3/objects/contacts?limit=5&associations=companies');
    for (const c of first.body.results ?? []) expect(c.associations).toHaveProperty('companies');
  });

  it('pages lists with after and refuses a limit over 100', async () => {
    const one = await call('GET', '/crm/v3/objects/deals?limit=2&properties=dealname,amount');
    expect(one.body.results).toHaveLength(2);
    expect(Object.keys(one.body.results?.[0]?.properties as object).sort()).toEqual(['amount', 'dealname']);
    const after = (one.body.paging as { next: { after: string } }).next.after;
    const two = await call('GET', `/crm/v3/objects/deals?limit=2&after=${after}`);
    expect(two.body.results?.[0]?.id).not.toBe(one.body.results?.[1]?.id);
    expect((await call('GET', '/crm/v3/objects/deals?limit=101')).status).toBe(400);
  });

  it('enforces the search limits with 400s', async () => {
    const group = { filters: [{ propertyName: 'email', operator: 'HAS_PROPERTY' }] };
    expect((await searchContacts({ filterGroups: Array.from({ length: 6 }, () => group) })).status).toBe(400);
    expect((await searchContacts({ limit: 201 })).status).toBe(400);
    const deep = await searchContacts({ limit: 100, after: '9950' });
    expect([deep.status, deep.body.category]).toEqual([400, 'VALIDATION_ERROR']);
    const unknown = await searchContacts({
      filterGroups: [{ filters: [{ propertyName: 'nope', operator: 'EQ', value: 'x' }] }],
    });
    expect((unknown.body.errors as { code: string }[])[0]?.code).toBe('PROPERTY_DOESNT_EXIST');
  });

  it('upserts by email (new, then not new), refuses a non-unique idProperty, and answers 409 on a duplicate create', async () => {
    const upsert = (email: string, idProperty = 'email') =>
      call('POST', '/crm/v3/objects/contacts/batch/upsert', {
        inputs: [{ id: email, idProperty, properties: { firstname: 'Grace' } }],
      });
    const created = await upsert('Grace.Hopper@Navy.example');
    const again = await upsert('grace.hopper@navy.example');
    expect(created.body.results?.[0]).toMatchObject({ new: true });
    expect(again.body.results?.[0]).toMatchObject({ new: false, id: created.body.results?.[0]?.id });
    expect((again.body.results?.[0]?.properties as Json | undefined)?.email).toBe(
      'grace.hopper@navy.example',
    );

    const byDomain = await call('POST', '/crm/v3/objects/companies/batch/upsert', {
      inputs: [{ id: 'acme.example', idProperty: 'domain', properties: {} }],
    });
    expect(byDomain.status).toBe(400);

    const dup = await call('POST', '/crm/v3/objects/contacts', {
      properties: { email: 'grace.hopper@navy.example' },
    });
    expect([dup.status, dup.body.category]).toEqual([409, 'CONFLICT']);
    expect(dup.body.message).toContain(`Existing ID: ${created.body.results?.[0]?.id}`);
    const noDue = await call('POST', '/crm/v3/objects/tasks', { properties: { hs_task_subject: 'x' } });
    expect(noDue.status).toBe(400);
  });

  it('answers auth failures with 401 and exchanges the OAuth refresh token for a working access token', async () => {
    const wrong = await call('GET', '/crm/v3/objects/contacts', undefined, 'pat-na1-nope');
    expect([wrong.status, wrong.body.category]).toEqual([401, 'INVALID_AUTHENTICATION']);
    const hs = connect(hubspotConnector, {
      id: 'hs-oauth',
      connector: 'hubspot',
      baseUrl: sb.url,
      auth: {
        kind: 'oauth2-refresh-token',
        tokenUrl: sb.oauth.tokenUrl,
        clientId: sb.oauth.clientId,
        clientSecret: sb.oauth.clientSecret,
        refreshToken: sb.oauth.refreshToken,
        clientAuth: 'body',
      },
    });
    await expect(hs.run('companies.list', { limit: 1 })).resolves.toHaveProperty('results');
    const badGrant = await fetch(sb.oauth.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: sb.oauth.clientId,
        client_secret: sb.oauth.clientSecret,
        refresh_token: 'revoked',
      }).toString(),
    });
    expect(badGrant.status).toBe(400);
  });

  it('sends the X-HubSpot-RateLimit headers and answers an exhausted window with a RATE_LIMIT 429', async () => {
    const ok = await call('GET', '/crm/v3/objects/contacts?limit=1');
    expect(ok.headers.get('x-hubspot-ratelimit-max')).toBe('190');
    expect(Number(ok.headers.get('x-hubspot-ratelimit-remaining'))).toBeLessThan(190);
    // Search answers carry none of them, as at HubSpot.
    const searched = await searchContacts({ limit: 1 });
    expect(searched.status).toBe(200);
    expect(searched.headers.get('x-hubspot-ratelimit-remaining')).toBeNull();
    await fetch(`${sb.url}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ rateLimit: { requests: 1, windowMs: 60_000 } }),
    });
    try {
      await call('GET', '/crm/v3/objects/contacts?limit=1');
      const refused = await call('GET', '/crm/v3/objects/contacts?limit=1');
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
      expect(refused.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
      expect(refused.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('60000');
    } finally {
      await fetch(`${sb.url}/_sandbox/faults`, {
        method: 'POST',
        body: JSON.stringify({ rateLimit: { requests: 190, windowMs: 10_000 } }),
      });
    }
  });

  it('associates through v4 (both directions) and shows it in v3 reads', async () => {
    const contact = (
      await call('POST', '/crm/v3/objects/contacts', { properties: { email: 'assoc@example.com' } })
    ).body;
    const deal = (await call('POST', '/crm/v3/objects/deals', { properties: { dealname: 'Assoc deal' } }))
      .body;
    const put = await call(
      'PUT',
      `/crm/v4/objects/deals/${deal.id}/associations/default/contacts/${contact.id}`,
    );
    expect(put.status).toBe(200);
    const fromContact = await call('GET', `/crm/v4/objects/contacts/${contact.id}/associations/deals`);
    expect(fromContact.body.results).toEqual([
      {
        toObjectId: Number(deal.id),
        associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 4, label: null }],
      },
    ]);
    const read = await call('GET', `/crm/v3/objects/deals/${deal.id}?associations=contacts`);
    expect(read.body.associations).toEqual({
      contacts: { results: [{ id: contact.id, type: 'deal_to_contact_unlabeled' }] },
    });
    expect(
      (await call('DELETE', `/crm/v4/objects/deals/${deal.id}/associations/contacts/${contact.id}`)).status,
    ).toBe(204);
    expect(
      (await call('GET', `/crm/v4/objects/contacts/${contact.id}/associations/deals`)).body.results,
    ).toEqual([]);
  });

  it('polls changes through the connector: equal timestamps across pages arrive once, updates arrive again', async () => {
    const at = Date.parse('2030-01-01T00:00:00Z');
    await fetch(`${sb.url}/_sandbox/seed`, { method: 'POST', body: JSON.stringify({ contacts: 7, at }) });
    const hs = hubspot({ pollStartAt: new Date(at).toISOString() });
    const trigger = hubspotChangesTrigger('contacts', { pageSize: 3 });
    const first = await trigger.fetchChanges(hs.ctx, null);
    expect(first.changes).toHaveLength(7);
    expect(new Set(first.changes.map((c) => c.dedupeKey)).size).toBe(7);
    expect((await trigger.fetchChanges(hs.ctx, first.cursor)).changes).toHaveLength(0);

    const id = (first.changes[3]?.payload as { id: string } | undefined)?.id;
    await call('PATCH', `/crm/v3/objects/contacts/${id}`, { properties: { jobtitle: 'CTO' } });
    const next = await trigger.fetchChanges(hs.ctx, first.cursor);
    expect(next.changes.map((c) => [c.type, (c.payload as { id: string }).id])).toEqual([
      ['contact.updated', id],
    ]);
  });

  it('sends signed propertyChange deliveries the connector verifies', async () => {
    const receiver = await startReceiver();
    const secret = 'sandbox-test-client-secret';
    try {
      await fetch(`${sb.url}/_sandbox/webhooks`, {
        method: 'POST',
        body: JSON.stringify({ url: receiver.url, secret, events: ['company.propertyChange'] }),
      });
      const company = (
        await call('POST', '/crm/v3/objects/companies', { properties: { name: 'Hooked Ltd' } })
      ).body;
      const next = receiver.next();
      await call('PATCH', `/crm/v3/objects/companies/${company.id}`, { properties: { city: 'Leeds' } });
      const delivery = await next;
      expect(hubspotWebhookTrigger.verify(delivery, [secret], delivery.signedAt)).toEqual({ ok: true });
      const [event] = hubspotWebhookTrigger.parse(delivery.rawBody);
      expect(event?.payload).toMatchObject({
        subscriptionType: 'company.propertyChange',
        objectId: Number(company.id),
        propertyName: 'city',
        propertyValue: 'Leeds',
      });
    } finally {
      await receiver.close();
    }
  });
});
