import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookRequest } from '../../../src/connector/triggers.js';

/** A delivery as Weft's webhook endpoint gets it, and when the sender says it signed it (epoch ms). */
export type Delivery = WebhookRequest & { signedAt: number };

export interface WebhookReceiver {
  /** Where to point the sandbox's webhooks. */
  url: string;
  /** The next delivery: one already received, or the next to arrive. */
  next(): Promise<Delivery>;
  /**
   * The delivery that `cause` makes the sandbox send. The wait starts before `cause` runs, since a
   * fast sandbox can deliver before the write that triggered it has answered.
   */
  capture(cause: () => Promise<unknown>): Promise<Delivery>;
  close(): Promise<void>;
}

/**
 * Receives a sandbox's webhooks on 127.0.0.1 the way Weft's endpoint would (raw body, headers,
 * method and full URL) and hands each delivery to one waiter, in order.
 *
 * @example
 * const receiver = await startWebhookReceiver({ path: '/hooks/stripe', signedAt: signedAtFromT('stripe-signature') });
 */
export async function startWebhookReceiver(opts: {
  path: string;
  /** Reads the signing time from the System's own header. */
  signedAt: (headers: Headers) => number;
}): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  const waiting: ((d: Delivery) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const delivery: Delivery = {
        headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
        method: req.method ?? 'POST',
        url: `http://${req.headers.host}${req.url ?? '/'}`,
        signedAt: opts.signedAt(headers),
      };
      res.writeHead(200).end();
      const waiter = waiting.shift();
      if (waiter) waiter(delivery);
      else deliveries.push(delivery);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const next = () =>
    new Promise<Delivery>((resolve) => {
      const ready = deliveries.shift();
      if (ready) resolve(ready);
      else waiting.push(resolve);
    });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${opts.path}`,
    next,
    capture: async (cause) => {
      const delivery = next();
      await cause();
      return delivery;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Signing time from a `t=<unix seconds>,…` signature header (Stripe's, and Weft's own scheme). */
export function signedAtFromT(header: string): (headers: Headers) => number {
  return (headers) => Number(/t=(\d+)/.exec(headers.get(header) ?? '')?.[1] ?? '0') * 1000;
}
