import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startStripeSandbox } from '../../../sandbox/stripe/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import type { WebhookRequest } from '../../../src/connector/triggers.js';
import { stripeConnector } from '../../../src/connectors/stripe/connector.js';
import { stripeListAll } from '../../../src/connectors/stripe/resource-actions.js';
import { StripeCustomer } from '../../../src/connectors/stripe/schemas.js';
import { stripeSignatureToleranceMs, stripeWebhookTrigger } from '../../../src/connectors/stripe/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';

/** The Stripe connector wired to a fresh sandbox, for the shared contract suite. */
export async function stripeHarness(): Promise<ContractHarness> {
  const sandbox = await startStripeSandbox({ port: 0 });
  const admin = async (path: string, body?: unknown) => {
    const res = await fetch(`${sandbox.url}/_sandbox/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const stats = async () =>
    (await admin('stats')) as { rateLimited: number; objects: Record<string, number> };

  const deliveries: (WebhookRequest & { signedAt: number })[] = [];
  const waiting: ((d: WebhookRequest & { signedAt: number }) => void)[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const t = /t=(\d+)/.exec(headers.get('stripe-signature') ?? '')?.[1] ?? '0';
      const delivery = {
        headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
        signedAt: Number(t) * 1000,
      };
      res.writeHead(200).end();
      const waiter = waiting.shift();
      if (waiter) waiter(delivery);
      else deliveries.push(delivery);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/stripe`;

  const connectWith = (token: string) =>
    connect(
      stripeConnector,
      { id: 'stripe-sandbox', connector: 'stripe', baseUrl: sandbox.url, auth: { kind: 'bearer', token } },
      // Short back-off keeps the suite quick; the sandbox window it must outlast is 500 ms.
      { rateLimitBackoffMs: 200 },
    );

  const harness: ContractHarness = {
    connect: (credentials) =>
      connectWith(credentials === 'valid' ? sandbox.apiKey : 'sk_test_wrong_key_0000'),
    probe: (c) => c.run('customers.list', { limit: 1 }),
    paging: {
      pageSize: 10,
      seed: async (count) => {
        await admin('seed', { customers: count });
      },
      listAll: (c) => collect(stripeListAll<{ id: string }>(c.ctx, '/v1/customers', { limit: 10 })),
    },
    rateLimit: {
      limit: async (opts) => {
        await admin('faults', { rateLimit: opts });
      },
      clear: async () => {
        await admin('faults', { rateLimit: { requests: 25, windowMs: 1000 } });
      },
      rejected: async () => (await stats()).rateLimited,
    },
    write: {
      run: async (c, call) => {
        const customer = await c.run(
          'customers.create',
          { email: 'retry@example.com', metadata: { source: 'contract' } },
          call,
        );
        return StripeCustomer.parse(customer);
      },
      dropNextResponse: async () => {
        await admin('faults', { dropNextResponses: 1 });
      },
      count: async () => (await stats()).objects.customer ?? 0,
    },
    webhook: {
      trigger: stripeWebhookTrigger,
      secret: '',
      toleranceMs: stripeSignatureToleranceMs,
      capture: async (c) => {
        const endpoint = await c.ctx.http.request<{ secret: string }>({
          method: 'POST',
          path: '/v1/webhook_endpoints',
          form: { url: receiverUrl, enabled_events: ['customer.created'] },
        });
        (harness.webhook as { secret: string }).secret = endpoint.body.secret;
        const next = new Promise<WebhookRequest & { signedAt: number }>((resolve) => {
          const ready = deliveries.shift();
          if (ready) resolve(ready);
          else waiting.push(resolve);
        });
        await c.run('customers.create', { email: 'hook@example.com', name: 'Hook Test' });
        return next;
      },
    },
    teardown: async () => {
      await sandbox.close();
      await new Promise<void>((r) => receiver.close(() => r()));
    },
  };
  return harness;
}
