import { startSlackSandbox } from '../../../sandbox/slack/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import { PostMessageResult } from '../../../src/connectors/slack/chat.js';
import { slackConnector } from '../../../src/connectors/slack/connector.js';
import { slackListAll } from '../../../src/connectors/slack/web-api.js';
import { slackEventsTrigger, slackSignatureToleranceMs } from '../../../src/connectors/slack/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';
import { kitAdmin, kitDropNextResponse, kitRateLimit } from './kit-admin.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

/** A local receiver for Events API deliveries: hands each one to the next waiter. */
export function startEventReceiver(): Promise<WebhookReceiver> {
  return startWebhookReceiver({
    path: '/hooks/slack',
    signedAt: (headers) => Number(headers.get('x-slack-request-timestamp') ?? '0') * 1000,
  });
}

/** The Slack connector wired to a fresh sandbox (#general and the bot only), for the contract suite. */
export async function slackHarness(): Promise<ContractHarness> {
  const sandbox = await startSlackSandbox({ port: 0 });
  const admin = kitAdmin(sandbox.url);
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

  return {
    connect: (credentials) =>
      connectWith(credentials === 'valid' ? sandbox.botToken : 'xoxb-not-a-real-token'),
    probe: (c) => c.run('auth.test', {}),
    paging: {
      pageSize: 10,
      seed: (count) => admin.seed({ channels: count }),
      listAll: (c) =>
        collect(slackListAll<{ id: string }>(c.ctx, 'conversations.list', 'channels', { limit: 10 })),
    },
    rateLimit: kitRateLimit(admin),
    write: {
      run: async (c, call) => {
        const posted = PostMessageResult.parse(
          await c.run('chat.postMessage', { channel: '#general', text: 'Contract write' }, call),
        );
        return { id: posted.ts };
      },
      dropNextResponse: kitDropNextResponse(admin),
      count: () => admin.count('message'),
    },
    webhook: {
      trigger: slackEventsTrigger,
      secret: signingSecret,
      toleranceMs: slackSignatureToleranceMs,
      capture: async (c) => {
        await admin.webhookTarget({ url: receiver.url, secret: signingSecret, events: ['message'] });
        return receiver.capture(() =>
          c.run('chat.postMessage', { channel: '#general', text: 'Hook test 42' }),
        );
      },
    },
    teardown: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
}
