import { defineConnector } from '../../connector/connector.js';
import { retryAfterHeader } from '../../connector/rate-limiter.js';
import { chatActions } from './chat.js';
import { conversationActions } from './conversations.js';
import { classifySlackHttpError } from './errors.js';
import { incomingWebhookActions } from './incoming-webhook.js';
import { SlackConversation, SlackEventCallback, SlackMessage, SlackUser } from './schemas.js';
import { userActions } from './users.js';
import { slackEventsTrigger } from './webhook.js';

export const slackBaseUrl = 'https://slack.com/api';

/**
 * Slack: the Web API with a bot token (chat.postMessage/update/delete, conversations, users,
 * auth.test), incoming webhooks (a Connection of auth kind `webhook-url`), and the Events API.
 * Failures arrive as HTTP 200 `{ok:false}` and are classified by their error string; 429s carry
 * Retry-After, which the limiter honours. Slack has no idempotency key: posts carry Weft's key in
 * message metadata and a retry looks it up.
 *
 * @example
 * const slack = connect(slackConnector, { id: 'slack', connector: 'slack', auth: { kind: 'bearer', token: botToken } });
 * await slack.run('chat.postMessage', { channel: '#sales', text: 'Closed-won: Acme' }, { idempotencyKey });
 */
export const slackConnector = defineConnector({
  name: 'slack',
  title: 'Slack',
  defaultBaseUrl: slackBaseUrl,
  // `bearer`: a bot token for the Web API. `webhook-url`: one incoming webhook, nothing else.
  auth: ['bearer', 'webhook-url'],
  objects: {
    message: SlackMessage,
    conversation: SlackConversation,
    user: SlackUser,
    event: SlackEventCallback,
  },
  actions: { ...chatActions, ...conversationActions, ...userActions, ...incomingWebhookActions },
  webhookTriggers: { events: slackEventsTrigger },
  http: {
    // Tier 3 methods allow ~50/min and posting ~1/s per channel; Retry-After steers the rest.
    rateLimit: { requestsPerSecond: 1, burst: 20, readHeaders: retryAfterHeader },
    classify: classifySlackHttpError,
  },
});
