import { checkRateLimit, tokenEpsilon, waitForToken } from './limits.js';
import type { TakeRateLimit } from './port.js';

/**
 * The token buckets of ./limits.ts kept in memory, with the same arithmetic as the SQL of the
 * database buckets. For the embedded store only: SQLite belongs to one process (the data-dir lock),
 * so no other process shares a bucket, and a take costs no write transaction (which would also
 * flush and split the group-commit batch). Buckets start full after a restart.
 */
export class MemoryTokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; updatedAt: number }>();

  take(input: TakeRateLimit): { waitMs: number } {
    checkRateLimit(input);
    const bucket = this.#buckets.get(input.key);
    if (bucket === undefined) {
      this.#buckets.set(input.key, { tokens: input.burst - 1, updatedAt: input.now });
      return { waitMs: 0 };
    }
    const refilled = Math.min(
      input.burst,
      bucket.tokens + (Math.max(0, input.now - bucket.updatedAt) * input.perSecond) / 1000,
    );
    bucket.updatedAt = Math.max(bucket.updatedAt, input.now);
    if (refilled >= 1 - tokenEpsilon) {
      bucket.tokens = Math.max(0, refilled - 1);
      return { waitMs: 0 };
    }
    bucket.tokens = refilled;
    return { waitMs: waitForToken(refilled, input.perSecond) };
  }
}
