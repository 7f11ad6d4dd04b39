import { type SandboxServerOptions, type SystemSandbox, startSandboxServer } from '../common/server.js';
import { workspace } from './ids.js';
import { hookUrl } from './incoming-webhooks.js';
import { slackSystem } from './system.js';

export { verificationToken } from './events.js';
export { workspace as slackSandboxWorkspace } from './ids.js';

export interface SlackSandboxOptions extends SandboxServerOptions {
  /** Bot tokens the Web API accepts (default `xoxb-weft-sandbox`). */
  botTokens?: string[];
  /** Tokens answered `token_revoked` (default `xoxb-weft-revoked`). */
  revokedTokens?: string[];
  /** The secret path segment of the incoming webhook installed into #general. */
  incomingWebhookSecret?: string;
  /** Per-method tiers and ~1 post/s per channel (default on; `POST /_sandbox/slack/tiers` toggles). */
  tierLimits?: boolean;
}

export interface SlackSandbox extends SystemSandbox {
  botToken: string;
  /**
   * The #general incoming webhook; the URL is the credential. A Connection posts to it with
   * `auth: { kind: 'webhook-url', url }` (the bot Connection in `connection` cannot).
   */
  incomingWebhookUrl: string;
}

/**
 * Starts a local Slack: the Web API at `<url>/api/<method>` (auth.test, chat.postMessage,
 * chat.update, chat.delete, chat.postEphemeral, conversations.list/history/replies, users.list,
 * users.lookupByEmail), incoming webhooks at `<url>/services/T…/B…/<secret>`, and Events API
 * deliveries signed with `X-Slack-Signature` to targets set with `POST /_sandbox/webhooks`.
 *
 * @example
 * const slack = await startSlackSandbox({ port: 0, seedBusiness: true });
 * // slack.connection → { baseUrl: `${slack.url}/api`, auth: { kind: 'bearer', token }, settings: { teamId } }
 * // slack.incomingWebhookUrl → a Connection of its own: auth: { kind: 'webhook-url', url }
 */
export async function startSlackSandbox(opts: SlackSandboxOptions = {}): Promise<SlackSandbox> {
  const botTokens = opts.botTokens ?? ['xoxb-weft-sandbox'];
  const hookSecret = opts.incomingWebhookSecret ?? 'weftSandboxHookSecret0001';
  let baseUrl = '';
  const running = await startSandboxServer(
    (kit) =>
      slackSystem(kit, {
        botTokens,
        revokedTokens: opts.revokedTokens ?? ['xoxb-weft-revoked'],
        hookSecret,
        tierLimits: opts.tierLimits ?? true,
        baseUrl: () => baseUrl,
      }),
    opts,
    // The workspace-wide cap above the per-method tiers; tests lower it through /_sandbox/faults.
    { requests: 1000, windowMs: 60_000 },
  );
  baseUrl = running.url;
  const incomingWebhookUrl = hookUrl(running.url, {
    id: workspace.hookId,
    channel: '',
    secret: hookSecret,
  });
  return {
    ...running,
    system: 'slack',
    botToken: botTokens[0] ?? '',
    incomingWebhookUrl,
    connection: {
      baseUrl: `${running.url}/api`,
      auth: { kind: 'bearer', token: botTokens[0] ?? '' },
      // Not the webhook URL: settings are shown in clear, and the URL is a credential.
      settings: { teamId: workspace.teamId },
    },
  };
}
