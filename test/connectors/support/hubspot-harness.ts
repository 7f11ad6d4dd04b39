import { startHubSpotSandbox } from '../../../sandbox/hubspot/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import { hubspotConnector } from '../../../src/connectors/hubspot/connector.js';
import { hubspotListAll } from '../../../src/connectors/hubspot/object-actions.js';
import { HubSpotContact } from '../../../src/connectors/hubspot/schemas.js';
import {
  hubspotSignatureToleranceMs,
  hubspotWebhookTrigger,
} from '../../../src/connectors/hubspot/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';
import { kitAdmin, kitDropNextResponse, kitRateLimit } from './kit-admin.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

/** The app client secret the sandbox signs deliveries with (configured on its webhook target). */
const appClientSecret = 'hubspot-sandbox-app-client-secret';

/** Receives HubSpot deliveries; signature v3 signs the method and full URL, which it keeps. */
export function startReceiver(): Promise<WebhookReceiver> {
  return startWebhookReceiver({
    path: '/hooks/hubspot',
    // v3 timestamps are epoch milliseconds.
    signedAt: (headers) => Number(headers.get('x-hubspot-request-timestamp') ?? 0),
  });
}

/** The HubSpot connector wired to a fresh sandbox, for the shared contract suite. */
export async function hubspotHarness(): Promise<ContractHarness> {
  const sandbox = await startHubSpotSandbox({ port: 0 });
  const receiver = await startReceiver();
  const admin = kitAdmin(sandbox.url);
  const rateLimit = kitRateLimit(admin);

  const connectWith = (token: string) =>
    connect(
      hubspotConnector,
      {
        id: 'hubspot-sandbox',
        connector: 'hubspot',
        baseUrl: sandbox.url,
        auth: { kind: 'bearer', token },
        settings: { pollLagMs: '0' },
      },
      // Short back-off keeps the suite quick; the sandbox window it must outlast is 500 ms.
      { rateLimitBackoffMs: 200 },
    );

  return {
    connect: (credentials) =>
      connectWith(credentials === 'valid' ? sandbox.privateAppToken : 'pat-na1-00000000-wrong-token'),
    probe: (c) => c.run('contacts.list', { limit: 1 }),
    paging: {
      pageSize: 10,
      seed: (count) => admin.seed({ contacts: count }),
      listAll: (c) => collect(hubspotListAll<{ id: string }>(c.ctx, 'contacts', { pageSize: 10 })),
    },
    rateLimit: {
      ...rateLimit,
      limit: async (opts) => {
        await rateLimit.limit(opts);
        // HubSpot's limit belongs to the app, shared by every worker using it: another worker has
        // just spent this window, so the connection under test meets a 429 it could not foresee.
        for (let i = 0; i < opts.requests; i++) {
          await fetch(`${sandbox.url}/crm/v3/objects/contacts?limit=1`, {
            headers: { authorization: `Bearer ${sandbox.privateAppToken}` },
          });
        }
      },
    },
    write: {
      run: async (c, call) =>
        HubSpotContact.parse(
          await c.run(
            'contacts.upsert',
            { id: 'retry@example.com', properties: { firstname: 'Retry' } },
            call,
          ),
        ),
      dropNextResponse: kitDropNextResponse(admin),
      count: () => admin.count('contacts'),
    },
    webhook: {
      trigger: hubspotWebhookTrigger,
      secret: appClientSecret,
      toleranceMs: hubspotSignatureToleranceMs,
      capture: async (c) => {
        await admin.webhookTarget({
          url: receiver.url,
          secret: appClientSecret,
          events: ['contact.creation'],
        });
        return receiver.capture(() =>
          c.run('contacts.create', { properties: { email: 'hook@example.com', firstname: 'Hook' } }),
        );
      },
    },
    teardown: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
}
