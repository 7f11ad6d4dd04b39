import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHubSpotSandbox } from '../../../sandbox/hubspot/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import type { WebhookRequest } from '../../../src/connector/triggers.js';
import { hubspotConnector } from '../../../src/connectors/hubspot/connector.js';
import { hubspotListAll } from '../../../src/connectors/hubspot/object-actions.js';
import { HubSpotContact } from '../../../src/connectors/hubspot/schemas.js';
import {
  hubspotSignatureToleranceMs,
  hubspotWebhookTrigger,
} from '../../../src/connectors/hubspot/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';

type Delivery = WebhookRequest & { signedAt: number };

/** The app client secret the sandbox signs deliveries with (configured on its webhook target). */
const appClientSecret = 'hubspot-sandbox-app-client-secret';

/** Receives webhook deliveries the way Weft's endpoint would: raw body, method and full URL. */
export async function startReceiver() {
  const deliveries: Delivery[] = [];
  const waiting: ((d: Delivery) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const delivery: Delivery = {
        headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
        method: req.method ?? 'POST',
        url: `http://${req.headers.host}${req.url ?? '/'}`,
        signedAt: Number(headers.get('x-hubspot-request-timestamp') ?? 0),
      };
      res.writeHead(204).end();
      const waiter = waiting.shift();
      if (waiter) waiter(delivery);
      else deliveries.push(delivery);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/hubspot`,
    next: () =>
      new Promise<Delivery>((resolve) => {
        const ready = deliveries.shift();
        if (ready) resolve(ready);
        else waiting.push(resolve);
      }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The HubSpot connector wired to a fresh sandbox, for the shared contract suite. */
export async function hubspotHarness(): Promise<ContractHarness> {
  const sandbox = await startHubSpotSandbox({ port: 0 });
  const receiver = await startReceiver();
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
      seed: async (count) => {
        await admin('seed', { contacts: count });
      },
      listAll: (c) => collect(hubspotListAll<{ id: string }>(c.ctx, 'contacts', { pageSize: 10 })),
    },
    rateLimit: {
      limit: async (opts) => {
        await admin('faults', { rateLimit: opts });
        // HubSpot's limit belongs to the app, shared by every worker using it: another worker has
        // just spent this window, so the connection under test meets a 429 it could not foresee.
        for (let i = 0; i < opts.requests; i++) {
          await fetch(`${sandbox.url}/crm/v3/objects/contacts?limit=1`, {
            headers: { authorization: `Bearer ${sandbox.privateAppToken}` },
          });
        }
      },
      clear: async () => {
        await admin('faults', { rateLimit: { requests: 190, windowMs: 10_000 } });
      },
      rejected: async () => (await stats()).rateLimited,
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
      dropNextResponse: async () => {
        await admin('faults', { dropNextResponses: 1 });
      },
      count: async () => (await stats()).objects.contacts ?? 0,
    },
    webhook: {
      trigger: hubspotWebhookTrigger,
      secret: appClientSecret,
      toleranceMs: hubspotSignatureToleranceMs,
      capture: async (c) => {
        await admin('webhooks', { url: receiver.url, secret: appClientSecret, events: ['contact.creation'] });
        const next = receiver.next();
        await c.run('contacts.create', { properties: { email: 'hook@example.com', firstname: 'Hook' } });
        return next;
      },
    },
    teardown: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
}
