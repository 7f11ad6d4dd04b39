import { describe, expect, it } from 'vitest';
import { newId } from '../../contract/ids.js';
import {
  acceptRun,
  auditInput,
  eventInput,
  expectWeftError,
  publish,
  type StoreContext,
  T0,
} from './fixtures.js';

/** Flow publishing, event intake (dedupe, atomicity, group commit) and the event/run lists. */
export function flowsAndEvents(ctx: StoreContext): void {
  describe('flows', () => {
    it('publishes versions, and republishing the current source is a no-op', async () => {
      const first = await publish(ctx.store, 'orders', { source: 'a', at: T0 });
      expect(first.created).toBe(true);
      expect(first.version).toMatchObject({ flowName: 'orders', version: 1, source: 'a', createdAt: T0 });
      const auditBefore = await ctx.store.listAudit({ limit: 100 });

      const again = await publish(ctx.store, 'orders', { source: 'a', at: T0 + 1 });
      expect(again).toEqual({ version: first.version, created: false });
      expect(await ctx.store.listAudit({ limit: 100 })).toEqual(auditBefore);

      const second = await publish(ctx.store, 'orders', { source: 'b', at: T0 + 2 });
      expect(second.created).toBe(true);
      expect(second.version.version).toBe(2);
      // Only the current version is compared: going back to older source is a new version.
      const third = await publish(ctx.store, 'orders', { source: 'a', at: T0 + 3 });
      expect(third.version.version).toBe(3);

      expect((await ctx.store.listFlowVersions('orders')).map((v) => v.version)).toEqual([3, 2, 1]);
      expect(await ctx.store.getFlowVersion(first.version.id)).toEqual(first.version);
      expect(await ctx.store.getFlow('orders')).toEqual({
        name: 'orders',
        currentVersionId: third.version.id,
        currentVersion: 3,
        triggerKind: 'manual',
        createdAt: T0,
        updatedAt: T0 + 3,
      });
      expect(await ctx.store.listAudit({ limit: 100 })).toHaveLength(3);
    });

    it('lists flows by name with their current versions', async () => {
      await publish(ctx.store, 'zeta', { trigger: 'schedule' });
      const alpha1 = await publish(ctx.store, 'alpha', { source: 'one', trigger: 'webhook' });
      const alpha2 = await publish(ctx.store, 'alpha', { source: 'two', trigger: 'webhook' });
      const flows = await ctx.store.listFlows();
      expect(flows.map((f) => [f.name, f.currentVersion, f.triggerKind])).toEqual([
        ['alpha', 2, 'webhook'],
        ['zeta', 1, 'schedule'],
      ]);
      const current = await ctx.store.currentFlowVersions();
      expect(current.map((v) => v.id)).toEqual([alpha2.version.id, flows[1]?.currentVersionId]);
      expect(current[0]?.definition).toEqual(alpha1.version.definition);
      expect(await ctx.store.getFlow('missing')).toBeNull();
      expect(await ctx.store.getFlowVersion('fv_missing')).toBeNull();
      expect(await ctx.store.listFlowVersions('missing')).toEqual([]);
    });
  });

  describe('events', () => {
    it('commits an event with a queued run', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const input = eventInput({ version, at: T0 + 10, runAt: T0 + 20, dedupeKey: 'k1', body: { n: 1 } });
      const result = await ctx.store.acceptEvent(input);
      expect(result).toEqual({ accepted: true, eventId: input.event.id, runId: input.run.id });
      expect(await ctx.store.getEvent(input.event.id)).toEqual(input.event);
      expect(await ctx.store.getRun(input.run.id)).toEqual({
        id: input.run.id,
        eventId: input.event.id,
        flowName: 'orders',
        flowVersionId: version.id,
        status: 'queued',
        runAt: T0 + 20,
        leaseOwner: null,
        leaseExpiresAt: null,
        output: null,
        error: null,
        createdAt: T0 + 10,
        updatedAt: T0 + 10,
        finishedAt: null,
      });
    });

    it('drops a repeated dedupe key and reports the original', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const other = (await publish(ctx.store, 'refunds')).version;
      const original = await acceptRun(ctx.store, { version, at: T0, dedupeKey: 'evt-1' });
      const repeat = eventInput({ version, at: T0 + 1, dedupeKey: 'evt-1' });
      expect(await ctx.store.acceptEvent(repeat)).toEqual({ accepted: false, ...original });
      expect(await ctx.store.getEvent(repeat.event.id)).toBeNull();
      expect(await ctx.store.getRun(repeat.run.id)).toBeNull();
      // Keys are per flow, and events without a key never collide.
      await acceptRun(ctx.store, { version: other, at: T0 + 2, dedupeKey: 'evt-1' });
      await acceptRun(ctx.store, { version, at: T0 + 3, dedupeKey: null });
      await acceptRun(ctx.store, { version, at: T0 + 4, dedupeKey: null });
      expect(await ctx.store.countRuns({ flowName: 'orders' })).toBe(3);
      expect(await ctx.store.countRuns({})).toBe(4);
    });

    it('commits the event, run, and audit together or not at all', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const taken = await acceptRun(ctx.store, { version, at: T0 });
      const auditBefore = await ctx.store.listAudit({ limit: 100 });
      // The run id is already used, so the run insert fails after the event insert.
      const clash = eventInput({
        version,
        at: T0 + 1,
        dedupeKey: 'k',
        runId: taken.runId,
        audit: auditInput('run.start', T0 + 1),
      });
      await expectWeftError(ctx.store.acceptEvent(clash), 'conflict');
      expect(await ctx.store.getEvent(clash.event.id)).toBeNull();
      expect(await ctx.store.listAudit({ limit: 100 })).toEqual(auditBefore);
      // The dedupe key was not consumed by the failed attempt.
      const retry = eventInput({
        version,
        at: T0 + 2,
        dedupeKey: 'k',
        audit: auditInput('run.start', T0 + 2),
      });
      expect((await ctx.store.acceptEvent(retry)).accepted).toBe(true);
      expect((await ctx.store.listAudit({ limit: 100 })).at(-1)?.action).toBe('run.start');
    });

    it('leases the new run at once when asked to claim it', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const { runId } = await acceptRun(ctx.store, {
        version,
        at: T0,
        claim: { owner: 'inline', leaseMs: 1000 },
      });
      expect(await ctx.store.getRun(runId)).toMatchObject({
        status: 'running',
        leaseOwner: 'inline',
        leaseExpiresAt: T0 + 1000,
      });
      expect(await ctx.store.claimRuns({ owner: 'w2', limit: 10, leaseMs: 1000, now: T0 + 1000 })).toEqual(
        [],
      );
      const taken = await ctx.store.claimRuns({ owner: 'w2', limit: 10, leaseMs: 1000, now: T0 + 1001 });
      expect(taken.map((c) => c.run.id)).toEqual([runId]);
    });

    it('group-commits hundreds of parallel events, deduplicating within the batch', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const inputs = Array.from({ length: 500 }, (_, i) =>
        eventInput({ version, at: T0 + i, dedupeKey: `k${i}` }),
      );
      // 50 keys arrive twice in the same turn.
      const repeats = Array.from({ length: 50 }, (_, i) =>
        eventInput({ version, at: T0 + 1000 + i, dedupeKey: `k${i * 10}` }),
      );
      const results = await Promise.all([...inputs, ...repeats].map((input) => ctx.store.acceptEvent(input)));
      expect(results.slice(0, 500).every((r) => r.accepted)).toBe(true);
      results.slice(500).forEach((r, i) => {
        const original = inputs[i * 10];
        expect(r).toEqual({ accepted: false, eventId: original?.event.id, runId: original?.run.id });
      });
      expect(await ctx.store.countRuns({ flowName: 'orders', status: 'queued' })).toBe(500);
    });

    it('fails one unit of a batch without failing the others', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const taken = await acceptRun(ctx.store, { version, at: T0 });
      const good = Array.from({ length: 20 }, (_, i) => eventInput({ version, at: T0 + 1 + i }));
      const bad = eventInput({ version, at: T0 + 50, runId: taken.runId });
      const settled = await Promise.allSettled(
        [...good.slice(0, 10), bad, ...good.slice(10)].map((e) => ctx.store.acceptEvent(e)),
      );
      expect(settled.map((s) => s.status).filter((s) => s === 'rejected')).toHaveLength(1);
      expect(settled[10]?.status).toBe('rejected');
      expect(await ctx.store.countRuns({})).toBe(21);
      expect(await ctx.store.getEvent(bad.event.id)).toBeNull();
    });

    it('lists events and runs newest first, with filters, limits and an id cursor', async () => {
      const orders = (await publish(ctx.store, 'orders')).version;
      const refunds = (await publish(ctx.store, 'refunds')).version;
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push(
          (await acceptRun(ctx.store, { version: i % 2 === 0 ? orders : refunds, at: T0 + i * 10 })).runId,
        );
      }
      const runs = await ctx.store.listRuns({ limit: 10 });
      expect(runs.map((r) => r.id)).toEqual([...ids].reverse());
      expect((await ctx.store.listRuns({ limit: 2 })).map((r) => r.id)).toEqual([ids[5], ids[4]]);
      expect((await ctx.store.listRuns({ limit: 10, before: ids[3] })).map((r) => r.id)).toEqual([
        ids[2],
        ids[1],
        ids[0],
      ]);
      expect((await ctx.store.listRuns({ limit: 10, flowName: 'orders' })).map((r) => r.id)).toEqual([
        ids[4],
        ids[2],
        ids[0],
      ]);
      await ctx.store.claimRuns({ owner: 'w', limit: 1, leaseMs: 1000, now: T0 + 100 });
      expect((await ctx.store.listRuns({ limit: 10, status: 'running' })).map((r) => r.id)).toEqual([ids[0]]);
      expect(await ctx.store.countRuns({ status: 'queued' })).toBe(5);
      expect(await ctx.store.countRuns({ flowName: 'refunds', status: 'queued' })).toBe(3);

      const events = await ctx.store.listEvents({ limit: 10 });
      expect(events.map((e) => e.receivedAt)).toEqual([50, 40, 30, 20, 10, 0].map((d) => T0 + d));
      const refundEvents = await ctx.store.listEvents({ limit: 2, flowName: 'refunds' });
      expect(refundEvents.map((e) => e.receivedAt)).toEqual([T0 + 50, T0 + 30]);
      const older = await ctx.store.listEvents({
        limit: 10,
        flowName: 'refunds',
        before: refundEvents[1]?.id,
      });
      expect(older.map((e) => e.receivedAt)).toEqual([T0 + 10]);
      expect(await ctx.store.getEvent(newId('evt'))).toBeNull();
      expect(await ctx.store.getRun(newId('run'))).toBeNull();
    });
  });
}
