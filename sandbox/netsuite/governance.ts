import type { SandboxResponse } from '../common/server.js';
import { nsError } from './errors.js';

/**
 * NetSuite's rate limit is concurrency, not requests per minute: an account may have so many
 * requests in flight at once (15 for a Tier 1 account, plus 10 per SuiteCloud Plus licence),
 * shared by every integration. One more is refused with 429 at once; nothing is queued.
 */
export class ConcurrencyGovernor {
  inFlight = 0;
  rejected = 0;

  constructor(public limit: number) {}

  /** The 429 refusal, or a release function for an admitted request. */
  admit(): SandboxResponse | (() => void) {
    if (this.inFlight >= this.limit) {
      this.rejected += 1;
      return tooManyRequests();
    }
    this.inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
    };
  }
}

/** NetSuite documents no rate-limit headers and no Retry-After; the exact o:errorCode is not verified. */
export function tooManyRequests(): SandboxResponse {
  return nsError(
    429,
    'CONCURRENCY_LIMIT_EXCEEDED',
    'Concurrent request limit exceeded. Request blocked. Retry the request after the running requests complete.',
  );
}
