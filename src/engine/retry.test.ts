import { describe, expect, it } from 'vitest';
import { decideRetry, defaultRetryPolicy } from './retry.js';

const policy = { ...defaultRetryPolicy, jitter: 0 };
const unavailable = { code: 'unavailable' as const, retryable: true };

describe('decideRetry', () => {
  it('backs off exponentially up to the cap', () => {
    const delays = [1, 2, 3, 4].map((attempts) =>
      decideRetry({ error: unavailable, attempts, policy, random: 0.5 }),
    );
    expect(delays).toEqual([
      { kind: 'retry', delayMs: 500 },
      { kind: 'retry', delayMs: 1000 },
      { kind: 'retry', delayMs: 2000 },
      { kind: 'retry', delayMs: 4000 },
    ]);
    const capped = decideRetry({
      error: unavailable,
      attempts: 4,
      policy: { ...policy, maxDelayMs: 1500 },
      random: 0,
    });
    expect(capped).toEqual({ kind: 'retry', delayMs: 1500 });
  });

  it('spreads retries with jitter inside the configured fraction', () => {
    const jittery = { ...policy, jitter: 0.2 };
    const low = decideRetry({ error: unavailable, attempts: 1, policy: jittery, random: 0 });
    const high = decideRetry({ error: unavailable, attempts: 1, policy: jittery, random: 0.999999 });
    expect(low).toEqual({ kind: 'retry', delayMs: 400 });
    expect(high).toEqual({ kind: 'retry', delayMs: 600 });
  });

  it('gives up on errors that are not retryable and after the last attempt', () => {
    expect(
      decideRetry({ error: { code: 'invalid_input', retryable: false }, attempts: 1, policy, random: 0.5 })
        .kind,
    ).toBe('give-up');
    expect(decideRetry({ error: unavailable, attempts: 5, policy, random: 0.5 })).toEqual({
      kind: 'give-up',
      reason: 'gave up after 5 attempts',
    });
  });

  it('honours Retry-After over a shorter backoff', () => {
    const error = { code: 'rate_limited' as const, retryable: true, retryAfterMs: 3000 };
    expect(decideRetry({ error, attempts: 1, policy, random: 0.5 })).toEqual({
      kind: 'retry',
      delayMs: 3000,
    });
    const tooLong = { ...error, retryAfterMs: 60 * 60_000 };
    expect(decideRetry({ error: tooLong, attempts: 1, policy, random: 0.5 }).kind).toBe('give-up');
  });
});
