import { describe, expect, it } from 'vitest';
import type { Store } from '../port.js';
import type { FlowVersionRecord } from '../records.js';
import { acceptRun, expectWeftError, publish, type StoreContext, T0 } from './fixtures.js';

/** How many runs of `flowName` are running (leased), whatever their lease. */
async function runningOf(store: Store, flowName: string): Promise<number> {
  return store.countRuns({ flowName, status: 'running' });
}

async function acceptMany(
  store: Store,
  version: FlowVersionRecord,
  count: number,
  at: number,
): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => acceptRun(store, { version, at: at + i })));
}

/** Takes `count` tokens at `now`, one after another; returns how many were granted. */
async function takeTokens(
  store: Store,
  o: { key: string; perSecond: number; burst: number; now: number; count: number },
): Promise<number> {
  let granted = 0;
  for (let i = 0; i < o.count; i++) {
    const { waitMs } = await store.takeRateLimit(o);
    if (waitMs === 0) granted++;
  }
  return granted;
}

/** Per-flow concurrency in claims, shared rate-limit buckets, and what `inspect` reports. */
export function limitsAndInspection(ctx: StoreContext): void {
  describe('per-flow concurrency', () => {
    it('never leases more runs of a limited flow than its limit, under parallel claimers', async () => {
      const { version: limited } = await publish(ctx.store, 'limited', { concurrency: 3 });
      const { version: free } = await publish(ctx.store, 'free');
      await acceptMany(ctx.store, limited, 20, T0);
      await acceptMany(ctx.store, free, 10, T0 + 100);
      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          ctx.store.claimRuns({ owner: `w${i}`, limit: 5, leaseMs: 60_000, now: T0 + 1000 }),
        ),
      );
      const claimed = claims.flat().map((c) => c.run);
      expect(claimed.filter((r) => r.flowName === 'limited')).toHaveLength(3);
      // Unlimited runs are not held back by a limited flow's backlog.
      expect(claimed.filter((r) => r.flowName === 'free')).toHaveLength(10);
      expect(await runningOf(ctx.store, 'limited')).toBe(3);
      // The oldest limited runs went first.
      const oldest = (await ctx.store.listRuns({ flowName: 'limited', limit: 100 }))
        .slice(-3)
        .map((r) => r.id);
      expect(
        claimed
          .filter((r) => r.flowName === 'limited')
          .map((r) => r.id)
          .sort(),
      ).toEqual(oldest.sort());

      // Full: nothing more, however often asked.
      expect(
        await ctx.store.claimRuns({ owner: 'late', limit: 10, leaseMs: 60_000, now: T0 + 2000 }),
      ).toEqual([]);
    });

    it('frees a slot when a run finishes or waits, and only then', async () => {
      const { version } = await publish(ctx.store, 'limited', { concurrency: 2 });
      await acceptMany(ctx.store, version, 5, T0);
      const first = await ctx.store.claimRuns({ owner: 'w1', limit: 10, leaseMs: 60_000, now: T0 + 10 });
      expect(first).toHaveLength(2);
      const [a, b] = first.map((c) => c.run.id) as [string, string];
      await ctx.store.saveProgress({
        runId: a,
        owner: 'w1',
        now: T0 + 20,
        run: { status: 'succeeded', output: null, releaseLease: true, finishedAt: T0 + 20 },
      });
      // A durable timer holds no slot either.
      await ctx.store.saveProgress({
        runId: b,
        owner: 'w1',
        now: T0 + 21,
        run: { status: 'waiting', runAt: T0 + 5000, releaseLease: true },
      });
      const second = await ctx.store.claimRuns({ owner: 'w2', limit: 10, leaseMs: 60_000, now: T0 + 30 });
      expect(second).toHaveLength(2);
      expect(await runningOf(ctx.store, 'limited')).toBe(2);
      // The waiting run is due, but the flow is full: it waits for a slot like a new run.
      expect(await ctx.store.claimRuns({ owner: 'w3', limit: 10, leaseMs: 60_000, now: T0 + 6000 })).toEqual(
        [],
      );
    });

    it('keeps a dead worker’s runs in their slots until they are taken over', async () => {
      const { version } = await publish(ctx.store, 'limited', { concurrency: 2 });
      await acceptMany(ctx.store, version, 4, T0);
      const dead = await ctx.store.claimRuns({ owner: 'dead', limit: 10, leaseMs: 1000, now: T0 + 10 });
      expect(dead).toHaveLength(2);
      // Leases expired: the two are taken over, no new run starts beside them.
      const taken = await ctx.store.claimRuns({ owner: 'w2', limit: 10, leaseMs: 60_000, now: T0 + 5000 });
      expect(taken.map((c) => c.run.id).sort()).toEqual(dead.map((c) => c.run.id).sort());
      expect(taken.every((c) => c.run.leaseOwner === 'w2')).toBe(true);
      expect(await runningOf(ctx.store, 'limited')).toBe(2);
    });

    it('refuses to lease a limited run at acceptance', async () => {
      const { version } = await publish(ctx.store, 'limited', { concurrency: 1 });
      await expectWeftError(
        acceptRun(ctx.store, { version, at: T0, claim: { owner: 'w1', leaseMs: 1000 } }),
        'invalid_input',
      );
      expect(await ctx.store.countRuns({})).toBe(0);
    });
  });

  describe('rate limits', () => {
    it('admits `burst` at once, then `perSecond`, and never stores more than `burst`', async () => {
      const bucket = { key: 'api.example.com', perSecond: 2, burst: 3 };
      expect(await takeTokens(ctx.store, { ...bucket, now: T0, count: 5 })).toBe(3);
      expect(await ctx.store.takeRateLimit({ ...bucket, now: T0 })).toEqual({ waitMs: 500 });
      expect(await ctx.store.takeRateLimit({ ...bucket, now: T0 + 250 })).toEqual({ waitMs: 250 });
      expect(await ctx.store.takeRateLimit({ ...bucket, now: T0 + 500 })).toEqual({ waitMs: 0 });
      // One second refills `perSecond` tokens.
      expect(await takeTokens(ctx.store, { ...bucket, now: T0 + 1500, count: 5 })).toBe(2);
      // A long quiet period refills up to `burst`, not beyond.
      expect(await takeTokens(ctx.store, { ...bucket, now: T0 + 60_000, count: 10 })).toBe(3);
      // Another key is another bucket.
      expect(await takeTokens(ctx.store, { ...bucket, key: 'other', now: T0 + 60_000, count: 4 })).toBe(3);
    });

    it('refills nothing for a caller whose clock is behind', async () => {
      const bucket = { key: 'k', perSecond: 10, burst: 1 };
      expect(await ctx.store.takeRateLimit({ ...bucket, now: T0 + 10_000 })).toEqual({ waitMs: 0 });
      expect((await ctx.store.takeRateLimit({ ...bucket, now: T0 })).waitMs).toBeGreaterThan(0);
      expect(await ctx.store.takeRateLimit({ ...bucket, now: T0 + 10_100 })).toEqual({ waitMs: 0 });
    });

    it('admits exactly `burst` of many parallel takers', async () => {
      const bucket = { key: 'parallel', perSecond: 1, burst: 4, now: T0 };
      const results = await Promise.all(Array.from({ length: 20 }, () => ctx.store.takeRateLimit(bucket)));
      expect(results.filter((r) => r.waitMs === 0)).toHaveLength(4);
    });

    it('refuses a bucket without capacity or refill', async () => {
      await expectWeftError(
        ctx.store.takeRateLimit({ key: 'k', perSecond: 0, burst: 1, now: T0 }),
        'invalid_input',
      );
      await expectWeftError(
        ctx.store.takeRateLimit({ key: 'k', perSecond: 1, burst: 0, now: T0 }),
        'invalid_input',
      );
    });
  });

  describe('inspection', () => {
    it('reports the dialect, a version, no pending migrations once migrated, and the clock', async () => {
      const report = await ctx.store.inspect();
      expect(report.dialect).toBe(ctx.store.dialect);
      expect(report.serverVersion).toMatch(/\d+\.\d+/);
      expect(report.pending).toEqual([]);
      expect(report.schemaVersion).toBe(report.knownVersion);
      expect(report.knownVersion).toBeGreaterThanOrEqual(2);
      if (ctx.store.dialect === 'sqlite') {
        expect(report.clockSkewMs).toBeNull();
      } else {
        // The test server runs on this machine: one clock, give or take the round trip.
        expect(Math.abs(report.clockSkewMs ?? Number.NaN)).toBeLessThan(1000);
      }
    });
  });
}
