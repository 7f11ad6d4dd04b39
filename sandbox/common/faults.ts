import { z } from 'zod';

/**
 * Fault-injection settings of one sandbox, changed at runtime through `POST /_sandbox/faults`.
 * Rates are probabilities per API request; the `…Next` counters are deterministic, for tests.
 */
export function faultSettingsSchema(defaultRateLimit: { requests: number; windowMs: number }) {
  return z.object({
    /** Share of requests answered with the System's 5xx before any work. */
    errorRate: z.number().min(0).max(1).default(0),
    /** Added to every API request. */
    latencyMs: z.number().int().min(0).default(0),
    /** Share of requests never answered (the client's timeout fires). */
    timeoutRate: z.number().min(0).max(1).default(0),
    /** The next N requests are answered with the System's 5xx before any work. */
    failNext: z.number().int().min(0).default(0),
    /** The next N writes are applied, then the connection is dropped before the answer. */
    dropNextResponses: z.number().int().min(0).default(0),
    /** The System's own budget; over it, the System's own rate-limit answer. */
    rateLimit: z
      .object({ requests: z.number().int().positive(), windowMs: z.number().int().positive() })
      .default(defaultRateLimit),
  });
}
export type FaultSettings = z.infer<ReturnType<typeof faultSettingsSchema>>;

/** What the limiter knows when it refuses or admits a request: enough for any System's headers. */
export interface RateWindow {
  limit: number;
  remaining: number;
  /** Milliseconds until the oldest request in the window leaves it. */
  resetMs: number;
}

/** Per-account sliding window: each System answers a refusal in its own way (429, 403, headers). */
export class SlidingWindowLimiter {
  readonly #hits = new Map<string, number[]>();
  rejected = 0;

  /** Records the request when admitted; `allowed: false` means the System's rate-limit answer. */
  take(
    account: string,
    settings: FaultSettings['rateLimit'],
    now: number,
  ): RateWindow & { allowed: boolean } {
    const recent = (this.#hits.get(account) ?? []).filter((t) => t > now - settings.windowMs);
    const allowed = recent.length < settings.requests;
    if (allowed) recent.push(now);
    else this.rejected += 1;
    this.#hits.set(account, recent);
    const oldest = recent[0] ?? now;
    return {
      allowed,
      limit: settings.requests,
      remaining: Math.max(0, settings.requests - recent.length),
      resetMs: Math.max(0, oldest + settings.windowMs - now),
    };
  }

  clear(): void {
    this.#hits.clear();
  }
}
