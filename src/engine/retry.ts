import type { SerializedError } from '../contract/errors.js';
import type { RetryPolicy } from '../contract/flow.js';

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 500,
  maxDelayMs: 60_000,
  multiplier: 2,
  jitter: 0.2,
};

/** A server's Retry-After is honoured up to this; beyond it the step is better off in the error queue. */
export const maxHonouredRetryAfterMs = 15 * 60_000;

export type RetryDecision = { kind: 'retry'; delayMs: number } | { kind: 'give-up'; reason: string };

export interface RetryInput {
  error: Pick<SerializedError, 'retryable' | 'retryAfterMs' | 'code'>;
  /** Attempts made so far, including the one that just failed (≥ 1). */
  attempts: number;
  policy: RetryPolicy;
  /** A number in [0, 1); injected so the decision is a pure function. */
  random: number;
}

/**
 * Whether and when to try a failed step again. Pure: the same inputs give the same answer, so
 * the policy is testable and a replay decides the same way.
 *
 * @example decideRetry({ error: { code: 'unavailable', retryable: true }, attempts: 1, policy, random: 0.5 })
 *   // → { kind: 'retry', delayMs: 500 }
 */
export function decideRetry(input: RetryInput): RetryDecision {
  const { error, attempts, policy } = input;
  if (!error.retryable) return { kind: 'give-up', reason: `${error.code} is not retryable` };
  if (attempts >= policy.maxAttempts) {
    return { kind: 'give-up', reason: `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}` };
  }
  const exponential = policy.initialDelayMs * policy.multiplier ** (attempts - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  const jittered = capped * (1 + policy.jitter * (2 * input.random - 1));
  const backoff = Math.max(0, Math.round(jittered));
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > maxHonouredRetryAfterMs) {
      return {
        kind: 'give-up',
        reason: `server asked to wait ${error.retryAfterMs} ms, more than the limit`,
      };
    }
    // The server knows its own recovery time better than our backoff curve does.
    return {
      kind: 'retry',
      delayMs: Math.max(error.retryAfterMs, Math.min(backoff, error.retryAfterMs * 2)),
    };
  }
  return { kind: 'retry', delayMs: backoff };
}
