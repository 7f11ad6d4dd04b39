import { describe, expect, it } from 'vitest';
import { errorFromResponse, parseRetryAfter } from './http-errors.js';

const base = { method: 'POST', target: 'http://127.0.0.1/x', bodyExcerpt: '', now: 1_000_000 };

describe('errorFromResponse', () => {
  it('classifies statuses with their retry verdict', () => {
    const verdict = (status: number) => {
      const e = errorFromResponse({ ...base, status, headers: new Headers() });
      return [e.code, e.retryable];
    };
    expect(verdict(429)).toEqual(['rate_limited', true]);
    expect(verdict(503)).toEqual(['unavailable', true]);
    expect(verdict(501)).toEqual(['unavailable', false]);
    expect(verdict(400)).toEqual(['invalid_input', false]);
    expect(verdict(401)).toEqual(['auth', false]);
    expect(verdict(404)).toEqual(['not_found', false]);
    expect(verdict(409)).toEqual(['conflict', false]);
  });

  it('carries Retry-After in seconds or as a date', () => {
    const e = errorFromResponse({ ...base, status: 429, headers: new Headers({ 'retry-after': '2' }) });
    expect(e.retryAfterMs).toBe(2000);
    expect(parseRetryAfter(new Date(1_000_000 + 5000).toUTCString(), 1_000_000)).toBeGreaterThanOrEqual(4000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});
