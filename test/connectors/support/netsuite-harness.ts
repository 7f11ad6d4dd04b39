import { startNetSuiteSandbox } from '../../../sandbox/netsuite/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect, nextUrlPages } from '../../../src/connector/pagination.js';
import { weftSignatureHeader } from '../../../src/connector/signed-webhook.js';
import { netsuiteConnector } from '../../../src/connectors/netsuite/connector.js';
import { CollectionPage, WriteResult } from '../../../src/connectors/netsuite/schemas.js';
import {
  netsuiteRecordChangeTrigger,
  netsuiteWebhookToleranceMs,
} from '../../../src/connectors/netsuite/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';
import { kitAdmin, kitDropNextResponse, kitRateLimit } from './kit-admin.js';
import { signedAtFromT, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

/** Receives the sandbox's signed record-change callouts, one waiter per delivery. */
export function startReceiver(header = weftSignatureHeader): Promise<WebhookReceiver> {
  return startWebhookReceiver({ path: '/hooks/netsuite', signedAt: signedAtFromT(header) });
}

/** The NetSuite connector wired to a fresh sandbox, for the shared contract suite. */
export async function netsuiteHarness(): Promise<ContractHarness> {
  const sandbox = await startNetSuiteSandbox({ port: 0 });
  const receiver = await startReceiver();
  const secret = 'weft-netsuite-contract-secret';
  const admin = kitAdmin(sandbox.url);
  const auth = sandbox.connection.auth;
  if (auth.kind !== 'netsuite-tba') throw new Error('the NetSuite sandbox hands out TBA credentials');

  const connectWith = (tokenSecret: string) =>
    connect(
      netsuiteConnector,
      {
        id: 'netsuite-sandbox',
        connector: 'netsuite',
        baseUrl: sandbox.connection.baseUrl,
        auth: { ...auth, tokenSecret },
        limits: { requestsPerSecond: 200, burst: 50 },
      },
      // NetSuite sends no Retry-After; a short first back-off keeps the suite quick.
      { rateLimitBackoffMs: 200 },
    );

  return {
    connect: (credentials) =>
      connectWith(credentials === 'valid' ? auth.tokenSecret : 'not-the-token-secret'),
    probe: (c) => c.run('customers.list', { limit: 1 }),
    paging: {
      pageSize: 10,
      seed: (count) => admin.seed({ customers: count }),
      // Follows links[rel=next] as NetSuite's own paging does.
      listAll: (c) =>
        collect(
          nextUrlPages<{ id: string }>({
            firstUrl: c.ctx.http.urlFor('/record/v1/customer', { limit: 10 }).toString(),
            fetchPage: async (url) => {
              const page = CollectionPage.parse(
                (await c.ctx.http.request({ method: 'GET', path: url })).body,
              );
              return {
                items: page.items,
                nextUrl: page.hasMore ? page.links.find((l) => l.rel === 'next')?.href : undefined,
              };
            },
          }),
        ),
    },
    rateLimit: kitRateLimit(admin),
    write: {
      // Upsert by external id: the retry after a lost answer hits the same eid and converges.
      run: async (c, call) =>
        WriteResult.parse(
          await c.run(
            'customers.upsert',
            {
              externalId: `contract-${call.idempotencyKey}`,
              companyName: 'Retry Test Ltd',
              email: 'ap@retry.example',
            },
            call,
          ),
        ),
      dropNextResponse: kitDropNextResponse(admin),
      count: () => admin.count('customer'),
    },
    webhook: {
      trigger: netsuiteRecordChangeTrigger,
      secret,
      toleranceMs: netsuiteWebhookToleranceMs,
      capture: async (c) => {
        await admin.webhookTarget({ url: receiver.url, secret, events: ['customer.create'] });
        return receiver.capture(() =>
          c.run('customers.create', { companyName: 'Hook Test GmbH', email: 'hook@example.com' }),
        );
      },
    },
    teardown: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
}
