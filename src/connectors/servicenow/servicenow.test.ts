import { describe, expect, it } from 'vitest';
import { scriptedFetch } from '../../../test/support/scripted-fetch.js';
import { classifiedFields } from '../../connector/classification.js';
import { connect } from '../../connector/connector.js';
import { signWeftWebhook } from '../../connector/signed-webhook.js';
import { WeftError } from '../../contract/errors.js';
import { afterCursorQuery, decodeCursor } from './changes.js';
import { serviceNowConnector } from './connector.js';
import { correlationIdFor } from './incidents.js';
import { ServiceNowIncident, ServiceNowUser } from './schemas.js';
import { incidentWebhookTrigger } from './webhook.js';

const base = 'https://acme.service-now.com';
const open = (fetchFn: typeof fetch, extra: { maxRateLimitRetries?: number } = {}) =>
  connect(
    serviceNowConnector,
    {
      id: 'sn',
      connector: 'servicenow',
      baseUrl: base,
      auth: { kind: 'basic', username: 'int', password: 'pw-secret' },
    },
    { fetch: fetchFn, ...extra },
  );
const incident = { sys_id: 'a'.repeat(32), number: 'INC0010001', sys_updated_on: '2026-01-01 00:00:00' };

describe('ServiceNow connector requests', () => {
  it('lists with sysparm_* parameters and reads X-Total-Count and the Link rel="next" offset', async () => {
    const link = `<${base}/api/now/table/incident?sysparm_limit=2&sysparm_offset=0>;rel="first",<${base}/api/now/table/incident?sysparm_limit=2&sysparm_offset=2>;rel="next",<${base}/api/now/table/incident?sysparm_limit=2&sysparm_offset=8>;rel="last"`;
    const { requests, fetchFn } = scriptedFetch({
      status: 200,
      body: { result: [incident] },
      headers: { 'x-total-count': '9', link },
    });
    const page = await open(fetchFn).run('incidents.list', {
      query: 'active=true^priority<=2',
      limit: 2,
      fields: ['sys_id', 'caller_id.email'],
    });
    expect(page).toMatchObject({ totalCount: 9, nextOffset: 2, result: [{ number: 'INC0010001' }] });
    const q = requests[0]?.url.searchParams;
    expect(requests[0]?.url.pathname).toBe('/api/now/table/incident');
    expect(Object.fromEntries(q ?? [])).toEqual({
      sysparm_query: 'active=true^priority<=2',
      sysparm_limit: '2',
      sysparm_fields: 'sys_id,caller_id.email',
      sysparm_display_value: 'false',
      sysparm_exclude_reference_link: 'true',
    });
    expect(requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('int:pw-secret').toString('base64')}`,
    );
  });

  it('creates with the idempotency key as correlation_id, and a retry finds it instead of posting again', async () => {
    const created = { ...incident, correlation_id: 'run-1:step-2' };
    const { requests, fetchFn } = scriptedFetch(
      { status: 201, body: { result: created } },
      { status: 200, body: { result: [created] } },
    );
    const sn = open(fetchFn);
    await sn.run(
      'incidents.create',
      { short_description: 'Printer offline', urgency: '2', custom_fields: { u_site: 'Berlin' } },
      { idempotencyKey: 'run-1:step-2', attempt: 1 },
    );
    expect(requests[0]?.method).toBe('POST');
    expect(JSON.parse(requests[0]?.body ?? '{}')).toEqual({
      short_description: 'Printer offline',
      urgency: '2',
      u_site: 'Berlin',
      correlation_id: 'run-1:step-2',
    });
    const again = await sn.run(
      'incidents.create',
      { short_description: 'Printer offline' },
      { idempotencyKey: 'run-1:step-2', attempt: 2 },
    );
    expect(again.sys_id).toBe(incident.sys_id);
    expect(requests).toHaveLength(2);
    expect(requests[1]?.method).toBe('GET');
    expect(requests[1]?.url.searchParams.get('sysparm_query')).toBe(
      'correlation_id=run-1:step-2^ORDERBYsys_created_on^ORDERBYsys_id',
    );
  });

  it('keeps correlation ids within the field: long or caret-bearing keys are hashed, external ids win', () => {
    expect(correlationIdFor({}, 'k'.repeat(150))).toMatch(/^weft-[0-9a-f]{64}$/);
    expect(correlationIdFor({}, 'a^b')).toMatch(/^weft-/);
    expect(correlationIdFor({ correlation_id: 'MON-7' }, 'key')).toBe('MON-7');
  });

  it('declares how every write stays free of duplicates', () => {
    const strategies = Object.fromEntries(
      Object.values(serviceNowConnector.actions)
        .filter((a) => a.kind === 'write')
        .map((a) => [a.name, a.kind === 'write' ? a.idempotency.strategy : '']),
    );
    expect(strategies).toEqual({
      'incidents.create': 'ledger',
      'incidents.update': 'upsert',
      'incidents.delete': 'upsert',
    });
  });

  it('treats a 404 on a retried delete as the earlier attempt having landed, but not on the first try', async () => {
    const gone = {
      status: 404,
      body: { error: { message: 'No Record found', detail: 'gone' }, status: 'failure' },
    };
    const sn = open(scriptedFetch(gone).fetchFn);
    const first = await sn
      .run('incidents.delete', { sys_id: incident.sys_id }, { attempt: 1 })
      .catch((e: unknown) => e);
    expect((first as WeftError).code).toBe('not_found');
    await expect(sn.run('incidents.delete', { sys_id: incident.sys_id }, { attempt: 2 })).resolves.toEqual({
      sys_id: incident.sys_id,
      deleted: true,
    });
  });

  it('maps ServiceNow errors: message and detail kept, body and credentials not; 429 waits for X-RateLimit-Reset', async () => {
    const acl = {
      status: 403,
      body: {
        error: { message: 'Operation Failed', detail: 'ACL Exception Insert Failed' },
        status: 'failure',
      },
    };
    const err = (await open(scriptedFetch(acl).fetchFn)
      .run('incidents.create', { short_description: 'x' })
      .catch((e: unknown) => e)) as WeftError;
    expect([err.code, err.retryable]).toEqual(['forbidden', false]);
    expect(err.message).toBe('ServiceNow 403: Operation Failed (ACL Exception Insert Failed)');
    expect(JSON.stringify(err.toJSON())).not.toMatch(/pw-secret|"body"/);

    const reset = Math.ceil(Date.now() / 1000) + 120;
    const limited = {
      status: 429,
      body: { error: { message: 'Too Many Requests' }, status: 'failure' },
      headers: { 'x-ratelimit-reset': String(reset), 'x-ratelimit-limit': '100' },
    };
    const e429 = (await open(scriptedFetch(limited).fetchFn, { maxRateLimitRetries: 0 })
      .run('incidents.list', {})
      .catch((e: unknown) => e)) as WeftError;
    expect([e429.code, e429.retryable]).toEqual(['rate_limited', true]);
    expect(e429.retryAfterMs).toBeGreaterThan(100_000);
  });

  it('classifies people and free text', () => {
    expect(classifiedFields(ServiceNowIncident)).toMatchObject({
      caller_id: ['pii'],
      description: ['confidential'],
      work_notes: ['confidential'],
    });
    expect(classifiedFields(ServiceNowUser)).toMatchObject({ email: ['pii'], name: ['pii'] });
  });
});

describe('ServiceNow poll cursor', () => {
  it('asks for a later second, or the same second and a greater sys_id', () => {
    expect(afterCursorQuery({ t: '2026-01-01 00:00:00', id: 'b'.repeat(32) })).toBe(
      `sys_updated_on>=2026-01-01 00:00:00^sys_updated_on>2026-01-01 00:00:00^ORsys_id>${'b'.repeat(32)}^ORDERBYsys_updated_on^ORDERBYsys_id`,
    );
    expect(() => decodeCursor('yesterday|x')).toThrow(WeftError);
  });
});

describe('ServiceNow Business Rule webhook', () => {
  const secret = 'br-secret';
  const event = (mod: string) =>
    JSON.stringify({
      event_type: 'incident.updated',
      table: 'incident',
      sys_id: incident.sys_id,
      sys_updated_on: incident.sys_updated_on,
      sys_mod_count: mod,
      record: incident,
    });

  it('verifies the Weft signature and keys two updates in one second apart', () => {
    const now = Date.now();
    const body = event('3');
    const headers = new Headers({ 'x-weft-signature': signWeftWebhook(secret, body, now) });
    expect(incidentWebhookTrigger.verify({ headers, rawBody: body }, [secret], now)).toEqual({ ok: true });
    expect(incidentWebhookTrigger.verify({ headers, rawBody: event('4') }, [secret], now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const [three] = incidentWebhookTrigger.parse(body);
    const [four] = incidentWebhookTrigger.parse(event('4'));
    expect(three?.dedupeKey).toBe(`incident:${incident.sys_id}:2026-01-01 00:00:00:3`);
    expect(four?.dedupeKey).not.toBe(three?.dedupeKey);
  });
});
