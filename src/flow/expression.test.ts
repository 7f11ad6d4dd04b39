import { describe, expect, it } from 'vitest';
import { WeftError } from '../contract/errors.js';
import type { Scope } from './compiled.js';
import { compileExpression } from './expression.js';

const scope: Scope = {
  event: {
    id: 'evt_1',
    source: 'webhook',
    receivedAt: '2024-03-01T12:00:00.000Z',
    body: { amount: 21, items: [{ sku: 'a' }, { sku: 'b' }] },
    headers: {},
    query: {},
  },
  steps: { lead: { email: 'ana@globex.com' } },
  run: { id: 'run_1', flow: 'demo', version: 1 },
};

const LIMIT_MS = 200;

async function failure(source: string, timeoutMs = LIMIT_MS): Promise<{ error: WeftError; ms: number }> {
  const expression = compileExpression(source, { timeoutMs });
  const started = performance.now();
  try {
    await expression.evaluate(scope);
  } catch (err) {
    expect(err).toBeInstanceOf(WeftError);
    return { error: err as WeftError, ms: performance.now() - started };
  }
  throw new Error(`expected ${source} to fail`);
}

describe('compileExpression', () => {
  it('evaluates against the scope', async () => {
    const e = compileExpression(
      '{ "double": event.body.amount * 2, "skus": event.body.items.sku, "who": steps.lead.email }',
      {
        timeoutMs: LIMIT_MS,
      },
    );
    expect(await e.evaluate(scope)).toEqual({ double: 42, skus: ['a', 'b'], who: 'ana@globex.com' });
  });

  it('reports a syntax error as expression_error with its position', () => {
    try {
      compileExpression('event.body.(', { timeoutMs: LIMIT_MS });
      expect.unreachable();
    } catch (err) {
      const e = err as WeftError;
      expect(e.code).toBe('expression_error');
      expect(e.retryable).toBe(false);
      expect(e.details).toMatchObject({ expression: 'event.body.(', position: expect.any(Number) });
    }
  });

  it('rejects an unsafe regex literal at compile time', () => {
    expect(() => compileExpression('$match(event.body.s, /(a+)+$/)', { timeoutMs: LIMIT_MS })).toThrow(
      /backtrack catastrophically/,
    );
    expect(() =>
      compileExpression('$match(event.body.s, /^[a-z]+@[a-z.]+$/)', { timeoutMs: LIMIT_MS }),
    ).not.toThrow();
  });

  it('checks regexes built at run time through $eval', async () => {
    const { error } = await failure('$eval("$match(\\"aaaa!\\", /(a+)+$/)")');
    expect(error.code).toBe('expression_error');
    expect(error.message).toMatch(/backtrack/);
  });
});

describe('runaway expressions', () => {
  it('stops an infinite tail-recursive loop at the deadline', async () => {
    const { error, ms } = await failure('($f := function($x){ $f($x+1) }; $f(0))');
    expect(error.code).toBe('expression_timeout');
    expect(error.retryable).toBe(false);
    expect(error.details).toEqual({ expression: '($f := function($x){ $f($x+1) }; $f(0))' });
    expect(ms).toBeLessThan(LIMIT_MS + 500);
  });

  it('stops a huge join at the deadline', async () => {
    const { error, ms } = await failure('$join([1..10000000].$string($), "")');
    expect(error.code).toBe('expression_timeout');
    // Generous: collecting the garbage of 10 million strings can pause a busy test process.
    expect(ms).toBeLessThan(LIMIT_MS + 2000);
  });

  it('stops deep non-tail recursion at the depth limit, long before the deadline', async () => {
    const { error, ms } = await failure(
      '($f := function($n){ $n <= 0 ? 0 : 1 + $f($n - 1) }; $f(100000))',
      10_000,
    );
    expect(error.code).toBe('expression_error');
    expect(error.message).toMatch(/deeper than/);
    expect(ms).toBeLessThan(2_000);
  });

  it('stops a runaway loop hidden in $eval', async () => {
    const { error } = await failure('$eval("($f := function($x){ $f($x+1) }; $f(0))")');
    expect(error.code).toBe('expression_timeout');
  });

  it('keeps concurrent evaluations independent', async () => {
    const slow = compileExpression('($f := function($x){ $f($x+1) }; $f(0))', { timeoutMs: LIMIT_MS });
    const fast = compileExpression('event.body.amount + 1', { timeoutMs: LIMIT_MS });
    const [a, b] = await Promise.allSettled([slow.evaluate(scope), fast.evaluate(scope)]);
    expect(a.status).toBe('rejected');
    expect(b).toEqual({ status: 'fulfilled', value: 22 });
  });

  it('lets timers run while an expression is busy', async () => {
    const slow = compileExpression('($f := function($x){ $f($x+1) }; $f(0))', { timeoutMs: LIMIT_MS });
    let timerFiredAt: number | undefined;
    const started = performance.now();
    setTimeout(() => {
      timerFiredAt = performance.now() - started;
    }, 20);
    await slow.evaluate(scope).catch(() => undefined);
    expect(timerFiredAt).toBeDefined();
    expect(timerFiredAt).toBeLessThan(LIMIT_MS);
  });

  it('allows ordinary recursion within the limits', async () => {
    const e = compileExpression('($f := function($n){ $n <= 1 ? 1 : $n * $f($n - 1) }; $f(10))', {
      timeoutMs: LIMIT_MS,
    });
    expect(await e.evaluate(scope)).toBe(3628800);
  });
});

describe('no way out to JavaScript', () => {
  it.each([
    '$string.constructor',
    '$lookup({}, "constructor")',
    '$eval("process")',
    '{}.__proto__',
    '$lookup($$, "constructor")',
  ])('%s gives nothing', async (source) => {
    const e = compileExpression(source, { timeoutMs: LIMIT_MS });
    expect(await e.evaluate(scope)).toBeUndefined();
  });

  it('cannot call the Function constructor', async () => {
    const { error } = await failure('$lookup($lookup({}, "constructor"), "constructor")("return process")()');
    expect(error.code).toBe('expression_error');
  });

  it('cannot read the guard binding', async () => {
    expect(() => compileExpression('$weft guard', { timeoutMs: LIMIT_MS })).toThrow(WeftError);
    expect(await compileExpression('$weft', { timeoutMs: LIMIT_MS }).evaluate(scope)).toBeUndefined();
  });

  it('does not pollute Object.prototype through $merge', async () => {
    await compileExpression('$merge([{}, {"__proto__": {"polluted": true}}])', {
      timeoutMs: LIMIT_MS,
    }).evaluate(scope);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
