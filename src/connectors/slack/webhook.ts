import { createHmac, timingSafeEqual } from 'node:crypto';
import { defineWebhookTrigger, type WebhookRequest, type WebhookVerdict } from '../../connector/triggers.js';
import { SlackEventCallback } from './schemas.js';

/** Slack's guidance: reject requests whose timestamp is more than five minutes off. */
export const slackSignatureToleranceMs = 300_000;

/**
 * Verifies `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:<ts>:<raw body>")>` with
 * `X-Slack-Request-Timestamp`, in constant time against every secret (rotation), signature first
 * and age second so a forgery learns nothing about the clock.
 *
 * @example
 * verifySlackSignature({ headers: req.headers, rawBody, secrets: [signingSecret], now: Date.now() })
 */
export function verifySlackSignature(opts: {
  headers: Headers;
  rawBody: string;
  secrets: readonly string[];
  now: number;
  toleranceMs?: number;
}): WebhookVerdict {
  const signature = opts.headers.get('x-slack-signature');
  const timestamp = opts.headers.get('x-slack-request-timestamp');
  if (signature === null || timestamp === null) return { ok: false, reason: 'missing_signature' };
  if (!/^v0=[0-9a-f]{64}$/.test(signature) || !/^\d{1,12}$/.test(timestamp))
    return { ok: false, reason: 'malformed' };
  const given = Buffer.from(signature.slice(3), 'hex');
  const base = `v0:${timestamp}:${opts.rawBody}`;
  const matches = opts.secrets.some((secret) =>
    timingSafeEqual(given, createHmac('sha256', secret).update(base, 'utf8').digest()),
  );
  if (!matches) return { ok: false, reason: 'bad_signature' };
  if (Math.abs(opts.now - Number(timestamp) * 1000) > (opts.toleranceMs ?? slackSignatureToleranceMs))
    return { ok: false, reason: 'stale' };
  return { ok: true };
}

/**
 * The challenge of a `url_verification` request, which the receiving endpoint must echo (HTTP 200,
 * body = the challenge as text/plain, or `{"challenge": …}` JSON) before Slack enables the Request
 * URL. Undefined for every other body. Slack signs these too: verify first.
 */
export function slackUrlVerificationChallenge(rawBody: string): string | undefined {
  try {
    const body = JSON.parse(rawBody) as { type?: unknown; challenge?: unknown };
    return body.type === 'url_verification' && typeof body.challenge === 'string'
      ? body.challenge
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Events API deliveries. One `event_callback` per request becomes one Event, deduped on
 * `event_id` (Slack retries up to three times with `X-Slack-Retry-Num`, same id); the type is the
 * inner event's (`message`, `app_mention`, …). `url_verification` is a handshake (answered with
 * its challenge, no Event); `app_rate_limited` carries no business event and yields none.
 */
export const slackEventsTrigger = defineWebhookTrigger({
  name: 'events',
  description: 'Slack Events API deliveries, verified with X-Slack-Signature',
  event: SlackEventCallback,
  verify: (req: WebhookRequest, secrets, now) =>
    verifySlackSignature({ headers: req.headers, rawBody: req.rawBody, secrets, now }),
  // Slack enables a Request URL only after it echoes the challenge: JSON `{challenge}` with 200.
  handshake: (rawBody) => {
    const challenge = slackUrlVerificationChallenge(rawBody);
    return challenge === undefined ? undefined : { status: 200, body: { challenge } };
  },
  parse: (rawBody) => {
    const body = JSON.parse(rawBody) as { type?: unknown };
    if (body.type !== 'event_callback') return [];
    const event = SlackEventCallback.parse(body);
    return [{ dedupeKey: event.event_id, type: event.event.type, payload: event }];
  },
});
