import { type RateLimitHeaderReader, retryAfterHeader } from '../../connector/rate-limiter.js';

/** HubSpot's rolling window when a response does not name it (private apps: 10 s). */
const defaultIntervalMs = 10_000;

/**
 * Reads HubSpot's `X-HubSpot-RateLimit-*` headers. When `-Remaining` reaches 0 the window is spent:
 * hold the Connection for `-Interval-Milliseconds` (the window is rolling and HubSpot names no
 * reset time, so a whole interval is the wait that is sure to clear it). The older
 * `-Secondly-Remaining` works the same over one second. A `Retry-After`, when HubSpot sends one,
 * wins. The daily allowance is not paused on here: a DAILY 429 goes to the engine's durable back-off
 * (see errors.ts), since holding a request for hours inside the client would pin a worker.
 *
 * @example
 * createRateLimiter({ requestsPerSecond: 9, burst: 10, readHeaders: hubspotRateLimitHeaders });
 */
export const hubspotRateLimitHeaders: RateLimitHeaderReader = (res) => {
  const explicit = retryAfterHeader(res);
  if (explicit.pauseUntil !== undefined) return explicit;
  const h = res.headers;
  const remaining = h.get('x-hubspot-ratelimit-remaining');
  if (remaining !== null && Number(remaining) <= 0) {
    const interval = Number(h.get('x-hubspot-ratelimit-interval-milliseconds'));
    return {
      pauseUntil: res.now + (Number.isFinite(interval) && interval > 0 ? interval : defaultIntervalMs),
    };
  }
  const secondly = h.get('x-hubspot-ratelimit-secondly-remaining');
  if (secondly !== null && Number(secondly) <= 0) return { pauseUntil: res.now + 1000 };
  return {};
};
