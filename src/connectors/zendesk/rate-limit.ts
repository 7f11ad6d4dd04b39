import { type RateLimitHeaderReader, retryAfterHeader } from '../../connector/rate-limiter.js';

/**
 * Zendesk's rate-limit signals: `Retry-After` on a 429 (and 503), and an exhausted endpoint budget
 * (`zendesk-ratelimit-<endpoint>: total=100; remaining=0; resets=41`), which pauses the Connection
 * until it resets. The account window (`X-Rate-Limit-Remaining`, `ratelimit-remaining`) is left to
 * the 429 that follows its exhaustion: that answer carries the exact wait, where `ratelimit-reset`
 * is only sent by list endpoints.
 */
export const zendeskRateLimitHeaders: RateLimitHeaderReader = (res) => {
  const retry = retryAfterHeader(res);
  if (retry.pauseUntil !== undefined) return retry;
  let pauseMs = 0;
  res.headers.forEach((value, name) => {
    if (!name.toLowerCase().startsWith('zendesk-ratelimit-')) return;
    const fields = Object.fromEntries(
      value.split(';').map((part) => part.trim().split('=') as [string, string | undefined]),
    );
    if (Number(fields.remaining) <= 0 && Number.isFinite(Number(fields.resets))) {
      pauseMs = Math.max(pauseMs, Number(fields.resets) * 1000);
    }
  });
  return pauseMs > 0 ? { pauseUntil: res.now + pauseMs } : {};
};
