import { startStripeSandbox } from '../../../sandbox/stripe/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import { stripeConnector } from '../../../src/connectors/stripe/connector.js';
import { stripeListAll } from '../../../src/connectors/stripe/resource-actions.js';
import { StripeCustomer } from '../../../src/connectors/stripe/schemas.js';
import { stripeSignatureToleranceMs, stripeWebhookTrigger } from '../../../src/connectors/stripe/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';
import { kitAdmin, kitDropNextResponse, kitRateLimit } from './kit-admin.js';
import { signedAtFromT, startWebhookReceiver } from './webhook-receiver.js';

/** The Stripe connector wired to a fresh sandbox, for the shared contract suite. */
export async function stripeHarness(): Promise<ContractHarness> {
  const sandbox = await startStripeSandbox({ port: 0 });
  const admin = kitAdmin(sandbox.url);
  const receiver = await startWebhookReceiver({
    path: '/hooks/stripe',
    signedAt: signedAtFromT('stripe-signature'),
  });
  // Stripe makes the signing secret when the endpoint is created, so it is known only after capture.
  let secret = '';

  const connectWith = (token: string) =>
    connect(
      stripeConnector,
      { id: 'stripe-sandbox', connector: 'stripe', baseUrl: sandbox.url, auth: { kind: 'bearer', token } },
      // Short back-off keeps the suite quick; the sandbox window it must outlast is 500 ms.
      { rateLimitBackoffMs: 200 },
    );

  return {
    connect: (credentials) =>
      connectWith(credentials === 'valid' ? sandbox.apiKey : 'sk_test_wrong_key_0000'),
    probe: (c) => c.run('customers.list', { limit: 1 }),
    paging: {
      pageSize: 10,
      seed: (count) => admin.seed({ customers: count }),
      listAll: (c) => collect(stripeListAll<{ id: string }>(c.ctx, '/v1/customers', { limit: 10 })),
    },
    rateLimit: kitRateLimit(admin),
    write: {
      run: async (c, call) => {
        const customer = await c.run(
          'customers.create',
          { email: 'retry@example.com', metadata: { source: 'contract' } },
          call,
        );
        return StripeCustomer.parse(customer);
      },
      dropNextResponse: kitDropNextResponse(admin),
      count: () => admin.count('customer'),
    },
    webhook: {
      trigger: stripeWebhookTrigger,
      get secret() {
        return secret;
      },
      toleranceMs: stripeSignatureToleranceMs,
      capture: async (c) => {
        const endpoint = await c.ctx.http.request<{ secret: string }>({
          method: 'POST',
          path: '/v1/webhook_endpoints',
          form: { url: receiver.url, enabled_events: ['customer.created'] },
        });
        secret = endpoint.body.secret;
        return receiver.capture(() =>
          c.run('customers.create', { email: 'hook@example.com', name: 'Hook Test' }),
        );
      },
    },
    teardown: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
}
