import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { defineWebhookTrigger, type WebhookRequest, type WebhookVerdict } from '../../connector/triggers.js';
import { ZendeskEvent } from './schemas.js';

/** Zendesk states no replay window; five minutes is Weft's default for every signed System. */
export const zendeskSignatureToleranceMs = 5 * 60_000;

export const zendeskSignatureHeader = 'x-zendesk-webhook-signature';
export const zendeskTimestampHeader = 'x-zendesk-webhook-signature-timestamp';

/**
 * Verifies a Zendesk webhook: the signature is base64(HMAC-SHA256(signing secret, timestamp +
 * raw body)), the timestamp header prepended verbatim. Compared in constant time with every secret
 * (rotation); the signature is checked before the age, so a forged request learns nothing about
 * its timestamp. The timestamp is ISO 8601 as Zendesk sends it (Unix seconds are accepted too).
 *
 * @example
 * verifyZendeskSignature({ signature, timestamp, rawBody, secrets: [secret], now: Date.now() })
 */
export function verifyZendeskSignature(opts: {
  signature: string | null;
  timestamp: string | null;
  rawBody: string;
  secrets: readonly string[];
  now: number;
  toleranceMs?: number;
}): WebhookVerdict {
  if (!opts.signature || !opts.timestamp) return { ok: false, reason: 'missing_signature' };
  const signedAt = /^\d+$/.test(opts.timestamp) ? Number(opts.timestamp) * 1000 : Date.parse(opts.timestamp);
  if (!Number.isFinite(signedAt) || !/^[A-Za-z0-9+/]+={0,2}$/.test(opts.signature.trim())) {
    return { ok: false, reason: 'malformed' };
  }
  const given = Buffer.from(opts.signature.trim(), 'base64');
  const timestamp = opts.timestamp;
  const matches = opts.secrets.some((secret) => {
    const expected = createHmac('sha256', secret)
      .update(timestamp + opts.rawBody, 'utf8')
      .digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return { ok: false, reason: 'bad_signature' };
  if (Math.abs(opts.now - signedAt) > (opts.toleranceMs ?? zendeskSignatureToleranceMs)) {
    return { ok: false, reason: 'stale' };
  }
  return { ok: true };
}

/**
 * What a Zendesk webhook can carry: an event (`zen:event-type:…`, deduped on its id), or for a
 * webhook connected to a trigger or automation whatever JSON its template renders (deduped on
 * the body's hash, since such bodies have no id of their own).
 */
const WebhookBody = z.union([ZendeskEvent, z.looseObject({})]);

export const zendeskWebhookTrigger = defineWebhookTrigger({
  name: 'events',
  description: 'Zendesk webhook deliveries (event subscriptions or trigger payloads), signature-verified',
  event: WebhookBody,
  verify: (req: WebhookRequest, secrets, now) =>
    verifyZendeskSignature({
      signature: req.headers.get(zendeskSignatureHeader),
      timestamp: req.headers.get(zendeskTimestampHeader),
      rawBody: req.rawBody,
      secrets,
      now,
    }),
  parse: (rawBody) => {
    const body: unknown = JSON.parse(rawBody);
    const event = ZendeskEvent.safeParse(body);
    if (event.success) return [{ dedupeKey: event.data.id, type: event.data.type, payload: event.data }];
    const payload = z.looseObject({}).parse(body);
    const hash = createHash('sha256').update(rawBody).digest('hex');
    return [{ dedupeKey: `zendesk-trigger:${hash}`, type: 'conditional_ticket_event', payload }];
  },
});
