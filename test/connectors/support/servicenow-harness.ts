import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServiceNowSandbox } from '../../../sandbox/servicenow/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import { weftSignatureHeader } from '../../../src/connector/signed-webhook.js';
import type { WebhookRequest } from '../../../src/connector/triggers.js';
import { serviceNowConnector } from '../../../src/connectors/servicenow/connector.js';
import { ServiceNowIncident, snValue } from '../../../src/connectors/servicenow/schemas.js';
import { snListAll } from '../../../src/connectors/servicenow/table-api.js';
import {
  incidentWebhookTrigger,
  serviceNowWebhookToleranceMs,
} from '../../../src/connectors/servicenow/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';

type Delivery = WebhookRequest & { signedAt: number };

/** The ServiceNow connector wired to a fresh sandbox instance, for the shared contract suite. */
export async function serviceNowHarness(): Promise<ContractHarness> {
  const sandbox = await startServiceNowSandbox({ port: 0 });
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

  // Plays Weft's webhook endpoint: what the Business Rule (here, the sandbox) POSTs arrives here.
  const deliveries: Delivery[] = [];
  const waiting: ((d: Delivery) => void)[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const t = /t=(\d+)/.exec(headers.get(weftSignatureHeader) ?? '')?.[1] ?? '0';
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
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/servicenow`;
  const secret = 'weft-servicenow-business-rule-secret';

  const auth = sandbox.connection.auth;
  const connectWith = (password: string) =>
    connect(
      serviceNowConnector,
      {
        id: 'servicenow-sandbox',
        connector: 'servicenow',
        baseUrl: sandbox.url,
        auth: auth.kind === 'basic' ? { ...auth, password } : auth,
      },
      { rateLimitBackoffMs: 200 },
    );
  const validPassword = auth.kind === 'basic' ? auth.password : '';

  return {
    connect: (credentials) => connectWith(credentials === 'valid' ? validPassword : 'not-the-right-one'),
    probe: (c) => c.run('incidents.list', { limit: 1 }),
    paging: {
      pageSize: 10,
      seed: async (count) => {
        await admin('seed', { incidents: count });
      },
      listAll: async (c) =>
        (
          await collect(
            snListAll<Record<string, string>>(c.ctx, 'incident', { pageSize: 10, fields: ['sys_id'] }),
          )
        ).map((r) => ({ id: r.sys_id ?? '' })),
    },
    rateLimit: {
      limit: async (opts) => {
        await admin('faults', { rateLimit: opts });
      },
      clear: async () => {
        await admin('faults', { rateLimit: { requests: 5_000, windowMs: 60_000 } });
      },
      rejected: async () => (await stats()).rateLimited,
    },
    write: {
      run: async (c, call) => {
        const incident = await c.run(
          'incidents.create',
          { short_description: 'Contract: retried create', urgency: '2' },
          call,
        );
        return { id: snValue(ServiceNowIncident.parse(incident).sys_id) ?? '' };
      },
      dropNextResponse: async () => {
        await admin('faults', { dropNextResponses: 1 });
      },
      count: async () => (await stats()).objects.incident ?? 0,
    },
    webhook: {
      trigger: incidentWebhookTrigger,
      secret,
      toleranceMs: serviceNowWebhookToleranceMs,
      capture: async (c) => {
        await admin('webhooks', { url: receiverUrl, secret, events: ['incident.created'] });
        const next = new Promise<Delivery>((resolve) => {
          const ready = deliveries.shift();
          if (ready) resolve(ready);
          else waiting.push(resolve);
        });
        await c.run('incidents.create', { short_description: 'Webhook capture', impact: '1', urgency: '1' });
        return next;
      },
    },
    teardown: async () => {
      await sandbox.close();
      await new Promise<void>((r) => receiver.close(() => r()));
    },
  };
}
