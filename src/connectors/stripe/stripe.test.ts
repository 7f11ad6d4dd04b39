import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classifiedFields } from '../../connector/classification.js';
import { connect } from '../../connector/connector.js';
import { WeftError } from '../../contract/errors.js';
import { stripeConnector } from './connector.js';
import { StripeCustomer } from './schemas.js';
import { stripeApiVersion } from './version.js';
import { verifyStripeSignature } from './webhook.js';

function recordingFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const requests: { url: string; init: RequestInit }[] = [];
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(url), init: init ?? {} });
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
  }) as typeof fetch;
  return { requests, fetchFn };
}

const connection = { id: 's', connector: 'stripe', auth: { kind: 'bearer' as const, token: 'sk_test_abc' } };

describe('Stripe connector requests', () => {
  it('form-encodes, pins Stripe-Version and sends the idempotency key', async () => {
    const customer = {
      id: 'cus_1',
      object: 'customer',
      email: 'a@b.c',
      name: null,
      description: null,
      balance: 0,
      metadata: {},
      created: 1,
      livemode: false,
    };
    const { requests, fetchFn } = recordingFetch(200, customer);
    const stripe = connect(stripeConnector, connection, { fetch: fetchFn });
    await stripe.run(
      'customers.create',
      { email: 'a@b.c', metadata: { crm: '42' } },
      { idempotencyKey: 'run1:s1' },
    );
    const req = requests[0];
    expect(req?.url).toBe('https://api.stripe.com/v1/customers');
    const headers = req?.init.headers as Record<string, string>;
    expect(headers['stripe-version']).toBe(stripeApiVersion);
    expect(headers['idempotency-key']).toBe('run1:s1');
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req?.init.body).toBe('email=a%40b.c&metadata[crm]=42');
  });

  it('maps Stripe errors, honours Stripe-Should-Retry and never echoes the key', async () => {
    const body = {
      error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****_abc' },
    };
    const stripe = connect(stripeConnector, connection, { fetch: recordingFetch(401, body).fetchFn });
    const err = (await stripe.run('customers.list', {}).catch((e: unknown) => e)) as WeftError;
    expect(err.code).toBe('auth');
    expect(JSON.stringify(err.toJSON())).not.toContain('sk_test');

    const lock = { error: { type: 'invalid_request_error', code: 'lock_timeout', message: 'busy' } };
    const retrying = connect(stripeConnector, connection, {
      fetch: recordingFetch(400, lock, { 'stripe-should-retry': 'true' }).fetchFn,
      // The verdict is what matters here, not the client's own back-off.
      maxRateLimitRetries: 0,
    });
    const e2 = (await retrying.run('customers.list', {}).catch((e: unknown) => e)) as WeftError;
    expect(e2).toBeInstanceOf(WeftError);
    expect([e2.code, e2.retryable]).toEqual(['rate_limited', true]);
  });

  it('declares a native idempotency key on every write', () => {
    for (const action of Object.values(stripeConnector.actions)) {
      if (action.kind === 'write') expect(action.idempotency.strategy).toBe('native-key');
    }
  });

  it('classifies customer fields', () => {
    expect(classifiedFields(StripeCustomer)).toMatchObject({
      email: ['pii'],
      balance: ['financial'],
      metadata: ['confidential'],
    });
  });
});

describe('verifyStripeSignature', () => {
  const secret = 'whsec_test';
  const body = '{"id":"evt_1","object":"event"}';
  const t = 1_700_000_000;
  const sign = (s: string, ts = t) => createHmac('sha256', s).update(`${ts}.${body}`).digest('hex');

  it('accepts any matching v1 (secret rotation) within the tolerance', () => {
    const header = `t=${t},v1=${sign('whsec_old')},v1=${sign(secret)}`;
    expect(
      verifyStripeSignature({ header, rawBody: body, secrets: [secret], now: t * 1000 + 299_000 }),
    ).toEqual({ ok: true });
  });

  it('rejects missing, malformed, forged and stale signatures', () => {
    const now = t * 1000;
    expect(verifyStripeSignature({ header: null, rawBody: body, secrets: [secret], now }).ok).toBe(false);
    expect(verifyStripeSignature({ header: 'v1=abc', rawBody: body, secrets: [secret], now })).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(
      verifyStripeSignature({ header: `t=${t},v1=${sign('other')}`, rawBody: body, secrets: [secret], now }),
    ).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(
      verifyStripeSignature({
        header: `t=${t},v1=${sign(secret)}`,
        rawBody: body,
        secrets: [secret],
        now: now + 301_000,
      }),
    ).toEqual({
      ok: false,
      reason: 'stale',
    });
  });
});
