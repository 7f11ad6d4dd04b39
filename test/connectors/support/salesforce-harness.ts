import { startSalesforceSandbox } from '../../../sandbox/salesforce/index.js';
import type { AuthConfig } from '../../../src/connector/auth.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import { weftSignatureHeader } from '../../../src/connector/signed-webhook.js';
import { createSalesforceConnector } from '../../../src/connectors/salesforce/connector.js';
import { soqlRecords } from '../../../src/connectors/salesforce/query.js';
import { UpsertResult } from '../../../src/connectors/salesforce/schemas.js';
import {
  salesforceChangeEventTrigger,
  salesforceWebhookToleranceMs,
} from '../../../src/connectors/salesforce/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';
import { kitAdmin, kitDropNextResponse, kitRateLimit } from './kit-admin.js';
import { signedAtFromT, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

/** A local receiver for the sandbox's signed change events. */
export function startReceiver(): Promise<WebhookReceiver> {
  return startWebhookReceiver({ path: '/hooks/salesforce', signedAt: signedAtFromT(weftSignatureHeader) });
}

/** The Salesforce connector wired to a fresh sandbox org, for the shared contract suite. */
export async function salesforceHarness(): Promise<ContractHarness> {
  const sandbox = await startSalesforceSandbox({ port: 0 });
  const receiver = await startReceiver();
  const admin = kitAdmin(sandbox.url);
  // The suite's rate-limit window is 500 ms, so the daily-limit hold is shortened to match.
  const connector = createSalesforceConnector({ requestLimitRetryAfterMs: 300 });
  const auth = sandbox.connection.auth as Extract<AuthConfig, { kind: 'oauth2-client-credentials' }>;
  const connectWith = (clientSecret: string) =>
    connect(
      connector,
      {
        id: 'salesforce-sandbox',
        connector: 'salesforce',
        baseUrl: sandbox.connection.baseUrl,
        auth: { ...auth, clientSecret },
        settings: sandbox.connection.settings ?? {},
      },
      { rateLimitBackoffMs: 200 },
    );
  const secret = 'weft-contract-webhook-secret';

  return {
    connect: (credentials) =>
      connectWith(credentials === 'valid' ? auth.clientSecret : 'not-the-consumer-secret'),
    probe: (c) => c.run('limits.get', {}),
    paging: {
      // Salesforce batches are 200–2000 records (Sforce-Query-Options batchSize).
      pageSize: 200,
      seed: (count) => admin.seed({ Account: count }),
      listAll: async (c) =>
        (await collect(soqlRecords(c.ctx, 'SELECT Id FROM Account ORDER BY Id', { batchSize: 200 }))).map(
          (r) => ({
            id: String(r.Id),
          }),
        ),
    },
    rateLimit: kitRateLimit(admin),
    write: {
      run: async (c, call) => {
        const result = await c.run(
          'accounts.upsert',
          { externalId: call.idempotencyKey, fields: { Name: 'Contract Retry Co' } },
          call,
        );
        return UpsertResult.parse(result);
      },
      dropNextResponse: kitDropNextResponse(admin),
      count: () => admin.count('Account'),
    },
    webhook: {
      trigger: salesforceChangeEventTrigger,
      secret,
      toleranceMs: salesforceWebhookToleranceMs,
      capture: async (c) => {
        await admin.webhookTarget({ url: receiver.url, secret, events: ['AccountChangeEvent'] });
        return receiver.capture(() => c.run('accounts.create', { fields: { Name: 'Hook Test Ltd' } }));
      },
    },
    teardown: async () => {
      await sandbox.kit.webhooks.drain();
      await sandbox.close();
      await receiver.close();
    },
  };
}
