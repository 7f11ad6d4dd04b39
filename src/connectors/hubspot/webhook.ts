import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { defineWebhookTrigger, type WebhookRequest, type WebhookVerdict } from '../../connector/triggers.js';
import { HubSpotWebhookEvent } from './schemas.js';

/** HubSpot's documented replay window for signature v3: reject requests older than 5 minutes. */
export const hubspotSignatureToleranceMs = 5 * 60_000;

/**
 * The characters HubSpot decodes in the request URI before signing (its validation guide lists
 * them); every other escape stays as sent.
 */
const decoded: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/** The URI as HubSpot signs it. */
export function hubspotSignedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => decoded[m.toUpperCase()] ?? m);
}

/** base64(HMAC-SHA256(app client secret, METHOD + URI + body + timestamp)). */
export function signHubSpotV3(opts: {
  secret: string;
  method: string;
  url: string;
  rawBody: string;
  timestamp: string | number;
}): string {
  return createHmac('sha256', opts.secret)
    .update(
      `${opts.method.toUpperCase()}${hubspotSignedUri(opts.url)}${opts.rawBody}${opts.timestamp}`,
      'utf8',
    )
    .digest('base64');
}

/**
 * Verifies `X-HubSpot-Signature-v3` against every configured app client secret (rotation) in
 * constant time, then the age of `X-HubSpot-Request-Timestamp` (epoch ms, 5-minute window). The
 * signature covers the method and full URL, so the request must carry the URL **as HubSpot
 * addressed it** (the public https URL, not one rewritten by a proxy).
 *
 * @example
 * verifyHubSpotSignature({ headers, rawBody, method: 'POST', url: 'https://weft.example.com/hooks/hubspot' }, [clientSecret], Date.now())
 */
export function verifyHubSpotSignature(
  req: WebhookRequest,
  secrets: readonly string[],
  now: number,
  toleranceMs = hubspotSignatureToleranceMs,
): WebhookVerdict {
  const signature = req.headers.get('x-hubspot-signature-v3');
  const timestamp = req.headers.get('x-hubspot-request-timestamp');
  if (signature === null || signature.trim() === '') return { ok: false, reason: 'missing_signature' };
  if (timestamp === null || !/^\d+$/.test(timestamp) || req.method === undefined || req.url === undefined) {
    return { ok: false, reason: 'malformed' };
  }
  const given = Buffer.from(signature.trim(), 'base64');
  if (given.length !== 32) return { ok: false, reason: 'malformed' };
  const { method, url } = req;
  const matches = secrets.some((secret) => {
    const expected = Buffer.from(
      signHubSpotV3({ secret, method, url, rawBody: req.rawBody, timestamp }),
      'base64',
    );
    return timingSafeEqual(given, expected);
  });
  if (!matches) return { ok: false, reason: 'bad_signature' };
  if (Math.abs(now - Number(timestamp)) > toleranceMs) return { ok: false, reason: 'stale' };
  return { ok: true };
}

const Delivery = z.array(HubSpotWebhookEvent);

/**
 * App webhook deliveries: a JSON array of events (`contact.creation`, `deal.propertyChange`, …).
 * HubSpot says `eventId` alone is not guaranteed unique, and it redelivers with a higher
 * `attemptNumber`; the dedupe key is the event's identity without the attempt.
 */
export const hubspotWebhookTrigger = defineWebhookTrigger({
  name: 'events',
  description: 'HubSpot app webhook deliveries, verified with X-HubSpot-Signature-v3',
  event: HubSpotWebhookEvent,
  verify: (req, secrets, now) => verifyHubSpotSignature(req, secrets, now),
  parse: (rawBody) =>
    Delivery.parse(JSON.parse(rawBody)).map((e) => ({
      dedupeKey: `${e.portalId}:${e.subscriptionType}:${e.objectId}:${e.eventId}:${e.occurredAt}${e.propertyName ? `:${e.propertyName}` : ''}`,
      type: e.subscriptionType,
      payload: e,
    })),
});
