import { describe, expect, it } from 'vitest';
import type { SerializedError } from '../../contract/errors.js';
import { newId } from '../../contract/ids.js';
import type { FlowVersionRecord } from '../records.js';
import { auditInput, expectWeftError, publish, runningRun, type StoreContext, T0 } from './fixtures.js';

const httpError: SerializedError = { code: 'http_error', message: 'HTTP 422 from target', retryable: false };

/** Runs a run to failure at `stepId` and opens its exception; returns the ids. */
async function failRun(
  ctx: StoreContext,
  o: { version: FlowVersionRecord; at: number; stepId?: string; error?: SerializedError },
): Promise<{ runId: string; exceptionId: string }> {
  const { run } = await runningRun(ctx.store, { version: o.version, at: o.at, owner: 'w1' });
  const stepId = o.stepId ?? 'charge';
  const error = o.error ?? httpError;
  const exceptionId = newId('exc', o.at);
  await ctx.store.saveProgress({
    runId: run.id,
    owner: 'w1',
    now: o.at + 1,
    journal: [
      {
        runId: run.id,
        stepId,
        status: 'failed',
        attempts: 3,
        input: { amount: 10 },
        output: null,
        error,
        resumeAt: null,
        startedAt: o.at,
        finishedAt: o.at + 1,
      },
    ],
    run: { status: 'failed', error, releaseLease: true, finishedAt: o.at + 1 },
    exception: { id: exceptionId, stepId, error, input: { amount: 10 }, attempts: 3, at: o.at + 1 },
  });
  return { runId: run.id, exceptionId };
}

