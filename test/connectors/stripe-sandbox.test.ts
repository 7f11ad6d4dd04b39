import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StripeSandbox, startStripeSandbox } from '../../sandbox/stripe/index.js';

/** Sandbox behaviours the connector relies on, checked over raw HTTP (no connector code involved). */
describe('Stripe sandbox', () => {
  let sandbox: StripeSandbox;
  beforeAll(async () => {
    sandbox = await startStripeSandbox({ port: 0 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${sandbox.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sandbox.apiKey}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body,
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };

  it('refuses a missing or wrong key with 401', async () => {
    expect((await fetch(`${sandbox.url}/v1/customers`)).status).toBe(401);
    const wrong = await fetch(`${sandbox.url}/v1/customers`, {
      headers: { authorization: 'Bearer sk_test_nope_12345678' },
    });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(await wrong.json())).not.toContain('sk_test_nope_12345678');
  });

  it('accepts the key as a Basic user name', async () => {
    const basic = Buffer.from(`${sandbox.apiKey}:`).toString('base64');
    expect(
      (await fetch(`${sandbox.url}/v1/customers`, { headers: { authorization: `Basic ${basic}` } })).status,
    ).toBe(200);
  });

  it('replays an idempotent request and refuses the key with other parameters', async () => {
    const first = await post('/v1/customers', 'email=a%40example.com&metadata[k]=1', {
      'idempotency-key': 'k-1',
    });
    const again = await post('/v1/customers', 'metadata[k]=1&email=a%40example.com', {
      'idempotency-key': 'k-1',
    });
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await post('/v1/customers', 'email=b%40example.com', { 'idempotency-key': 'k-1' });
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ type: 'idempotency_error' });
  });

  it('does not save validation errors for the key, so a corrected retry goes through', async () => {
    const bad = await post('/v1/invoices', 'description=x', { 'idempotency-key': 'k-2' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'parameter_missing', param: 'customer' });
    const unknown = await post('/v1/customers', 'favourite_colour=blue');
    expect(unknown.body.error).toMatchObject({ code: 'parameter_unknown' });
  });

  it('saves a card decline for the key, as Stripe does', async () => {
    const body = 'amount=500&currency=usd&source=tok_chargeDeclined';
    const first = await post('/v1/charges', body, { 'idempotency-key': 'k-3' });
    const again = await post('/v1/charges', body, { 'idempotency-key': 'k-3' });
    expect(first.status).toBe(402);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('answers 429 with Stripe rate_limit past the configured budget', async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ rateLimit: { requests: 1, windowMs: 60_000 } }),
    });
    const auth = { authorization: `Bearer ${sandbox.apiKey}` };
    await fetch(`${sandbox.url}/v1/customers`, { headers: auth });
    const limited = await fetch(`${sandbox.url}/v1/customers`, { headers: auth });
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limit');
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ rateLimit: { requests: 25, windowMs: 1000 } }),
    });
  });

  it('injects 500s on demand and updates metadata the Stripe way', async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ failNext: 1 }) });
    expect((await post('/v1/customers', 'email=c%40example.com')).status).toBe(500);
    const created = await post('/v1/customers', 'email=c%40example.com&metadata[a]=1&metadata[b]=2');
    const updated = await post(`/v1/customers/${created.body.id as string}`, 'metadata[a]=&metadata[c]=3');
    expect(updated.body.metadata).toEqual({ b: '2', c: '3' });
  });

  it('signs webhook deliveries with the endpoint secret', async () => {
    const received = new Promise<{ signature: string; body: string }>((resolve) => {
      void import('node:http').then(({ createServer }) => {
        const server = createServer((req, res) => {
          let body = '';
          req.on('data', (c: Buffer) => {
            body += c.toString();
          });
          req.on('end', () => {
            res.end();
            server.close();
            resolve({ signature: String(req.headers['stripe-signature']), body });
          });
        }).listen(0, '127.0.0.1', async () => {
          const { port } = server.address() as { port: number };
          await post(
            '/v1/webhook_endpoints',
            `url=http://127.0.0.1:${port}/&enabled_events[]=invoice.created`,
          ).then((r) => secret.push(r.body.secret as string));
          const customer = await post('/v1/customers', 'email=d%40example.com');
          await post('/v1/invoices', `customer=${customer.body.id as string}`);
        });
      });
    });
    const secret: string[] = [];
    const { signature, body } = await received;
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(signature) ?? [];
    expect(v1).toBe(
      createHmac('sha256', secret[0] ?? '')
        .update(`${t}.${body}`)
        .digest('hex'),
    );
    expect(JSON.parse(body)).toMatchObject({ object: 'event', type: 'invoice.created' });
  });
});

