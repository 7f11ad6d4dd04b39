import { describe, expect, it } from 'vitest';
import { acceptRun, publish, type StoreContext, T0 } from './fixtures.js';

/** Poll cursors: one poller at a time per key, compare-and-set moves, and the `poll` event source. */
export function triggerCursors(ctx: StoreContext): void {
  describe('trigger cursors', () => {
    const key = 'crm:contacts';

    it('creates the cursor on first lease and hands it to one owner at a time', async () => {
      expect(await ctx.store.leaseTriggerCursor({ key, owner: 'a', leaseMs: 1000, now: T0 })).toEqual({
        cursor: null,
      });
      expect(await ctx.store.leaseTriggerCursor({ key, owner: 'b', leaseMs: 1000, now: T0 + 10 })).toBeNull();
      // The holder renews; another owner gets it once the lease has expired.
      expect(
        await ctx.store.leaseTriggerCursor({ key, owner: 'a', leaseMs: 1000, now: T0 + 500 }),
      ).not.toBeNull();
      expect(
        await ctx.store.leaseTriggerCursor({ key, owner: 'b', leaseMs: 1000, now: T0 + 1400 }),
      ).toBeNull();
      expect(await ctx.store.leaseTriggerCursor({ key, owner: 'b', leaseMs: 1000, now: T0 + 1501 })).toEqual({
        cursor: null,
      });
    });

    it('moves only from the expected cursor and only for the lease holder', async () => {
      await ctx.store.leaseTriggerCursor({ key, owner: 'a', leaseMs: 60_000, now: T0 });
      expect(await ctx.store.advanceTriggerCursor({ key, owner: 'b', from: null, to: 'x', now: T0 })).toBe(
        false,
      );
      expect(
        await ctx.store.advanceTriggerCursor({ key, owner: 'a', from: null, to: 'c1', now: T0 + 1 }),
      ).toBe(true);
      expect(
        await ctx.store.advanceTriggerCursor({ key, owner: 'a', from: null, to: 'c2', now: T0 + 2 }),
      ).toBe(false);
      expect(
        await ctx.store.advanceTriggerCursor({ key, owner: 'a', from: 'c1', to: 'c2', now: T0 + 3 }),
      ).toBe(true);
      const stored = await ctx.store.getTriggerCursor(key);
      expect(stored).toMatchObject({ key, cursor: 'c2', leaseOwner: 'a', polledAt: T0 + 3 });
    });

    it('keeps the cursor across a release and hands the lease on at once', async () => {
      await ctx.store.leaseTriggerCursor({ key, owner: 'a', leaseMs: 60_000, now: T0 });
      await ctx.store.advanceTriggerCursor({ key, owner: 'a', from: null, to: 'c9', now: T0 });
      await ctx.store.releaseTriggerCursor({ key, owner: 'a' });
      expect(await ctx.store.leaseTriggerCursor({ key, owner: 'b', leaseMs: 60_000, now: T0 + 1 })).toEqual({
        cursor: 'c9',
      });
      expect(await ctx.store.getTriggerCursor('no-such-key')).toBeNull();
    });

    it('accepts events whose source is a poll', async () => {
      const { version } = await publish(ctx.store, 'polled');
      const accepted = await acceptRun(ctx.store, {
        version,
        at: T0,
        source: 'poll',
        dedupeKey: 'contact:1:5',
      });
      const event = await ctx.store.getEvent(accepted.eventId);
      expect(event?.source).toBe('poll');
    });
  });
}
