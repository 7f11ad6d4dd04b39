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

/**
 * Admission times of one account, oldest first, in a growable ring: admitting appends at the
 * tail, expiring drops from the head, so each request costs O(1) amortised. (Filtering the whole
 * list on every request made a window of 100,000 requests cost 100,000 steps per request.)
 */
class TimeRing {
  #buf = new Float64Array(64);
  #head = 0;
  size = 0;

  /** Drops the times at or before `cutoff` from the head. */
  expire(cutoff: number): void {
    while (this.size > 0 && (this.#buf[this.#head] as number) <= cutoff) {
      this.#head = (this.#head + 1) % this.#buf.length;
      this.size -= 1;
    }
  }

  #push(t: number): void {
    if (this.size === this.#buf.length) {
      const grown = new Float64Array(this.#buf.length * 2);
      for (let i = 0; i < this.size; i++) grown[i] = this.#buf[(this.#head + i) % this.#buf.length] as number;
      this.#buf = grown;
      this.#head = 0;
    }
    this.#buf[(this.#head + this.size) % this.#buf.length] = t;
    this.size += 1;
  }

  oldest(): number | undefined {
    return this.size === 0 ? undefined : this.#buf[this.#head];
  }

  newest(): number | undefined {
    return this.size === 0 ? undefined : this.#buf[(this.#head + this.size - 1) % this.#buf.length];
  }

  /** Adds `t` in order: at the tail, unless a clock went backwards (tests set clocks). */
  insert(t: number): void {
    const newest = this.newest();
    if (newest === undefined || t >= newest) {
      this.#push(t);
      return;
    }
    const times = [t];
    for (let i = 0; i < this.size; i++) times.push(this.#buf[(this.#head + i) % this.#buf.length] as number);
    this.#head = 0;
    this.size = 0;
    for (const x of times.sort((a, b) => a - b)) this.#push(x);
  }
}

/** Per-account sliding window: each System answers a refusal in its own way (429, 403, headers). */
export class SlidingWindowLimiter {
  readonly #hits = new Map<string, TimeRing>();
  rejected = 0;

  /** Records the request when admitted; `allowed: false` means the System's rate-limit answer. */
  take(
    account: string,
    settings: FaultSettings['rateLimit'],
    now: number,
  ): RateWindow & { allowed: boolean } {
    let recent = this.#hits.get(account);
    if (recent === undefined) {
      recent = new TimeRing();
      this.#hits.set(account, recent);
    }
    // The ring is kept in time order, so everything expired sits at the head.
    recent.expire(now - settings.windowMs);
    const allowed = recent.size < settings.requests;
    if (allowed) recent.insert(now);
    else this.rejected += 1;
    const oldest = recent.oldest() ?? now;
    return {
      allowed,
      limit: settings.requests,
      remaining: Math.max(0, settings.requests - recent.size),
      resetMs: Math.max(0, oldest + settings.windowMs - now),
    };
  }

  clear(): void {
    this.#hits.clear();
  }
}