describe('Stripe sandbox business seed', () => {
  let sandbox: StripeSandbox;
  const get = async (path: string) => {
    const res = await fetch(`${sandbox.url}${path}`, {
      headers: { authorization: `Bearer ${sandbox.apiKey}` },
    });
    return (await res.json()) as Record<string, unknown>;
  };
  beforeAll(async () => {
    sandbox = await startStripeSandbox({ port: 0, seedBusiness: true });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('declines an invoice payment with a test card: 402, the invoice stays open, invoice.payment_failed', async () => {
    const pay = (id: string, body: string) =>
      fetch(`${sandbox.url}/v1/invoices/${id}/pay`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${sandbox.apiKey}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
      });
    const [open] = (await get('/v1/invoices?status=open&limit=1')).data as {
      id: string;
      attempt_count: number;
    }[];
    if (open === undefined) throw new Error('the seed holds no open invoice');
    const declined = await pay(open.id, 'payment_method=pm_card_chargeDeclined');
    expect(declined.status).toBe(402);
    expect(((await declined.json()) as { error: unknown }).error).toMatchObject({
      type: 'card_error',
      code: 'card_declined',
    });
    expect(await get(`/v1/invoices/${open.id}`)).toMatchObject({
      status: 'open',
      attempted: true,
      attempt_count: open.attempt_count + 1,
    });
    const events = (await get('/v1/events?type=invoice.payment_failed')).data as {
      data: { object: { id: string } };
    }[];
    expect(events.map((e) => e.data.object.id)).toEqual([open.id]);
    // A card that works pays it.
    expect((await pay(open.id, 'payment_method=pm_card_visa')).status).toBe(200);
    expect(await get(`/v1/invoices/${open.id}`)).toMatchObject({
      status: 'paid',
      attempt_count: open.attempt_count + 2,
    });
  });

  it('holds the business billing: customers, subscriptions, invoices whose lines add up, charges', async () => {
    const stats = (await (await fetch(`${sandbox.url}/_sandbox/stats`)).json()) as {
      objects: Record<string, number>;
    };
    expect(stats.objects.customer).toBeGreaterThan(300);
    expect(stats.objects.subscription).toBeGreaterThan(300);
    expect(stats.objects.invoice).toBeGreaterThan(stats.objects.subscription ?? 0);
    expect(stats.objects.charge).toBeGreaterThan(0);
    const invoices = (await get('/v1/invoices?limit=100')).data as {
      total: number;
      number: string;
      status: string;
      customer: string;
      created: number;
      lines: { data: { amount: number; quantity: number; description: string }[] };
    }[];
    for (const inv of invoices) {
      expect(inv.lines.data.length).toBeGreaterThan(0);
      expect(inv.lines.data.reduce((s, l) => s + l.amount, 0)).toBe(inv.total);
      expect(inv.number).toMatch(/^LW-\d{4}-\d{5}$/);
    }
    // Newest first, dated from the business (before its as-of day), not from the seeding moment.
    const created = invoices.map((i) => i.created);
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(Math.max(...created)).toBeLessThanOrEqual(Date.UTC(2026, 10, 1) / 1000);
    const customer = (await get(`/v1/customers/${invoices[0]?.customer}`)) as { email: string | null };
    expect(customer.email).toMatch(/@/);
  });

  it('spells names messily and holds a few true duplicates', async () => {
    const all: { name: string; email: string | null }[] = [];
    let after = '';
    for (;;) {
      const page = await get(`/v1/customers?limit=100${after ? `&starting_after=${after}` : ''}`);
      const data = page.data as { id: string; name: string; email: string | null }[];
      all.push(...data);
      if (!page.has_more) break;
      after = data.at(-1)?.id ?? '';
    }
    expect(all.some((c) => c.name === c.name.toUpperCase())).toBe(true);
    expect(all.some((c) => c.name !== c.name.trim() || /\s{2}/.test(c.name))).toBe(true);
    const byEmail = new Map<string, number>();
    for (const c of all)
      if (c.email) byEmail.set(c.email.toLowerCase(), (byEmail.get(c.email.toLowerCase()) ?? 0) + 1);
    expect([...byEmail.values()].some((n) => n > 1)).toBe(true);
  });
});
