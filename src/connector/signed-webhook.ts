import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import {
  defineWebhookTrigger,
  type TriggerEvent,
  type WebhookRequest,
  type WebhookTriggerDefinition,
  type WebhookVerdict,
} from './triggers.js';

/**
 * Weft's own webhook signature, for Systems that sign nothing natively (Salesforce flow callouts,
 * NetSuite SuiteScript, ServiceNow business rules): the customer's script sends
 * `X-Weft-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, the same
 * construction as Stripe's, so a replayed or altered body fails.
 */
export const weftSignatureHeader = 'x-weft-signature';
export const weftSignatureToleranceMs = 5 * 60_000;

/** The header value for `rawBody` signed at `timestampMs`. */
export function signWeftWebhook(secret: string, rawBody: string, timestampMs: number): string {
  const t = Math.floor(timestampMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest('hex')}`;
}

/** Checks a Weft signature in constant time against any of `secrets` (rotation), within the tolerance. */
export function verifyWeftWebhook(
  req: WebhookRequest,
  secrets: readonly string[],
  now: number,
  toleranceMs = weftSignatureToleranceMs,
): WebhookVerdict {
  const header = req.headers.get(weftSignatureHeader);
  if (header === null) return { ok: false, reason: 'missing_signature' };
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const given = parts
    .filter(([k, v]) => k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v))
    .map(([, v]) => Buffer.from(v as string, 'hex'));
  if (!Number.isInteger(t) || given.length === 0) return { ok: false, reason: 'malformed' };
  const matches = secrets.some((secret) => {
    const expected = createHmac('sha256', secret).update(`${t}.${req.rawBody}`, 'utf8').digest();
    return given.some((g) => timingSafeEqual(g, expected));
  });
  if (!matches) return { ok: false, reason: 'bad_signature' };
  if (Math.abs(now - t * 1000) > toleranceMs) return { ok: false, reason: 'stale' };
  return { ok: true };
}

/**
 * A webhook trigger verified by the Weft signature; the connector supplies only the parse.
 *
 * @example
 * export const incidentChanged = defineWeftSignedWebhookTrigger({ name: 'incident.changed', description: '…', event: Incident, parse: (raw) => [...] });
 */
export function defineWeftSignedWebhookTrigger<E extends z.ZodType>(def: {
  name: string;
  description: string;
  event: E;
  parse(rawBody: string): TriggerEvent<z.output<E>>[];
}): WebhookTriggerDefinition<E> {
  return defineWebhookTrigger({
    ...def,
    verify: (req, secrets, now) => verifyWeftWebhook(req, secrets, now),
  });
}
