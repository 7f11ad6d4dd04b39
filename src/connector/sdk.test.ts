import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction } from './action.js';
import { createAuthenticator } from './auth.js';
import { classificationsOf, classifiedFields, financial, pii } from './classification.js';
import { encodeForm } from './form-encoding.js';
import { collect, cursorPages, nextLinkFromHeader, nextUrlPages, offsetPages } from './pagination.js';
import { createRateLimiter, xRateLimitHeaders } from './rate-limiter.js';

describe('encodeForm', () => {
  it('uses bracket notation for nested objects and arrays', () => {
    expect(
      encodeForm({
        email: 'a+b@c.d',
        metadata: { plan: 'pro', gone: null },
        items: [{ price: 'p1', quantity: 2 }],
        skip: undefined,
      }),
    ).toBe('email=a%2Bb%40c.d&metadata[plan]=pro&metadata[gone]=&items[0][price]=p1&items[0][quantity]=2');
  });
});

describe('classifications', () => {
  const Email = z.string();
  const Customer = z.object({
    email: pii(Email).nullable(),
    balance: financial(z.number()),
    card: pii(financial(z.object({ last4: z.string() }))).optional(),
    lines: z.array(z.object({ amount: financial(z.number()) })),
    plain: Email,
  });

  it('are readable from a schema by field path, through wrappers', () => {
    expect(classifiedFields(Customer)).toEqual({
      email: ['pii'],
      balance: ['financial'],
      card: ['financial', 'pii'],
      'lines[].amount': ['financial'],
    });
  });

  it('do not leak onto the shared schema they were applied to', () => {
    expect(classificationsOf(Email)).toEqual([]);
  });
});

describe('pagination helpers', () => {
  it('cursorPages follows cursors to the end', async () => {
    const pages: Record<string, { items: number[]; nextCursor?: string }> = {
      start: { items: [1, 2], nextCursor: 'b' },
      b: { items: [3], nextCursor: 'c' },
      c: { items: [4] },
    };
    const all = await collect(cursorPages({ fetchPage: async (c) => pages[c ?? 'start'] ?? { items: [] } }));
    expect(all).toEqual([1, 2, 3, 4]);
  });

  it('offsetPages stops at a short page', async () => {
    const data = [1, 2, 3, 4, 5];
    const all = await collect(
      offsetPages({ pageSize: 2, fetchPage: async (o, l) => ({ items: data.slice(o, o + l) }) }),
    );
    expect(all).toEqual(data);
  });

  it('nextUrlPages and Link headers', async () => {
    const link = '<https://x.test/a?page=2>; rel="next", <https://x.test/a?page=5>; rel="last"';
    expect(nextLinkFromHeader(link)).toBe('https://x.test/a?page=2');
    expect(nextLinkFromHeader('<https://x.test/a?page=1>; rel="prev"')).toBeUndefined();
    const all = await collect(
      nextUrlPages({
        firstUrl: 'u1',
        fetchPage: async (u) => (u === 'u1' ? { items: ['a'], nextUrl: 'u2' } : { items: ['b'] }),
      }),
    );
    expect(all).toEqual(['a', 'b']);
  });
});

describe('rate limiter', () => {
  it('pauses until the reset an exhausted window announces', async () => {
    let now = 0;
    const slept: number[] = [];
    const limiter = createRateLimiter({
      requestsPerSecond: 100,
      readHeaders: xRateLimitHeaders({ reset: 'delta-seconds' }),
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    await limiter.acquire();
    limiter.observe({
      status: 200,
      headers: new Headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '3' }),
    });
    await limiter.acquire();
    expect(slept).toEqual([3000]);
  });

  it('spaces requests at the configured rate', async () => {
    let now = 0;
    const limiter = createRateLimiter({
      requestsPerSecond: 2,
      burst: 1,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    for (let i = 0; i < 3; i++) await limiter.acquire();
    expect(now).toBe(1000);
  });
});

describe('defineAction', () => {
  it('refuses a write without an idempotency strategy', () => {
    const def = {
      kind: 'write',
      name: 'things.create',
      description: '',
      input: z.object({}),
      output: z.unknown(),
      run: async () => ({}),
    };
    expect(() => defineAction(def as unknown as Parameters<typeof defineAction>[0])).toThrow(/idempotency/);
  });
});

describe('authenticators', () => {
  it('build headers for api key, bearer and basic', async () => {
    const url = new URL('https://api.example.com/x');
    expect(
      await createAuthenticator({ kind: 'api-key', header: 'X-API-Key', key: 'k1' }).headersFor({
        method: 'GET',
        url,
      }),
    ).toEqual({
      'x-api-key': 'k1',
    });
    expect(
      await createAuthenticator({ kind: 'bearer', token: 't' }).headersFor({ method: 'GET', url }),
    ).toEqual({
      authorization: 'Bearer t',
    });
    expect(
      await createAuthenticator({ kind: 'basic', username: 'u', password: 'p' }).headersFor({
        method: 'GET',
        url,
      }),
    ).toEqual({
      authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
    });
  });
});
