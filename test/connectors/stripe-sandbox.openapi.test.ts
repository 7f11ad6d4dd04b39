import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StripeSandbox, startStripeSandbox } from '../../sandbox/stripe/index.js';
import { checkSchema, type OpenApiDoc } from './support/openapi-check.js';

/**
 * The official, trimmed Stripe OpenAPI files live beside the repository (../shared/specs), as in
 * CI; WEFT_SPECS_DIR points elsewhere. Missing specs fail the suite rather than skip it.
 */
const specRoot =
  process.env.WEFT_SPECS_DIR ?? fileURLToPath(new URL('../../../shared/specs/', import.meta.url));
const specDir = `${specRoot.replace(/\/$/, '')}/stripe/`;
const spec = (name: string) => {
  const file = `${specDir}stripe.${name}.openapi.json`;
  if (!existsSync(file)) throw new Error(`Stripe OpenAPI file missing: ${file} (set WEFT_SPECS_DIR)`);
  return JSON.parse(readFileSync(file, 'utf8')) as OpenApiDoc;
};

/**
 * Required in the 2023-08-16 spec but removed by 2025-03-31.basil, which the sandbox speaks
 * (source: stripe.summary.json#versioning.breakingSinceTrimmedSpec).
 */
const removedSinceSpec: Record<string, string[]> = {
  // line_item: proration and type moved under `parent` (stripe.summary.json#versioning.line_item).
  invoice: ['paid', 'paid_out_of_band', 'total_tax_amounts', 'line_item.proration', 'line_item.type'],
  subscription: ['current_period_start', 'current_period_end'],
};

describe('Stripe sandbox answers match the official OpenAPI schemas', () => {
  let sandbox: StripeSandbox;
  const call = async (method: string, path: string, form?: Record<string, string>) => {
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${sandbox.apiKey}`,
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const objects: Record<string, Record<string, unknown>> = {};

  beforeAll(async () => {
    sandbox = await startStripeSandbox({ port: 0 });
    const customer = await call('POST', '/v1/customers', {
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      'address[city]': 'London',
      'metadata[crm_id]': '42',
    });
    objects.customer = customer.body;
    const id = customer.body.id as string;
    objects.invoice = (
      await call('POST', '/v1/invoices', {
        customer: id,
        collection_method: 'send_invoice',
        days_until_due: '30',
      })
    ).body;
    objects.charge = (
      await call('POST', '/v1/charges', { amount: '2000', currency: 'usd', source: 'tok_visa' })
    ).body;
    objects.subscription = (
      await call('POST', '/v1/subscriptions', { customer: id, 'items[0][price]': 'price_pro_monthly' })
    ).body;
    objects.event =
      ((await call('GET', '/v1/events?limit=1')).body.data as Record<string, unknown>[])[0] ?? {};
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const cases = [
    ['customer', 'customers'],
    ['invoice', 'invoices'],
    ['charge', 'charges'],
    ['subscription', 'subscriptions'],
    ['event', 'events'],
  ] as const;
  for (const [schema, file] of cases) {
    it(`${schema} matches components.schemas.${schema}`, () => {
      const value = objects[schema];
      expect(value?.object).toBe(schema);
      expect(
        checkSchema({ doc: spec(file), schema, value, removedSinceSpec: removedSinceSpec[schema] ?? [] }),
      ).toEqual([]);
    });
  }

  it('retrieved and listed objects match too', async () => {
    const doc = spec('customers');
    const one = await call('GET', `/v1/customers/${objects.customer?.id as string}`);
    expect(checkSchema({ doc, schema: 'customer', value: one.body })).toEqual([]);
    const list = await call('GET', '/v1/customers?limit=5');
    expect(list.body).toMatchObject({ object: 'list', has_more: false, url: '/v1/customers' });
    for (const c of list.body.data as unknown[])
      expect(checkSchema({ doc, schema: 'customer', value: c })).toEqual([]);
  });

  it('the business seed matches too (customers, subscriptions, invoices with lines, charges)', async () => {
    const seeded = await startStripeSandbox({ port: 0, seedBusiness: true });
    try {
      for (const [schema, file] of cases.filter(([s]) => s !== 'event')) {
        const res = await fetch(`${seeded.url}/v1/${file}?limit=20`, {
          headers: { authorization: `Bearer ${seeded.apiKey}` },
        });
        const data = ((await res.json()) as { data: unknown[] }).data;
        expect(data.length).toBe(20);
        for (const value of data) {
          expect(
            checkSchema({ doc: spec(file), schema, value, removedSinceSpec: removedSinceSpec[schema] ?? [] }),
          ).toEqual([]);
        }
      }
    } finally {
      await seeded.close();
    }
  });

  it('the checker itself rejects a wrong shape', () => {
    const broken = { ...objects.customer, created: 'yesterday', livemode: undefined };
    delete broken.livemode;
    const errors = checkSchema({ doc: spec('customers'), schema: 'customer', value: broken });
    expect(errors).toEqual(
      expect.arrayContaining([expect.stringContaining('created'), expect.stringContaining('livemode')]),
    );
  });

  it('errors match components.schemas.error', async () => {
    const doc = spec('customers');
    const missing = await call('GET', '/v1/customers/cus_nope');
    expect(missing.status).toBe(404);
    expect(checkSchema({ doc, schema: 'error', value: missing.body })).toEqual([]);
    expect(missing.body.error).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing' });
  });
});
