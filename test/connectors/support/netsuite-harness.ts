import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startNetSuiteSandbox } from '../../../sandbox/netsuite/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect, nextUrlPages } from '../../../src/connector/pagination.js';
import type { WebhookRequest } from '../../../src/connector/triggers.js';
import { netsuiteConnector } from '../../../src/connectors/netsuite/connector.js';
import { CollectionPage, WriteResult } from '../../../src/connectors/netsuite/schemas.js';
import {
  netsuiteRecordChangeTrigger,
  netsuiteWebhookToleranceMs,
} from '../../../src/connectors/netsuite/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';

type Delivery = WebhookRequest & { signedAt: number };

/** Receives the sandbox's signed record-change callouts, one waiter per delivery. */
export async function startReceiver(header = 'x-weft-signature') {
  const deliveries: Delivery[] = [];
  const waiting: ((d: Delivery) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const t = /t=(\d+)/.exec(headers.get(header) ?? '')?.[1] ?? '0';
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
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/netsuite`,
    next: () =>
      new Promise<Delivery>((resolve) => {
        const ready = deliveries.shift();
        if (ready) resolve(ready);
        else waiting.push(resolve);
      }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The NetSuite connector wired to a fresh sandbox, for the shared contract suite. */
export async function netsuiteHarness(): Promise<ContractHarness> {
  const sandbox = await startNetSuiteSandbox({ port: 0 });
  const receiver = await startReceiver();
  const secret = 'weft-netsuite-contract-secret';
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
      seed: async (count) => {
        await admin('seed', { customers: count });
      },
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
    rateLimit: {
      limit: async (opts) => {
        await admin('faults', { rateLimit: opts });
      },
      clear: async () => {
        await admin('faults', { rateLimit: { requests: 2000, windowMs: 100 } });
      },
      rejected: async () => (await stats()).rateLimited,
    },
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
      dropNextResponse: async () => {
        await admin('faults', { dropNextResponses: 1 });
      },
      count: async () => (await stats()).objects.customer ?? 0,
    },
    webhook: {
      trigger: netsuiteRecordChangeTrigger,
      secret,
      toleranceMs: netsuiteWebhookToleranceMs,
      capture: async (c) => {
        await admin('webhooks', { url: receiver.url, secret, events: ['customer.create'] });
        const next = receiver.next();
        await c.run('customers.create', { companyName: 'Hook Test GmbH', email: 'hook@example.com' });
        return next;
      },
    },
    teardown: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
}
