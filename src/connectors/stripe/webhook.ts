import { createHmac, timingSafeEqual } from 'node:crypto';
import { defineWebhookTrigger, type WebhookRequest, type WebhookVerdict } from '../../connector/triggers.js';
import { StripeEvent } from './schemas.js';

/** Stripe's official libraries accept signatures up to 5 minutes old; so do we. */
export const stripeSignatureToleranceMs = 300_000;

/**
 * Verifies a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`): the expected value is
 * hex(HMAC-SHA256(endpoint secret, `${t}.${rawBody}`)), compared in constant time with every `v1`
 * (Stripe sends two during secret rotation). The signature is checked before the age, so a forged
 * request never learns whether its timestamp would have passed.
 *
 * @example
 * verifyStripeSignature({ header: req.headers.get('stripe-signature'), rawBody, secrets: [whsec], now: Date.now() })
 */
export function verifyStripeSignature(opts: {
  header: string | null;
  rawBody: string;
  secrets: readonly string[];
  now: number;
  toleranceMs?: number;
}): WebhookVerdict {
  if (opts.header === null || opts.header.trim() === '') return { ok: false, reason: 'missing_signature' };
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of opts.header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp ??= value;
    else if (key === 'v1') signatures.push(value);
  }
  if (timestamp === undefined || !/^\d+$/.test(timestamp) || signatures.length === 0) {
    return { ok: false, reason: 'malformed' };
  }
  const payload = `${timestamp}.${opts.rawBody}`;
  const matches = opts.secrets.some((secret) => {
    const expected = Buffer.from(createHmac('sha256', secret).update(payload, 'utf8').digest('hex'));
    return signatures.some((sig) => {
      const given = Buffer.from(sig);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  });
  if (!matches) return { ok: false, reason: 'bad_signature' };
  const ageMs = Math.abs(opts.now - Number(timestamp) * 1000);
  if (ageMs > (opts.toleranceMs ?? stripeSignatureToleranceMs)) return { ok: false, reason: 'stale' };
  return { ok: true };
}

/** Stripe event deliveries (`POST` of one Event per request), deduped on the event id. */
export const stripeWebhookTrigger = defineWebhookTrigger({
  name: 'events',
  description: 'Stripe webhook deliveries, verified with Stripe-Signature',
  event: StripeEvent,
  verify: (req: WebhookRequest, secrets, now) =>
    verifyStripeSignature({
      header: req.headers.get('stripe-signature'),
      rawBody: req.rawBody,
      secrets,
      now,
    }),
  parse: (rawBody) => {
    const event = StripeEvent.parse(JSON.parse(rawBody));
    return [{ dedupeKey: event.id, type: event.type, payload: event }];
  },
});
