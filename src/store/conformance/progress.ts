import { describe, expect, it } from 'vitest';
import { newId } from '../../contract/ids.js';
import type { ActionRecord, JournalEntry } from '../records.js';
import {
  acceptRun,
  eventInput,
  expectWeftError,
  publish,
  runningRun,
  type StoreContext,
  T0,
} from './fixtures.js';

/** Values JSON can carry, to prove journal and ledger data round-trip unchanged. */
const richValue = {
  text: 'Zoë — 東京 🚀 "quoted" \\ back\nslash',
  numbers: [0, -1, 3.25, 1e-7, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
  flags: [true, false],
  nothing: null,
  empty: { list: [], object: {}, string: '' },
  nested: { deep: { deeper: [{ id: 'x', tags: ['a', 'b'] }] } },
};

function entry(runId: string, stepId: string, over: Partial<JournalEntry> = {}): JournalEntry {
  return {
    runId,
    stepId,
    status: 'succeeded',
    attempts: 1,
    input: { step: stepId },
    output: { done: stepId },
    error: null,
    resumeAt: null,
    startedAt: T0,
    finishedAt: T0 + 1,
    ...over,
  };
}

/** Journal, write ledger and run state writes, and the lease fence around them. */
export function runProgress(ctx: StoreContext): void {
  describe('run progress', () => {
    it('is fenced by the lease', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const { run } = await runningRun(ctx.store, { version, at: T0 });
      await expectWeftError(
        ctx.store.saveProgress({
          runId: run.id,
          owner: 'intruder',
          now: T0 + 1,
          journal: [entry(run.id, 'a')],
        }),
        'lease_lost',
      );
      expect(await ctx.store.getJournal(run.id)).toEqual([]);
      await ctx.store.saveProgress({
        runId: run.id,
        owner: 'w1',
        now: T0 + 2,
        run: { status: 'queued', runAt: T0 + 100, releaseLease: true },
      });
      // A released run is no longer the worker's, even before anyone else claims it.
      await expectWeftError(
        ctx.store.saveProgress({ runId: run.id, owner: 'w1', now: T0 + 3, journal: [entry(run.id, 'a')] }),
        'lease_lost',
      );
      expect(await ctx.store.getJournal(run.id)).toEqual([]);
      await expectWeftError(
        ctx.store.saveProgress({ runId: 'run_missing', owner: 'w1', now: T0 }),
        'not_found',
      );
      const queued = await acceptRun(ctx.store, { version, at: T0 + 5, runAt: T0 + 9_999 });
      await expectWeftError(
        ctx.store.saveProgress({ runId: queued.runId, owner: 'w1', now: T0 + 6 }),
        'lease_lost',
      );
    });

    it('round-trips journal data and upserts entries by step', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const { run } = await runningRun(ctx.store, { version, at: T0 });
      const failing = entry(run.id, 'b', {
        status: 'retrying',
        attempts: 2,
        input: richValue,
        output: null,
        error: {
          code: 'rate_limited',
          message: 'HTTP 429',
          retryable: true,
          retryAfterMs: 2000,
          details: { status: 429 },
        },
        resumeAt: T0 + 2000,
        startedAt: T0 + 5,
        finishedAt: null,
      });
      const done = entry(run.id, 'a', { output: richValue, startedAt: T0 + 1 });
      await ctx.store.saveProgress({ runId: run.id, owner: 'w1', now: T0 + 10, journal: [failing, done] });
      expect(await ctx.store.getJournal(run.id)).toEqual([done, failing]);

      const recovered = {
        ...failing,
        status: 'succeeded' as const,
        attempts: 3,
        output: [richValue],
        error: null,
        resumeAt: null,
        finishedAt: T0 + 20,
      };
      await ctx.store.saveProgress({ runId: run.id, owner: 'w1', now: T0 + 20, journal: [recovered] });
      expect(await ctx.store.getJournal(run.id)).toEqual([done, recovered]);
      expect((await ctx.store.loadRun(run.id))?.journal).toEqual([done, recovered]);
    });

    it('rejects entries of another run without writing anything', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const mine = await runningRun(ctx.store, { version, at: T0 });
      const other = await acceptRun(ctx.store, { version, at: T0 + 1, runAt: T0 + 9_999 });
      await expectWeftError(
        ctx.store.saveProgress({
          runId: mine.run.id,
          owner: 'w1',
          now: T0 + 2,
          journal: [entry(mine.run.id, 'a'), entry(other.runId, 'a')],
        }),
        'invalid_input',
      );
      expect(await ctx.store.getJournal(mine.run.id)).toEqual([]);
      expect(await ctx.store.getJournal(other.runId)).toEqual([]);
    });

    it('keeps the write ledger by idempotency key', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const { run } = await runningRun(ctx.store, { version, at: T0 });
      const pending: ActionRecord = {
        idempotencyKey: `${run.id}:charge:0`,
        runId: run.id,
        stepId: 'charge',
        itemKey: '0',
        attempts: 1,
        status: 'pending',
        request: { method: 'POST', url: 'https://api.example.test/charges' },
        responseStatus: null,
        response: null,
        firstAttemptAt: T0 + 1,
        lastAttemptAt: T0 + 1,
      };
      const other: ActionRecord = {
        ...pending,
        idempotencyKey: `${run.id}:charge:1`,
        itemKey: '1',
        firstAttemptAt: T0 + 2,
        lastAttemptAt: T0 + 2,
      };
      await ctx.store.saveProgress({ runId: run.id, owner: 'w1', now: T0 + 2, actions: [pending, other] });
      const succeeded: ActionRecord = {
        ...pending,
        attempts: 2,
        status: 'succeeded',
        responseStatus: 201,
        response: richValue,
        firstAttemptAt: T0 + 50,
        lastAttemptAt: T0 + 60,
      };
      await ctx.store.saveProgress({ runId: run.id, owner: 'w1', now: T0 + 60, actions: [succeeded] });
      // The first attempt time is history: an upsert never moves it.
      expect(await ctx.store.listActions(run.id)).toEqual([{ ...succeeded, firstAttemptAt: T0 + 1 }, other]);
      expect(await ctx.store.listActions('run_missing')).toEqual([]);
    });

    it('applies run state changes, touching only the fields given', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const { run } = await runningRun(ctx.store, { version, at: T0, leaseMs: 1000 });
      const error = { code: 'timeout' as const, message: 'slow', retryable: true };
      await ctx.store.saveProgress({
        runId: run.id,
        owner: 'w1',
        now: T0 + 5,
        run: { status: 'running', output: richValue, error },
      });
      expect(await ctx.store.getRun(run.id)).toMatchObject({
        status: 'running',
        output: richValue,
        error,
        leaseOwner: 'w1',
        leaseExpiresAt: T0 + 1000,
        updatedAt: T0 + 5,
      });
      await ctx.store.saveProgress({
        runId: run.id,
        owner: 'w1',
        now: T0 + 9,
        run: { status: 'succeeded', error: null, releaseLease: true, finishedAt: T0 + 9 },
      });
      expect(await ctx.store.getRun(run.id)).toMatchObject({
        status: 'succeeded',
        output: richValue,
        error: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        finishedAt: T0 + 9,
        runAt: T0,
      });
    });

    it('keeps an edited input when the engine rewrites the entry without it', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const { run } = await runningRun(ctx.store, { version, at: T0 });
      await ctx.store.saveProgress({
        runId: run.id,
        owner: 'w1',
        now: T0 + 1,
        journal: [entry(run.id, 'a', { editedInput: { fixed: true } })],
      });
      await ctx.store.saveProgress({
        runId: run.id,
        owner: 'w1',
        now: T0 + 2,
        journal: [entry(run.id, 'a', { attempts: 2 })],
      });
      expect(await ctx.store.getJournal(run.id)).toEqual([
        entry(run.id, 'a', { attempts: 2, editedInput: { fixed: true } }),
      ]);
    });

    it("writes the progress of a run accepted with it, in the run's new state", async () => {
      const { version } = await publish(ctx.store, 'orders');
      const input = eventInput({ version, at: T0, dedupeKey: 'k1', claim: { owner: 'w', leaseMs: 1000 } });
      const runId = input.run.id;
      const action: ActionRecord = {
        idempotencyKey: `${runId}:charge:0`,
        runId,
        stepId: 'charge',
        itemKey: '0',
        attempts: 1,
        status: 'succeeded',
        request: { method: 'POST', url: 'https://api.example.test/charges' },
        responseStatus: 201,
        response: richValue,
        firstAttemptAt: T0 + 1,
        lastAttemptAt: T0 + 1,
      };
      const result = await ctx.store.acceptEvent({
        ...input,
        progress: {
          now: T0 + 2,
          // A step written twice keeps its first place and its last state.
          journal: [
            entry(runId, 'a', { output: 'first' }),
            entry(runId, 'b'),
            entry(runId, 'a', { output: richValue }),
          ],
          actions: [action],
          run: {
            status: 'succeeded',
            output: { done: true },
            error: null,
            releaseLease: true,
            finishedAt: T0 + 2,
          },
        },
      });
      expect(result).toMatchObject({ accepted: true, runId, progressSaved: true });
      expect(await ctx.store.getRun(runId)).toMatchObject({
        status: 'succeeded',
        output: { done: true },
        error: null,
        leaseOwner: null,
        leaseExpiresAt: null,
        createdAt: T0,
        updatedAt: T0 + 2,
        finishedAt: T0 + 2,
      });
      expect((await ctx.store.getJournal(runId)).map((e) => [e.stepId, e.output])).toEqual([
        ['a', richValue],
        ['b', { done: 'b' }],
      ]);
      expect(await ctx.store.listActions(runId)).toEqual([action]);

      // A duplicate delivery writes none of its progress.
      const again = eventInput({
        version,
        at: T0 + 5,
        dedupeKey: 'k1',
        claim: { owner: 'w', leaseMs: 1000 },
      });
      const dup = await ctx.store.acceptEvent({
        ...again,
        progress: { now: T0 + 6, journal: [entry(again.run.id, 'x')] },
      });
      expect(dup).toEqual({ accepted: false, eventId: result.eventId, runId });
      expect(await ctx.store.getRun(again.run.id)).toBeNull();

      // Without a state change the run stays leased to its claimer, which goes on with it.
      const next = eventInput({ version, at: T0 + 10, claim: { owner: 'w', leaseMs: 1000 } });
      await ctx.store.acceptEvent({ ...next, progress: { now: T0 + 11, journal: [] } });
      expect(await ctx.store.getRun(next.run.id)).toMatchObject({
        status: 'running',
        leaseOwner: 'w',
        leaseExpiresAt: T0 + 1010,
        updatedAt: T0 + 10,
      });
      await ctx.store.saveProgress({
        runId: next.run.id,
        owner: 'w',
        now: T0 + 12,
        journal: [entry(next.run.id, 'a')],
      });

      // A failure in the leading steps opens its exception with the run.
      const failing = eventInput({ version, at: T0 + 15, claim: { owner: 'w', leaseMs: 1000 } });
      const error = { code: 'internal' as const, message: 'boom', retryable: false };
      await ctx.store.acceptEvent({
        ...failing,
        progress: {
          now: T0 + 16,
          journal: [entry(failing.run.id, 'a', { status: 'failed', error, output: null })],
          run: { status: 'failed', error, releaseLease: true, finishedAt: T0 + 16 },
          exception: {
            id: newId('exc', T0 + 16),
            stepId: 'a',
            error,
            input: { x: 1 },
            attempts: 1,
            at: T0 + 16,
          },
        },
      });
      expect(await ctx.store.getRun(failing.run.id)).toMatchObject({ status: 'failed', error });
      expect(await ctx.store.listExceptions({ status: 'open' })).toMatchObject([
        { runId: failing.run.id, flowName: 'orders', stepId: 'a', input: { x: 1 } },
      ]);

      // Progress belongs to a run someone holds: without a claim it is refused.
      const unclaimed = eventInput({ version, at: T0 + 20 });
      await expectWeftError(
        ctx.store.acceptEvent({ ...unclaimed, progress: { now: T0 + 20 } }),
        'invalid_input',
      );
      expect(await ctx.store.getRun(unclaimed.run.id)).toBeNull();
    });

    it('group-commits parallel progress; a stale writer fails alone', async () => {
      const { version } = await publish(ctx.store, 'orders');
      await Promise.all(Array.from({ length: 20 }, (_, i) => acceptRun(ctx.store, { version, at: T0 + i })));
      const claimed = await ctx.store.claimRuns({ owner: 'w1', limit: 20, leaseMs: 60_000, now: T0 + 100 });
      const writes = claimed.map((c, i) =>
        ctx.store.saveProgress({
          runId: c.run.id,
          owner: i === 7 ? 'stale' : 'w1',
          now: T0 + 200,
          journal: [entry(c.run.id, 'a')],
          run: { status: 'succeeded', output: i, releaseLease: true, finishedAt: T0 + 200 },
        }),
      );
      const settled = await Promise.allSettled(writes);
      expect(settled.map((s) => s.status === 'rejected')).toEqual(claimed.map((_, i) => i === 7));
      expect(await ctx.store.countRuns({ status: 'succeeded' })).toBe(19);
      expect(await ctx.store.getJournal(claimed[7]?.run.id ?? '')).toEqual([]);
      expect((await ctx.store.getRun(claimed[3]?.run.id ?? ''))?.output).toBe(3);
    });
  });
}
