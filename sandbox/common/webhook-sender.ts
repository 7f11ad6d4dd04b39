import { z } from 'zod';

/** Where a sandbox sends its webhooks, set by option or `POST /_sandbox/webhooks`. */
export const WebhookTarget = z.object({
  url: z.url(),
  /** The signing secret (or, for Systems that sign with an app secret, that secret). */
  secret: z.string().min(1),
  /** Event types to send; empty or absent means all. */
  events: z.array(z.string()).optional(),
});
export type WebhookTarget = z.infer<typeof WebhookTarget>;

export interface WebhookDelivery {
  /** The event type, matched against each target's `events`. */
  type: string;
  /** Exactly the bytes that are signed and sent. */
  body: string;
  /** The System's signature headers for this target, signed at `timestampMs` (re-signed per attempt). */
  headers(target: WebhookTarget, timestampMs: number, url: string): Record<string, string>;
}

/**
 * Sends a sandbox's webhook deliveries to its targets with the System's retry habit: non-2xx or an
 * unreachable target is retried with back-off (a few seconds here, days at the real Systems).
 */
export class WebhookSender {
  targets: WebhookTarget[] = [];
  readonly stats = { succeeded: 0, failed: 0 };
  readonly #pending = new Set<Promise<unknown>>();

  constructor(
    private readonly now: () => number,
    private readonly attempts = 4,
  ) {}

  /** Queues the delivery to every matching target; resolves when all attempts settle. */
  send(delivery: WebhookDelivery): Promise<void> {
    const targets = this.targets.filter(
      (t) => t.events === undefined || t.events.length === 0 || t.events.includes(delivery.type),
    );
    return this.sendTo(targets, delivery);
  }

  /**
   * Delivers to targets the System chose itself (e.g. Stripe's `/v1/webhook_endpoints`), with the
   * same retries and statistics as {@link send}.
   */
  sendTo(targets: readonly WebhookTarget[], delivery: WebhookDelivery): Promise<void> {
    const all = Promise.all(targets.map((t) => this.#deliver(t, delivery))).then(() => undefined);
    this.#pending.add(all);
    void all.finally(() => this.#pending.delete(all));
    return all;
  }

  /** Waits for deliveries in flight (used on close and in tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  async #deliver(target: WebhookTarget, delivery: WebhookDelivery): Promise<void> {
    for (let i = 0; i < this.attempts; i++) {
      try {
        const res = await fetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...delivery.headers(target, this.now(), target.url),
          },
          body: delivery.body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer();
        if (res.ok) {
          this.stats.succeeded += 1;
          return;
        }
      } catch {
        // Unreachable target: retried like any non-2xx answer.
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** i));
    }
    this.stats.failed += 1;
  }
}
