import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { startZendeskSandbox } from '../../../sandbox/zendesk/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import type { WebhookRequest } from '../../../src/connector/triggers.js';
import { zendeskListAll } from '../../../src/connectors/zendesk/client.js';
import { zendeskConnector } from '../../../src/connectors/zendesk/connector.js';
import { ZendeskTicket } from '../../../src/connectors/zendesk/schemas.js';
import {
  zendeskSignatureToleranceMs,
  zendeskTimestampHeader,
  zendeskWebhookTrigger,
} from '../../../src/connectors/zendesk/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';

type Delivery = WebhookRequest & { signedAt: number };

/** A local endpoint that keeps what Zendesk webhooks POST to it, raw. */
export async function webhookReceiver() {
  const deliveries: Delivery[] = [];
  const waiting: ((d: Delivery) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const delivery = {
        headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
        signedAt: Date.parse(headers.get(zendeskTimestampHeader) ?? ''),
      };
      res.writeHead(200).end();
      const waiter = waiting.shift();
      if (waiter) waiter(delivery);
      else deliveries.push(delivery);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/zendesk`,
    next: () =>
      new Promise<Delivery>((resolve) => {
        const ready = deliveries.shift();
        if (ready) resolve(ready);
        else waiting.push(resolve);
      }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The Zendesk connector wired to a fresh sandbox, for the shared contract suite. */
export async function zendeskHarness(): Promise<ContractHarness> {
  const sandbox = await startZendeskSandbox({ port: 0 });
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
  const receiver = await webhookReceiver();
  const auth = sandbox.connection.auth as { kind: 'basic'; username: string; password: string };

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

  const harness: ContractHarness = {
    connect: (credentials) => connectWith(credentials === 'valid' ? auth.password : 'not-the-api-token'),
    probe: (c) => c.run('tickets.list', { page_size: 1 }),
    paging: {
      pageSize: 10,
      seed: async (count) => {
        await admin('seed', { tickets: count });
      },
      listAll: async (c) =>
        (
          await collect(zendeskListAll<{ id: number }>(c.ctx, '/api/v2/tickets', 'tickets', { pageSize: 10 }))
        ).map((t) => ({ id: String(t.id) })),
    },
    rateLimit: {
      limit: async (opts) => {
        await admin('faults', { rateLimit: opts });
      },
      clear: async () => {
        await admin('faults', { rateLimit: { requests: 700, windowMs: 60_000 } });
      },
      rejected: async () => (await stats()).rateLimited,
    },
    write: {
      run: async (c, call) => {
        const ticket = await c.run(
          'tickets.create',
          { subject: 'Printer offline', comment: { body: 'Restarting does not help.' }, priority: 'normal' },
          call,
        );
        return { id: String(ZendeskTicket.parse(ticket).id) };
      },
      dropNextResponse: async () => {
        await admin('faults', { dropNextResponses: 1 });
      },
      count: async () => (await stats()).objects.tickets ?? 0,
    },
    webhook: {
      trigger: zendeskWebhookTrigger,
      secret: '',
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
        (harness.webhook as { secret: string }).secret = z
          .object({ signing_secret: z.object({ secret: z.string() }) })
          .parse(revealed.body).signing_secret.secret;
        const next = receiver.next();
        await c.run('tickets.create', { subject: 'Hook test 42', comment: 'Sent to a webhook' });
        return next;
      },
    },
    teardown: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
  return harness;
}
