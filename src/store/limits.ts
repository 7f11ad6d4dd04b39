import { WeftError } from '../contract/errors.js';
import type { AcceptEvent, TakeRateLimit } from './port.js';

/** Limits both stores enforce alike: per-flow concurrency and shared rate limits. */

/**
 * A run of a limited flow must be claimed (claims count the flow's running runs); leasing it at
 * acceptance would skip that count. The engine queues such runs instead of running them inline.
 */
export function assertClaimable(input: AcceptEvent): void {
  if (input.claim !== undefined && input.run.concurrency !== undefined) {
    throw new WeftError({
      code: 'invalid_input',
      message: `run ${input.run.id} has a concurrency limit and cannot be leased when it is accepted`,
    });
  }
}

/**
 * The token bucket both stores keep in `rate_limits`, one row per key: `tokens` left as of
 * `updated_at`. A take refills `(now - updated_at) × perSecond` (capped at `burst`) and takes one
 * token if a whole one is there. Nothing is reserved for a caller that must wait: it asks again
 * later, so a crashed waiter never holds capacity. `updated_at` only moves forward, so a caller
 * whose clock is behind refills nothing rather than taking tokens twice.
 */

/**
 * Floating-point slack: after refills of fractional tokens, "one token" may add up to
 * 0.9999999999. Without it a caller could be told to wait a few nanoseconds, forever.
 */
export const tokenEpsilon = 1e-9;

/** Refuses parameters that would make the bucket meaningless (no refill, no capacity). */
export function checkRateLimit(input: TakeRateLimit): void {
  const problems: string[] = [];
  if (input.key === '') problems.push('key must not be empty');
  if (!(Number.isFinite(input.perSecond) && input.perSecond > 0)) problems.push('perSecond must be > 0');
  if (!(Number.isFinite(input.burst) && input.burst >= 1)) problems.push('burst must be ≥ 1');
  if (problems.length > 0) {
    throw new WeftError({
      code: 'invalid_input',
      message: `rate limit ${input.key}: ${problems.join(', ')}`,
      details: { key: input.key, problems },
    });
  }
}

/** How long until the bucket holds a whole token again, given what it holds now (< 1). */
export function waitForToken(tokens: number, perSecond: number): number {
  return Math.max(1, Math.ceil(((1 - tokens) * 1000) / perSecond));
}
