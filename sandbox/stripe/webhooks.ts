import { createHmac } from 'node:crypto';
import type { WebhookDelivery, WebhookTarget } from '../common/webhook-sender.js';
import type { StripeObject, StripeStore } from './store.js';

/** Enabled `/v1/webhook_endpoints` that want this event type (`*` means all), as kit targets. */
export function subscribedEndpoints(store: StripeStore, type: string): WebhookTarget[] {
  return store
    .all('webhook_endpoint')
    .filter((e) => {
      const events = e.enabled_events as string[];
      return e.status === 'enabled' && (events.includes('*') || events.includes(type));
    })
    .map((e) => ({ url: e.url as string, secret: e.secret as string }));
}

/** `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as Stripe signs. */
export function stripeSignature(secret: string, body: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/**
 * One event as the kit's sender delivers it: the exact bytes, re-signed for each target and
 * attempt with that attempt's timestamp, as Stripe does.
 */
export function stripeDelivery(event: StripeObject): WebhookDelivery {
  const body = JSON.stringify(event, null, 2);
  return {
    type: event.type as string,
    body,
    headers: (target, timestampMs) => ({
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
      'stripe-signature': stripeSignature(target.secret, body, Math.floor(timestampMs / 1000)),
    }),
  };
}
