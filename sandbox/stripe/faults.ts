import { z } from 'zod';

/**
 * Fault-injection settings, changed at runtime through `POST /_sandbox/faults`. Rates are
 * probabilities per API request; the `…Next` counters are deterministic, for tests.
 */
export const FaultSettings = z.object({
  /** Share of requests answered 500 `api_error` before any work (not saved for idempotency). */
  errorRate: z.number().min(0).max(1).default(0),
  /** Added to every API request. */
  latencyMs: z.number().int().min(0).default(0),
  /** Share of requests never answered (the client's timeout fires). */
  timeoutRate: z.number().min(0).max(1).default(0),
  /** The next N requests are answered 500 before any work. */
  failNext: z.number().int().min(0).default(0),
  /** The next N POSTs are executed, saved for their idempotency key, then the connection is dropped. */
  dropNextResponses: z.number().int().min(0).default(0),
  /** Stripe's test-mode budget is 25 requests/s per account. */
  rateLimit: z
    .object({ requests: z.number().int().positive(), windowMs: z.number().int().positive() })
    .default({ requests: 25, windowMs: 1000 }),
});
export type FaultSettings = z.infer<typeof FaultSettings>;

/** Per-account sliding-window limiter with Stripe's answer: 429 and no rate-limit headers. */
export class SandboxRateLimiter {
  readonly #hits = new Map<string, number[]>();
  rejected = 0;

  /** True when the request may pass; records it either way. */
  allow(account: string, settings: FaultSettings['rateLimit'], now: number): boolean {
    const recent = (this.#hits.get(account) ?? []).filter((t) => t > now - settings.windowMs);
    if (recent.length >= settings.requests) {
      this.#hits.set(account, recent);
      this.rejected += 1;
      return false;
    }
    recent.push(now);
    this.#hits.set(account, recent);
    return true;
  }

  clear(): void {
    this.#hits.clear();
  }
}
