import { createHmac } from 'node:crypto';
import type { SandboxStore, StripeObject } from './store.js';

/** Endpoints that want this event type (`*` means all). */
export function subscribedEndpoints(store: SandboxStore, type: string): StripeObject[] {
  return store.all('webhook_endpoint').filter((e) => {
    const events = e.enabled_events as string[];
    return e.status === 'enabled' && (events.includes('*') || events.includes(type));
  });
}

/** `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, as Stripe signs. */
export function stripeSignature(secret: string, body: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/**
 * Sends one event to one endpoint, retrying failures with a short backoff (Stripe retries for
 * days; the sandbox keeps it to a few seconds so tests stay quick). Each attempt is re-signed with
 * its own timestamp, as Stripe does.
 */
export async function deliver(opts: {
  endpoint: StripeObject;
  event: StripeObject;
  nowSeconds: () => number;
  attempts?: number;
  onDelivered?: (ok: boolean) => void;
}): Promise<boolean> {
  const body = JSON.stringify(opts.event, null, 2);
  const attempts = opts.attempts ?? 4;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(opts.endpoint.url as string, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'stripe-signature': stripeSignature(opts.endpoint.secret as string, body, opts.nowSeconds()),
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      if (res.ok) {
        opts.onDelivered?.(true);
        return true;
      }
    } catch {
      // Unreachable endpoint: retry like any non-2xx answer.
    }
    await new Promise((r) => setTimeout(r, 200 * 2 ** i));
  }
  opts.onDelivered?.(false);
  return false;
}
