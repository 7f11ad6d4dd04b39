import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookSender } from '../common/webhook-sender.js';
import { slackId, workspace } from './ids.js';

/** The legacy verification token Slack puts in every payload (apps should check the signature instead). */
export const verificationToken = 'weftSandboxVerificationToken';

/** `v0=` + hex HMAC-SHA256(signing secret, `v0:<timestamp>:<body>`), as Slack signs requests to apps. */
export function slackSignature(secret: string, timestampSeconds: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestampSeconds}:${body}`, 'utf8').digest('hex')}`;
}

function signedHeaders(secret: string, timestampMs: number, body: string): Record<string, string> {
  const t = Math.floor(timestampMs / 1000);
  return {
    'content-type': 'application/json',
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    'x-slack-request-timestamp': String(t),
    'x-slack-signature': slackSignature(secret, t, body),
  };
}

/** The Events API `event_callback` wrapper around one inner event (slack_common_event_wrapper_schema.json). */
export function eventCallback(event: Record<string, unknown> & { type: string }, nowMs: number) {
  return {
    token: verificationToken,
    team_id: workspace.teamId,
    api_app_id: workspace.appId,
    event,
    type: 'event_callback',
    event_id: slackId('Ev', 10),
    event_time: Math.floor(nowMs / 1000),
    authed_users: [workspace.botUserId],
    authorizations: [
      {
        enterprise_id: null,
        team_id: workspace.teamId,
        user_id: workspace.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${randomBytes(12).toString('base64url')}`,
  };
}

/**
 * Sends one event to every configured Request URL (`POST /_sandbox/webhooks {url, secret, events}`,
 * `secret` being the app's signing secret), signed per attempt with the attempt's own timestamp.
 * `events` filters on the inner event type (`message`, …).
 */
export function sendEvent(
  webhooks: WebhookSender,
  event: Record<string, unknown> & { type: string },
  nowMs: number,
): void {
  const body = JSON.stringify(eventCallback(event, nowMs));
  void webhooks.send({
    type: event.type,
    body,
    headers: (target, timestampMs) => signedHeaders(target.secret, timestampMs, body),
  });
}

/**
 * Slack's Request URL handshake: a signed `url_verification` whose `challenge` the app must echo
 * (plain text, `{"challenge": …}` JSON, or `challenge=…` form). Reports whether it did.
 */
export async function verifyRequestUrl(opts: {
  url: string;
  secret: string;
  nowMs: number;
}): Promise<{ verified: boolean; status: number | null }> {
  const challenge = randomBytes(24).toString('base64url');
  const body = JSON.stringify({ token: verificationToken, challenge, type: 'url_verification' });
  try {
    const res = await fetch(opts.url, {
      method: 'POST',
      headers: signedHeaders(opts.secret, opts.nowMs, body),
      body,
      signal: AbortSignal.timeout(3000),
    });
    const text = (await res.text()).trim();
    let echoed = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        echoed = String((JSON.parse(text) as { challenge?: unknown }).challenge ?? '');
      } catch {
        echoed = '';
      }
    } else if (text.startsWith('challenge=')) {
      echoed = new URLSearchParams(text).get('challenge') ?? '';
    }
    return { verified: res.ok && echoed === challenge, status: res.status };
  } catch {
    return { verified: false, status: null };
  }
}
