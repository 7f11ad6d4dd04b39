import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemSandbox } from '../../sandbox/common/server.js';
import { generateBusiness } from '../../sandbox/seed/index.js';
import { startServiceNowSandbox } from '../../sandbox/servicenow/index.js';

type Row = Record<string, string>;

/** Sandbox behaviours the contract does not cover, checked over raw HTTP (no connector code). */
describe('ServiceNow sandbox', () => {
  let sandbox: SystemSandbox;
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const itil = basic('weft.integration', 'weft-sandbox-password');
  beforeAll(async () => {
    sandbox = await startServiceNowSandbox({ port: 0, seedBusiness: true });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  const call = async (method: string, path: string, opts: { body?: unknown; auth?: string } = {}) => {
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: {
        authorization: opts.auth ?? itil,
        accept: 'application/json',
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : null) as { result: unknown; error?: unknown },
    };
  };
  const list = async (params: string) =>
    (await call('GET', `/api/now/table/incident?${params}`)).body.result as Row[];

  it('seeds the business coherently: callers and companies exist and agree, priorities follow impact × urgency', async () => {
    const business = generateBusiness();
    const incidents = await list(
      'sysparm_fields=sys_id,caller_id,company,caller_id.company,impact,urgency,priority,state,active,correlation_id&sysparm_exclude_reference_link=true',
    );
    expect(incidents).toHaveLength(business.incidents.length);
    for (const inc of incidents) {
      expect(inc.caller_id).toMatch(/^[0-9a-f]{32}$/);
      expect(inc['caller_id.company']).toBe(inc.company);
      expect(inc.priority).toBe(String(Math.min(5, Number(inc.impact) + Number(inc.urgency) - 1)));
      expect(inc.active).toBe(inc.state === '7' ? 'false' : 'true');
    }
    expect(incidents.filter((i) => i.correlation_id?.startsWith('LWMON-')).length).toBeGreaterThan(10);
    const stats = (await (await fetch(`${sandbox.url}/_sandbox/stats`)).json()) as {
      objects: Record<string, number>;
    };
    // Duplicated companies and callers sit on top of one record per account and contact (+ Loomwise and staff).
    expect(stats.objects.core_company).toBeGreaterThan(business.accounts.length + 1);
    expect(stats.objects.sys_user).toBeGreaterThan(business.contacts.length + business.employees.length);
  });

  it('keeps identities messy: names differ in casing or suffix, and a nightly job shares one timestamp', async () => {
    const companies = (
      await call('GET', '/api/now/table/core_company?sysparm_fields=name&sysparm_query=customer=true')
    ).body.result as Row[];
    const names = companies.map((c) => c.name ?? '');
    expect(names.some((n) => n === n.toUpperCase() && /[A-Z]/.test(n))).toBe(true);
    expect(names.some((n) => n !== n.trim() || n.includes('  '))).toBe(true);
    const bulk = await call(
      'GET',
      '/api/now/table/incident?sysparm_query=sys_updated_on=2026-10-31 23:00:00&sysparm_fields=number',
    );
    expect(Number(bulk.headers.get('x-total-count'))).toBeGreaterThan(3);
  });

  it('pages with Link rel="next"/"last" and X-Total-Count, and honours the encoded query', async () => {
    const first = await call(
      'GET',
      '/api/now/table/incident?sysparm_query=priority<=2^ORDERBYDESCnumber&sysparm_limit=5&sysparm_fields=number,priority',
    );
    const total = Number(first.headers.get('x-total-count'));
    expect(total).toBeGreaterThan(5);
    const link = first.headers.get('link') ?? '';
    expect(link).toMatch(/rel="first"/);
    expect(link).toMatch(/sysparm_offset=5>;rel="next"/);
    expect(link).toMatch(new RegExp(`sysparm_offset=${Math.floor((total - 1) / 5) * 5}>;rel="last"`));
    const rows = first.body.result as Row[];
    expect(rows.every((r) => Number(r.priority) <= 2)).toBe(true);
    expect(rows.map((r) => r.number)).toEqual([...rows.map((r) => r.number)].sort().reverse());
    const either = await list(
      'sysparm_query=state=1^ORstate=3^short_descriptionLIKEvpn&sysparm_fields=state,short_description',
    );
    expect(either.length).toBeGreaterThan(0);
    expect(
      either.every((r) => ['1', '3'].includes(r.state ?? '') && /vpn/i.test(r.short_description ?? '')),
    ).toBe(true);
  });

  it('answers unsupported queries, unknown tables and missing records in the ServiceNow error shape', async () => {
    const op = await call(
      'GET',
      '/api/now/table/incident?sysparm_query=sys_created_onRELATIVEGT@dayofweek@ago@3',
    );
    expect(op.status).toBe(400);
    expect(op.body).toMatchObject({ error: { message: 'Invalid query' }, status: 'failure' });
    expect((await call('GET', '/api/now/table/no_such_table')).status).toBe(404);
    const missing = await call('GET', `/api/now/table/incident/${'0'.repeat(32)}`);
    expect(missing).toMatchObject({
      status: 404,
      body: { error: { message: 'No Record found' }, status: 'failure' },
    });
  });

  it('renders display values, reference links and journal fields as the Table API does', async () => {
    const [inc] = await list('sysparm_query=state=2&sysparm_limit=1&sysparm_fields=sys_id');
    const id = inc?.sys_id ?? '';
    const patched = await call('PATCH', `/api/now/table/incident/${id}`, {
      body: { impact: 1, urgency: '1', state: '6', work_notes: 'Rebooted the relay' },
    });
    const r = patched.body.result as Row;
    expect([r.priority, r.state, r.active]).toEqual(['1', '6', 'true']);
    expect(r.resolved_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(r.work_notes).toBe('');
    const shown = await call(
      'GET',
      `/api/now/table/incident/${id}?sysparm_display_value=all&sysparm_fields=priority,caller_id,work_notes`,
    );
    const all = shown.body.result as Record<string, { display_value: string; value: string; link?: string }>;
    expect(all.priority).toEqual({ display_value: '1 - Critical', value: '1' });
    expect(all.caller_id?.link).toMatch(/\/api\/now\/table\/sys_user\/[0-9a-f]{32}$/);
    expect(all.caller_id?.display_value).not.toBe('');
    expect(all.work_notes?.display_value).toContain('Rebooted the relay');
  });

  it('checks auth: 401 without credentials, ACL 403 for a read-only user, OAuth password and refresh grants', async () => {
    const anon = await fetch(`${sandbox.url}/api/now/table/incident?sysparm_limit=1`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toMatchObject({
      error: { message: 'User Not Authenticated' },
      status: 'failure',
    });
    const readonly = basic('weft.readonly', 'weft-sandbox-readonly');
    expect((await call('GET', '/api/now/table/incident?sysparm_limit=1', { auth: readonly })).status).toBe(
      200,
    );
    const denied = await call('POST', '/api/now/table/incident', {
      auth: readonly,
      body: { short_description: 'x' },
    });
    expect(denied.status).toBe(403);
    const grant = async (form: Record<string, string>) => {
      const res = await fetch(`${sandbox.url}/oauth_token.do`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: 'weft-sandbox-client',
          client_secret: 'weft-sandbox-client-secret',
          ...form,
        }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, string | number> };
    };
    const password = await grant({
      grant_type: 'password',
      username: 'weft.integration',
      password: 'weft-sandbox-password',
    });
    expect(password.body).toMatchObject({ token_type: 'Bearer', expires_in: 1799 });
    const refreshed = await grant({
      grant_type: 'refresh_token',
      refresh_token: String(password.body.refresh_token),
    });
    const bearer = `Bearer ${refreshed.body.access_token}`;
    expect((await call('GET', '/api/now/table/incident?sysparm_limit=1', { auth: bearer })).status).toBe(200);
    expect(
      (await grant({ grant_type: 'password', username: 'weft.integration', password: 'wrong' })).status,
    ).toBe(401);
  });

  it('answers over the rate-limit rule with 429, Retry-After and X-RateLimit-* headers', async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ rateLimit: { requests: 1, windowMs: 60_000 } }),
    });
    try {
      await call('GET', '/api/now/table/incident?sysparm_limit=1');
      const limited = await call('GET', '/api/now/table/incident?sysparm_limit=1');
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ status: 'failure' });
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(50);
      expect(limited.headers.get('x-ratelimit-limit')).toBe('1');
      expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    } finally {
      await fetch(`${sandbox.url}/_sandbox/faults`, {
        method: 'POST',
        body: JSON.stringify({ rateLimit: { requests: 5_000, windowMs: 60_000 } }),
      });
    }
  });
});
