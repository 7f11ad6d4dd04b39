import { parseRetryAfter } from './http-errors.js';

/** What a system's response says about its limits, read by a {@link RateLimitHeaderReader}. */
export interface RateLimitSignal {
  /** Send nothing before this epoch-ms (a 429's Retry-After, or an exhausted window's reset). */
  pauseUntil?: number;
}

/** Reads one system's own rate-limit headers. Each connector picks or writes its reader. */
export type RateLimitHeaderReader = (res: {
  status: number;
  headers: Headers;
  now: number;
}) => RateLimitSignal;

/** The limiter of one Connection: every request of that Connection goes through it. */
export interface ConnectionRateLimiter {
  /** Resolves when the next request may be sent. */
  acquire(): Promise<void>;
  /** Learns from a response (status and headers). */
  observe(res: { status: number; headers: Headers }): void;
  /** Holds every request of the Connection until `until` (epoch ms): a back-off the client chose. */
  pause(until: number): void;
}

export interface RateLimiterOptions {
  /** Sustained rate (default 10/s). */
  requestsPerSecond?: number;
  /** Requests allowed at once before the rate applies (default = requestsPerSecond). */
  burst?: number;
  readHeaders?: RateLimitHeaderReader;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** `Retry-After` on 429 and 503: the one signal nearly every system sends. */
export const retryAfterHeader: RateLimitHeaderReader = ({ status, headers, now }) => {
  if (status !== 429 && status !== 503) return {};
  const ms = parseRetryAfter(headers.get('retry-after'), now);
  return ms === undefined ? {} : { pauseUntil: now + ms };
};

/**
 * `X-RateLimit-Remaining` / `X-RateLimit-Reset` (ServiceNow, Zendesk-style): when the window is
 * exhausted, pause until it resets. `reset` is epoch seconds or seconds-from-now, per system.
 */
export function xRateLimitHeaders(opts: {
  reset: 'epoch-seconds' | 'delta-seconds';
  remaining?: string;
  resetHeader?: string;
}): RateLimitHeaderReader {
  const remainingName = opts.remaining ?? 'x-ratelimit-remaining';
  const resetName = opts.resetHeader ?? 'x-ratelimit-reset';
  return (res) => {
    const fromRetryAfter = retryAfterHeader(res);
    if (fromRetryAfter.pauseUntil !== undefined) return fromRetryAfter;
    const remaining = Number(res.headers.get(remainingName));
    const reset = Number(res.headers.get(resetName));
    if (res.headers.get(remainingName) === null || remaining > 0 || !Number.isFinite(reset)) return {};
    const pauseUntil = opts.reset === 'epoch-seconds' ? reset * 1000 : res.now + reset * 1000;
    return { pauseUntil };
  };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A token bucket plus a pause learned from the system's own headers. One instance per Connection
 * (the engine keeps them by Connection id), so two flows sharing a Connection share its budget.
 *
 * @example
 * const limiter = createRateLimiter({ requestsPerSecond: 25, readHeaders: retryAfterHeader });
 */
export function createRateLimiter(opts: RateLimiterOptions = {}): ConnectionRateLimiter {
  const rate = opts.requestsPerSecond ?? 10;
  const capacity = opts.burst ?? rate;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const read = opts.readHeaders ?? retryAfterHeader;
  let tokens = capacity;
  let refilledAt = now();
  let pausedUntil = 0;

  const refill = (t: number) => {
    tokens = Math.min(capacity, tokens + ((t - refilledAt) / 1000) * rate);
    refilledAt = t;
  };

  return {
    async acquire() {
      for (;;) {
        const t = now();
        if (t < pausedUntil) {
          await sleep(pausedUntil - t);
          continue;
        }
        refill(t);
        if (tokens >= 1) {
          tokens -= 1;
          return;
        }
        await sleep(Math.ceil(((1 - tokens) / rate) * 1000));
      }
    },
    observe(res) {
      const t = now();
      const signal = read({ ...res, now: t });
      if (signal.pauseUntil !== undefined) pausedUntil = Math.max(pausedUntil, signal.pauseUntil);
    },
    pause(until) {
      pausedUntil = Math.max(pausedUntil, until);
    },
  };
}

/** A limiter that never waits: for tests and for systems without limits. */
export const unlimited: ConnectionRateLimiter = {
  acquire: async () => {},
  observe: () => {},
  pause: () => {},
};
