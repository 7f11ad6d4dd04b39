import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSlackSandbox } from '../../../sandbox/slack/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import type { WebhookRequest } from '../../../src/connector/triggers.js';
import { PostMessageResult } from '../../../src/connectors/slack/chat.js';
import { slackConnector } from '../../../src/connectors/slack/connector.js';
import { slackListAll } from '../../../src/connectors/slack/web-api.js';
import { slackEventsTrigger, slackSignatureToleranceMs } from '../../../src/connectors/slack/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';

type Delivery = WebhookRequest & { signedAt: number };

/** A local receiver for Events API deliveries: hands each one to the next waiter. */
export async function startEventReceiver() {
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
        signedAt: Number(headers.get('x-slack-request-timestamp') ?? '0') * 1000,
      };
      res.writeHead(200).end();
      const waiter = waiting.shift();
      if (waiter) waiter(delivery);
      else deliveries.push(delivery);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/slack`,
    next: () =>
      new Promise<Delivery>((resolve) => {
        const ready = deliveries.shift();
        if (ready) resolve(ready);
        else waiting.push(resolve);
      }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The Slack connector wired to a fresh sandbox (#general and the bot only), for the contract suite. */
export async function slackHarness(): Promise<ContractHarness> {
  const sandbox = await startSlackSandbox({ port: 0 });
  const admin = async (path: string, body?: unknown) => {
    const res = await fetch(`${sandbox.url}/_sandbox/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const stats = async () =>
    (await admin('stats')) as { rateLimited: number; objects: Record<string, number> };
  const receiver = await startEventReceiver();
  const signingSecret = 'contract-signing-secret';

  const connectWith = (token: string) =>
    connect(
      slackConnector,
      {
        id: 'slack-sandbox',
        connector: 'slack',
        baseUrl: sandbox.connection.baseUrl,
        auth: { kind: 'bearer', token },
        // The sandbox's tiers are what the suite exercises; the client-side budget stays out of the way.
        limits: { requestsPerSecond: 50, burst: 50 },
        settings: sandbox.connection.settings ?? {},
      },
      { rateLimitBackoffMs: 200 },
    );

  const harness: ContractHarness = {
    connect: (credentials) =>
      connectWith(credentials === 'valid' ? sandbox.botToken : 'xoxb-not-a-real-token'),
    probe: (c) => c.run('auth.test', {}),
    paging: {
      pageSize: 10,
      seed: async (count) => {
        await admin('seed', { channels: count });
      },
      listAll: (c) =>
        collect(slackListAll<{ id: string }>(c.ctx, 'conversations.list', 'channels', { limit: 10 })),
    },
    rateLimit: {
      limit: async (opts) => {
        await admin('faults', { rateLimit: opts });
      },
      clear: async () => {
        await admin('faults', { rateLimit: { requests: 1000, windowMs: 60_000 } });
      },
      rejected: async () => (await stats()).rateLimited,
    },
    write: {
      run: async (c, call) => {
        const posted = PostMessageResult.parse(
          await c.run('chat.postMessage', { channel: '#general', text: 'Contract write' }, call),
        );
        return { id: posted.ts };
      },
      dropNextResponse: async () => {
        await admin('faults', { dropNextResponses: 1 });
      },
      count: async () => (await stats()).objects.message ?? 0,
    },
    webhook: {
      trigger: slackEventsTrigger,
      secret: signingSecret,
      toleranceMs: slackSignatureToleranceMs,
      capture: async (c) => {
        await admin('webhooks', { url: receiver.url, secret: signingSecret, events: ['message'] });
        const next = receiver.next();
        await c.run('chat.postMessage', { channel: '#general', text: 'Hook test 42' });
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