/** The error queue: open, retry (with edited input), resolve, bulk retry. */
export function errorQueue(ctx: StoreContext): void {
  describe('error queue', () => {
    it('retries with edited input, and a successful run resolves the exception', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const { runId, exceptionId } = await failRun(ctx, { version, at: T0 });
      expect(await ctx.store.getException(exceptionId)).toEqual({
        id: exceptionId,
        runId,
        flowName: 'orders',
        stepId: 'charge',
        status: 'open',
        error: httpError,
        input: { amount: 10 },
        attempts: 3,
        retries: 0,
        createdAt: T0 + 1,
        updatedAt: T0 + 1,
        resolvedAt: null,
        resolvedBy: null,
        resolution: null,
      });
      const auditBefore = (await ctx.store.listAudit({ limit: 100 })).length;

      const retried = await ctx.store.retryException({
        id: exceptionId,
        input: { amount: 12 },
        audit: auditInput('exception.retry', T0 + 100),
        now: T0 + 100,
      });
      expect(retried).toMatchObject({ status: 'retrying', retries: 1, updatedAt: T0 + 100 });
      expect(await ctx.store.getJournal(runId)).toEqual([
        expect.objectContaining({
          stepId: 'charge',
          status: 'retrying',
          attempts: 0,
          error: null,
          resumeAt: T0 + 100,
          editedInput: { amount: 12 },
        }),
      ]);
      expect(await ctx.store.getRun(runId)).toMatchObject({
        status: 'queued',
        runAt: T0 + 100,
        error: null,
        finishedAt: null,
        leaseOwner: null,
        leaseExpiresAt: null,
      });
      const audit = await ctx.store.listAudit({ limit: 100 });
      expect(audit).toHaveLength(auditBefore + 1);
      expect(audit.at(-1)?.action).toBe('exception.retry');
      await expectWeftError(
        ctx.store.retryException({
          id: exceptionId,
          audit: auditInput('exception.retry', T0 + 101),
          now: T0 + 101,
        }),
        'conflict',
      );

      const [claimed] = await ctx.store.claimRuns({ owner: 'w2', limit: 1, leaseMs: 1000, now: T0 + 200 });
      expect(claimed?.run.id).toBe(runId);
      await ctx.store.saveProgress({
        runId,
        owner: 'w2',
        now: T0 + 210,
        run: { status: 'succeeded', error: null, releaseLease: true, finishedAt: T0 + 210 },
      });
      expect(await ctx.store.getException(exceptionId)).toMatchObject({
        status: 'resolved',
        resolution: 'retried successfully',
        resolvedBy: 'system',
        resolvedAt: T0 + 210,
        retries: 1,
      });
      await expectWeftError(
        ctx.store.retryException({
          id: exceptionId,
          audit: auditInput('exception.retry', T0 + 300),
          now: T0 + 300,
        }),
        'conflict',
      );
    });

    it('re-opens the same exception when the step fails again', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const { runId, exceptionId } = await failRun(ctx, { version, at: T0 });
      await ctx.store.retryException({
        id: exceptionId,
        input: { amount: 11 },
        audit: auditInput('exception.retry', T0 + 10),
        now: T0 + 10,
      });
      await ctx.store.claimRuns({ owner: 'w2', limit: 1, leaseMs: 1000, now: T0 + 20 });
      const timeout: SerializedError = { code: 'timeout', message: 'still failing', retryable: true };
      await ctx.store.saveProgress({
        runId,
        owner: 'w2',
        now: T0 + 30,
        run: { status: 'failed', error: timeout, releaseLease: true, finishedAt: T0 + 30 },
        exception: {
          id: newId('exc', T0 + 30),
          stepId: 'charge',
          error: timeout,
          input: { amount: 11 },
          attempts: 5,
          at: T0 + 30,
        },
      });
      const reopened = await ctx.store.listExceptions({ flowName: 'orders' });
      expect(reopened).toEqual([
        expect.objectContaining({
          id: exceptionId,
          status: 'open',
          error: timeout,
          input: { amount: 11 },
          attempts: 5,
          retries: 1,
          createdAt: T0 + 1,
          updatedAt: T0 + 30,
        }),
      ]);
      // The edit from the queue stays in force for the next retry.
      expect((await ctx.store.getJournal(runId))[0]?.editedInput).toEqual({ amount: 11 });
    });

    it('resolves open and retrying exceptions, once', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const a = await failRun(ctx, { version, at: T0 });
      const b = await failRun(ctx, { version, at: T0 + 10 });
      await ctx.store.retryException({
        id: b.exceptionId,
        audit: auditInput('exception.retry', T0 + 20),
        now: T0 + 20,
      });
      for (const [id, at] of [
        [a.exceptionId, T0 + 30],
        [b.exceptionId, T0 + 31],
      ] as const) {
        const resolved = await ctx.store.resolveException({
          id,
          note: 'fixed by hand in the CRM',
          actor: 'user:ops',
          audit: auditInput('exception.resolve', at),
          now: at,
        });
        expect(resolved).toMatchObject({
          status: 'resolved',
          resolution: 'fixed by hand in the CRM',
          resolvedBy: 'user:ops',
          resolvedAt: at,
        });
      }
      await expectWeftError(
        ctx.store.resolveException({
          id: a.exceptionId,
          note: 'again',
          actor: 'user:ops',
          audit: auditInput('x', T0 + 40),
          now: T0 + 40,
        }),
        'conflict',
      );
      await expectWeftError(
        ctx.store.resolveException({
          id: 'exc_missing',
          note: 'n',
          actor: 'user:ops',
          audit: auditInput('x', T0 + 40),
          now: T0 + 40,
        }),
        'not_found',
      );
      await expectWeftError(
        ctx.store.retryException({ id: 'exc_missing', audit: auditInput('x', T0 + 40), now: T0 + 40 }),
        'not_found',
      );
      expect(
        (await ctx.store.listAudit({ limit: 100 })).filter((e) => e.action === 'exception.resolve'),
      ).toHaveLength(2);
      expect(await ctx.store.getException('exc_missing')).toBeNull();
    });

    it('retries every open exception matching a filter, with one audit entry', async () => {
      const orders = (await publish(ctx.store, 'orders')).version;
      const refunds = (await publish(ctx.store, 'refunds')).version;
      const timeout: SerializedError = { code: 'timeout', message: 'slow', retryable: true };
      const match = [
        await failRun(ctx, { version: orders, at: T0 }),
        await failRun(ctx, { version: orders, at: T0 + 10 }),
        await failRun(ctx, { version: orders, at: T0 + 20 }),
      ];
      const resolved = await failRun(ctx, { version: orders, at: T0 + 30 });
      await ctx.store.resolveException({
        id: resolved.exceptionId,
        note: 'n',
        actor: 'u',
        audit: auditInput('r', T0 + 31),
        now: T0 + 31,
      });
      const otherCode = await failRun(ctx, { version: orders, at: T0 + 40, error: timeout });
      const otherFlow = await failRun(ctx, { version: refunds, at: T0 + 50 });
      const auditBefore = (await ctx.store.listAudit({ limit: 100 })).length;

      const filter = { flowName: 'orders', code: 'http_error' };
      const count = await ctx.store.retryExceptions({
        filter,
        audit: auditInput('exception.retry_bulk', T0 + 100),
        now: T0 + 100,
      });
      expect(count).toBe(3);
      for (const m of match) {
        expect(await ctx.store.getException(m.exceptionId)).toMatchObject({ status: 'retrying', retries: 1 });
        expect((await ctx.store.getRun(m.runId))?.status).toBe('queued');
      }
      expect((await ctx.store.getException(resolved.exceptionId))?.status).toBe('resolved');
      expect((await ctx.store.getException(otherCode.exceptionId))?.status).toBe('open');
      expect((await ctx.store.getException(otherFlow.exceptionId))?.status).toBe('open');
      const audit = await ctx.store.listAudit({ limit: 100 });
      expect(audit).toHaveLength(auditBefore + 1);
      expect(audit.at(-1)).toMatchObject({
        action: 'exception.retry_bulk',
        data: expect.objectContaining({ count: 3 }),
      });
      // Nothing open matches any more.
      expect(
        await ctx.store.retryExceptions({
          filter,
          audit: auditInput('exception.retry_bulk', T0 + 200),
          now: T0 + 200,
        }),
      ).toBe(0);
      expect(
        await ctx.store.retryExceptions({
          filter: { status: 'resolved' },
          audit: auditInput('b', T0 + 201),
          now: T0 + 201,
        }),
      ).toBe(0);
    });

    it('lists exceptions newest first, by status, flow, code and step', async () => {
      const orders = (await publish(ctx.store, 'orders')).version;
      const refunds = (await publish(ctx.store, 'refunds')).version;
      const timeout: SerializedError = { code: 'timeout', message: 'slow', retryable: true };
      const e1 = await failRun(ctx, { version: orders, at: T0 });
      const e2 = await failRun(ctx, { version: orders, at: T0 + 10, stepId: 'notify', error: timeout });
      const e3 = await failRun(ctx, { version: refunds, at: T0 + 20 });
      await ctx.store.resolveException({
        id: e3.exceptionId,
        note: 'n',
        actor: 'u',
        audit: auditInput('r', T0 + 21),
        now: T0 + 21,
      });
      const ids = async (filter: Parameters<typeof ctx.store.listExceptions>[0]) =>
        (await ctx.store.listExceptions(filter)).map((e) => e.id);
      expect(await ids({})).toEqual([e3.exceptionId, e2.exceptionId, e1.exceptionId]);
      expect(await ids({ limit: 1 })).toEqual([e3.exceptionId]);
      expect(await ids({ before: e3.exceptionId, limit: 5 })).toEqual([e2.exceptionId, e1.exceptionId]);
      expect(await ids({ status: 'open' })).toEqual([e2.exceptionId, e1.exceptionId]);
      expect(await ids({ flowName: 'refunds' })).toEqual([e3.exceptionId]);
      expect(await ids({ code: 'timeout' })).toEqual([e2.exceptionId]);
      expect(await ids({ stepId: 'charge', status: 'open' })).toEqual([e1.exceptionId]);
    });
  });
}
