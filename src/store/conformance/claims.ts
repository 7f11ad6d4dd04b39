import { describe, expect, it } from 'vitest';
import { acceptRun, expectWeftError, publish, runningRun, type StoreContext, T0 } from './fixtures.js';

/** Claims, leases, heartbeats and reclaiming the runs of dead workers. */
export function claimsAndLeases(ctx: StoreContext): void {
  describe('claims and leases', () => {
    it('claims due runs oldest first, up to the limit, with their event and journal', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const late = await acceptRun(ctx.store, { version, at: T0, runAt: T0 + 300 });
      const first = await acceptRun(ctx.store, { version, at: T0 + 1, runAt: T0 + 100 });
      const second = await acceptRun(ctx.store, { version, at: T0 + 2, runAt: T0 + 200, body: { order: 7 } });
      const future = await acceptRun(ctx.store, { version, at: T0 + 3, runAt: T0 + 10_000 });

      const claimed = await ctx.store.claimRuns({ owner: 'w1', limit: 2, leaseMs: 60_000, now: T0 + 1000 });
      expect(claimed.map((c) => c.run.id)).toEqual([first.runId, second.runId]);
      expect(claimed[1]?.run).toMatchObject({
        status: 'running',
        leaseOwner: 'w1',
        leaseExpiresAt: T0 + 61_000,
      });
      expect(claimed[1]?.event).toEqual(await ctx.store.getEvent(second.eventId));
      expect(claimed[1]?.event.payload.body).toEqual({ order: 7 });
      expect(claimed[1]?.journal).toEqual([]);
      expect(await ctx.store.getRun(first.runId)).toEqual(claimed[0]?.run);

      const rest = await ctx.store.claimRuns({ owner: 'w2', limit: 10, leaseMs: 60_000, now: T0 + 1000 });
      expect(rest.map((c) => c.run.id)).toEqual([late.runId]);
      expect(await ctx.store.claimRuns({ owner: 'w2', limit: 10, leaseMs: 60_000, now: T0 + 1000 })).toEqual(
        [],
      );
      const due = await ctx.store.claimRuns({ owner: 'w3', limit: 10, leaseMs: 60_000, now: T0 + 10_000 });
      expect(due.map((c) => c.run.id)).toEqual([future.runId]);
      expect(await ctx.store.claimRuns({ owner: 'w3', limit: 0, leaseMs: 5000, now: T0 + 99_999 })).toEqual(
        [],
      );
    });

    it('reclaims a run whose lease expired and fences the old owner', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const { run } = await runningRun(ctx.store, { version, at: T0, owner: 'dead', leaseMs: 1000 });
      expect(await ctx.store.claimRuns({ owner: 'w2', limit: 10, leaseMs: 1000, now: T0 + 500 })).toEqual([]);
      // Expired means strictly past the expiry time.
      expect(await ctx.store.claimRuns({ owner: 'w2', limit: 10, leaseMs: 1000, now: T0 + 1000 })).toEqual(
        [],
      );
      const taken = await ctx.store.claimRuns({ owner: 'w2', limit: 10, leaseMs: 1000, now: T0 + 1001 });
      expect(taken.map((c) => [c.run.id, c.run.leaseOwner, c.run.leaseExpiresAt])).toEqual([
        [run.id, 'w2', T0 + 2001],
      ]);
      expect(
        await ctx.store.heartbeat({ owner: 'dead', runIds: [run.id], leaseMs: 1000, now: T0 + 1002 }),
      ).toEqual([]);
      await expectWeftError(
        ctx.store.saveProgress({
          runId: run.id,
          owner: 'dead',
          now: T0 + 1003,
          run: { status: 'succeeded' },
        }),
        'lease_lost',
      );
      expect((await ctx.store.getRun(run.id))?.status).toBe('running');
    });

    it('heartbeats extend only the leases the owner still holds', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const a = await acceptRun(ctx.store, { version, at: T0 });
      const b = await acceptRun(ctx.store, { version, at: T0 + 1 });
      await ctx.store.claimRuns({ owner: 'w1', limit: 1, leaseMs: 1000, now: T0 + 10 });
      await ctx.store.claimRuns({ owner: 'w2', limit: 1, leaseMs: 1000, now: T0 + 10 });
      const held = await ctx.store.heartbeat({
        owner: 'w1',
        runIds: [a.runId, b.runId, 'run_unknown'],
        leaseMs: 1000,
        now: T0 + 900,
      });
      expect(held).toEqual([a.runId]);
      expect((await ctx.store.getRun(a.runId))?.leaseExpiresAt).toBe(T0 + 1900);
      expect((await ctx.store.getRun(b.runId))?.leaseExpiresAt).toBe(T0 + 1010);
      const reclaimed = await ctx.store.claimRuns({ owner: 'w3', limit: 10, leaseMs: 1000, now: T0 + 1500 });
      expect(reclaimed.map((c) => c.run.id)).toEqual([b.runId]);
      expect(await ctx.store.heartbeat({ owner: 'w1', runIds: [], leaseMs: 1000, now: T0 + 1500 })).toEqual(
        [],
      );
    });

    it('claims waiting runs when their timer is due', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const { run } = await runningRun(ctx.store, { version, at: T0 });
      await ctx.store.saveProgress({
        runId: run.id,
        owner: 'w1',
        now: T0 + 10,
        run: { status: 'waiting', runAt: T0 + 5000, releaseLease: true },
      });
      expect(await ctx.store.getRun(run.id)).toMatchObject({
        status: 'waiting',
        runAt: T0 + 5000,
        leaseOwner: null,
        leaseExpiresAt: null,
        updatedAt: T0 + 10,
      });
      expect(await ctx.store.claimRuns({ owner: 'w2', limit: 5, leaseMs: 1000, now: T0 + 4999 })).toEqual([]);
      const due = await ctx.store.claimRuns({ owner: 'w2', limit: 5, leaseMs: 1000, now: T0 + 5000 });
      expect(due.map((c) => [c.run.id, c.run.status])).toEqual([[run.id, 'running']]);
    });

    it('expires every lease at once so the next claim resumes the runs', async () => {
      const { version } = await publish(ctx.store, 'orders');
      for (let i = 0; i < 3; i++) await acceptRun(ctx.store, { version, at: T0 + i });
      await acceptRun(ctx.store, { version, at: T0 + 3, runAt: T0 + 999_999 });
      await ctx.store.claimRuns({ owner: 'old-process', limit: 10, leaseMs: 60_000, now: T0 + 10 });
      expect(await ctx.store.expireAllLeases()).toBe(3);
      const resumed = await ctx.store.claimRuns({
        owner: 'new-process',
        limit: 10,
        leaseMs: 60_000,
        now: T0 + 20,
      });
      expect(resumed).toHaveLength(3);
      expect(resumed.every((c) => c.run.leaseOwner === 'new-process')).toBe(true);
      expect(await ctx.store.expireAllLeases()).toBe(3);
    });

    it('never hands one run to two owners under concurrent claims', async () => {
      const { version } = await publish(ctx.store, 'orders');
      await Promise.all(Array.from({ length: 60 }, (_, i) => acceptRun(ctx.store, { version, at: T0 + i })));
      const owners = Array.from({ length: 20 }, (_, i) => `w${i}`);
      const claims = await Promise.all(
        owners.map((owner) => ctx.store.claimRuns({ owner, limit: 5, leaseMs: 60_000, now: T0 + 1000 })),
      );
      const ids = claims.flatMap((c) => c.map((r) => r.run.id));
      expect(ids).toHaveLength(60);
      expect(new Set(ids).size).toBe(60);
      for (const [i, claimed] of claims.entries()) {
        for (const c of claimed) expect((await ctx.store.getRun(c.run.id))?.leaseOwner).toBe(owners[i]);
      }
    });

    it('loads a run with its event and journal', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const claimed = await runningRun(ctx.store, { version, at: T0 });
      const entry = {
        runId: claimed.run.id,
        stepId: 'first',
        status: 'succeeded' as const,
        attempts: 1,
        input: { a: 1 },
        output: { b: 2 },
        error: null,
        resumeAt: null,
        startedAt: T0 + 1,
        finishedAt: T0 + 2,
      };
      await ctx.store.saveProgress({ runId: claimed.run.id, owner: 'w1', now: T0 + 2, journal: [entry] });
      const loaded = await ctx.store.loadRun(claimed.run.id);
      expect(loaded?.event).toEqual(claimed.event);
      expect(loaded?.journal).toEqual([entry]);
      expect(loaded?.run.id).toBe(claimed.run.id);
      expect(await ctx.store.loadRun('run_missing')).toBeNull();
    });
  });
}
