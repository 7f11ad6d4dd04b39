import { z } from 'zod';
import { startZendeskSandbox } from '../../../sandbox/zendesk/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import { zendeskListAll } from '../../../src/connectors/zendesk/client.js';
import { zendeskConnector } from '../../../src/connectors/zendesk/connector.js';
import { ZendeskTicket } from '../../../src/connectors/zendesk/schemas.js';
import {
  zendeskSignatureToleranceMs,
  zendeskTimestampHeader,
  zendeskWebhookTrigger,
} from '../../../src/connectors/zendesk/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';
import { kitAdmin, kitDropNextResponse, kitRateLimit } from './kit-admin.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

/** A local endpoint that keeps what Zendesk webhooks POST to it, raw. */
export function webhookReceiver(): Promise<WebhookReceiver> {
  return startWebhookReceiver({
    path: '/hooks/zendesk',
    // Zendesk's signature timestamp is ISO 8601, not epoch seconds.
    signedAt: (headers) => Date.parse(headers.get(zendeskTimestampHeader) ?? ''),
  });
}

/** The Zendesk connector wired to a fresh sandbox, for the shared contract suite. */
export async function zendeskHarness(): Promise<ContractHarness> {
  const sandbox = await startZendeskSandbox({ port: 0 });
  const admin = kitAdmin(sandbox.url);
  const receiver = await webhookReceiver();
  const auth = sandbox.connection.auth as { kind: 'basic'; username: string; password: string };
  // Zendesk reveals a webhook's signing secret only after the webhook exists, so it is set by capture.
  let secret = '';

  const connectWith = (password: string) =>
    connect(
      zendeskConnector,
      {
        id: 'zendesk-sandbox',
        connector: 'zendesk',
        baseUrl: sandbox.url,
        auth: { ...auth, password },
        // The suite's rate-limit window is 500 ms; the connector's own pace must not hide it.
        limits: { requestsPerSecond: 100 },
      },
      { rateLimitBackoffMs: 200 },
    );

  return {
    connect: (credentials) => connectWith(credentials === 'valid' ? auth.password : 'not-the-api-token'),
    probe: (c) => c.run('tickets.list', { page_size: 1 }),
    paging: {
      pageSize: 10,
      seed: (count) => admin.seed({ tickets: count }),
      listAll: async (c) =>
        (
          await collect(zendeskListAll<{ id: number }>(c.ctx, '/api/v2/tickets', 'tickets', { pageSize: 10 }))
        ).map((t) => ({ id: String(t.id) })),
    },
    rateLimit: kitRateLimit(admin),
    write: {
      run: async (c, call) => {
        const ticket = await c.run(
          'tickets.create',
          { subject: 'Printer offline', comment: { body: 'Restarting does not help.' }, priority: 'normal' },
          call,
        );
        return { id: String(ZendeskTicket.parse(ticket).id) };
      },
      dropNextResponse: kitDropNextResponse(admin),
      count: () => admin.count('tickets'),
    },
    webhook: {
      trigger: zendeskWebhookTrigger,
      get secret() {
        return secret;
      },
      toleranceMs: zendeskSignatureToleranceMs,
      capture: async (c) => {
        const created = await c.ctx.http.request<unknown>({
          method: 'POST',
          path: '/api/v2/webhooks',
          json: {
            webhook: {
              name: 'Weft contract',
              endpoint: receiver.url,
              http_method: 'POST',
              request_format: 'json',
              status: 'active',
              subscriptions: ['zen:event-type:ticket.created'],
            },
          },
        });
        const id = z.object({ webhook: z.object({ id: z.string() }) }).parse(created.body).webhook.id;
        const revealed = await c.ctx.http.request<unknown>({
          method: 'GET',
          path: `/api/v2/webhooks/${id}/signing_secret`,
        });
        secret = z.object({ signing_secret: z.object({ secret: z.string() }) }).parse(revealed.body)
          .signing_secret.secret;
        return receiver.capture(() =>
          c.run('tickets.create', { subject: 'Hook test 42', comment: 'Sent to a webhook' }),
        );
      },
    },
    teardown: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
}
