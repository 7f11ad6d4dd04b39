import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSalesforceSandbox } from '../../../sandbox/salesforce/index.js';
import type { AuthConfig } from '../../../src/connector/auth.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import type { WebhookRequest } from '../../../src/connector/triggers.js';
import { createSalesforceConnector } from '../../../src/connectors/salesforce/connector.js';
import { soqlRecords } from '../../../src/connectors/salesforce/query.js';
import { UpsertResult } from '../../../src/connectors/salesforce/schemas.js';
import {
  salesforceChangeEventTrigger,
  salesforceWebhookToleranceMs,
} from '../../../src/connectors/salesforce/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';

type Delivery = WebhookRequest & { signedAt: number };

/** A local receiver for the sandbox's signed change events. */
export async function startReceiver() {
  const deliveries: Delivery[] = [];
  const waiting: ((d: Delivery) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const t = /t=(\d+)/.exec(headers.get('x-weft-signature') ?? '')?.[1] ?? '0';
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
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/salesforce`,
    next: () =>
      new Promise<Delivery>((resolve) => {
        const ready = deliveries.shift();
        if (ready) resolve(ready);
        else waiting.push(resolve);
      }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The Salesforce connector wired to a fresh sandbox org, for the shared contract suite. */
export async function salesforceHarness(): Promise<ContractHarness> {
  const sandbox = await startSalesforceSandbox({ port: 0 });
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
      seed: async (count) => {
        await admin('seed', { Account: count });
      },
      listAll: async (c) =>
        (await collect(soqlRecords(c.ctx, 'SELECT Id FROM Account ORDER BY Id', { batchSize: 200 }))).map(
          (r) => ({
            id: String(r.Id),
          }),
        ),
    },
    rateLimit: {
      limit: async (opts) => {
        await admin('faults', { rateLimit: opts });
      },
      clear: async () => {
        await admin('faults', { rateLimit: { requests: 100_000, windowMs: 86_400_000 } });
      },
      rejected: async () => (await stats()).rateLimited,
    },
    write: {
      run: async (c, call) => {
        const result = await c.run(
          'accounts.upsert',
          { externalId: call.idempotencyKey, fields: { Name: 'Contract Retry Co' } },
          call,
        );
        return UpsertResult.parse(result);
      },
      dropNextResponse: async () => {
        await admin('faults', { dropNextResponses: 1 });
      },
      count: async () => (await stats()).objects.Account ?? 0,
    },
    webhook: {
      trigger: salesforceChangeEventTrigger,
      secret,
      toleranceMs: salesforceWebhookToleranceMs,
      capture: async (c) => {
        await admin('webhooks', { url: receiver.url, secret, events: ['AccountChangeEvent'] });
        const next = receiver.next();
        await c.run('accounts.create', { fields: { Name: 'Hook Test Ltd' } });
        return next;
      },
    },
    teardown: async () => {
      await sandbox.kit.webhooks.drain();
      await sandbox.close();
      await receiver.close();
    },
  };
}
