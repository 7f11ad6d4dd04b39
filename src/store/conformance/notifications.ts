import { describe, expect, it } from 'vitest';
import { newId } from '../../contract/ids.js';
import type { Store, StoreTopic, Subscription } from '../port.js';
import { acceptRun, auditInput, eventInput, publish, runningRun, type StoreContext, T0 } from './fixtures.js';

/** Bound on waiting for a topic: generous, since a miss fails the test rather than slowing it. */
const topicWaitMs = 5_000;

/** Topics a subscriber heard, and a way to wait for the next one of a kind. */
export interface TopicLog {
  /** Topics heard since the subscription was ready (or since the last `clear`), in order. */
  readonly seen: StoreTopic[];
  /** Resolves when `topic` was heard since the last `clear`; rejects after a bounded wait. */
  next(topic: StoreTopic): Promise<void>;
  clear(): void;
  readonly subscription: Subscription;
}

/** Subscribes to `store` and waits until the subscription is in place. */
export async function logTopics(store: Store): Promise<TopicLog> {
  const seen: StoreTopic[] = [];
  const waiters: { topic: StoreTopic; resolve: () => void }[] = [];
  const subscription = store.subscribe((topic) => {
    seen.push(topic);
    for (const w of waiters.filter((x) => x.topic === topic)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  await subscription.ready;
  // What arrived before `ready` (PostgreSQL announces every topic when LISTEN starts) is not news.
  seen.length = 0;
  return {
    seen,
    subscription,
    clear: () => {
      seen.length = 0;
    },
    next: (topic) =>
      seen.includes(topic)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () =>
                reject(new Error(`no '${topic}' topic within ${topicWaitMs} ms (saw ${seen.join(', ')})`)),
              topicWaitMs,
            );
            waiters.push({
              topic,
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
            });
          }),
  };
}

/**
 * `subscribe`: which commits are announced. Absence is shown without sleeping: topics arrive in
 * commit order, so once a later commit's topic is heard, an earlier commit's would have been too.
 */
export function notifications(ctx: StoreContext): void {
  describe('notifications', () => {
    it('announces a published version, and not an unchanged one', async () => {
      const log = await logTopics(ctx.store);
      await publish(ctx.store, 'orders', { source: 'v1' });
      await log.next('flows');
      log.clear();
      const { version } = await publish(ctx.store, 'orders', { source: 'v1', at: T0 + 1 });
      await acceptRun(ctx.store, { version, at: T0 + 2 });
      await log.next('runs');
      expect(log.seen).toEqual(['runs']);
      log.subscription();
    });

    it('announces runs left for any worker, but not inline runs or duplicates', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const log = await logTopics(ctx.store);
      await acceptRun(ctx.store, { version, at: T0, dedupeKey: 'k1' });
      await log.next('runs');
      log.clear();
      // Leased to its acceptor at once, and a repeated delivery: nobody else has anything to do.
      await acceptRun(ctx.store, { version, at: T0 + 1, claim: { owner: 'w1', leaseMs: 1000 } });
      expect(
        (await ctx.store.acceptEvent(eventInput({ version, at: T0 + 2, dedupeKey: 'k1' }))).accepted,
      ).toBe(false);
      await publish(ctx.store, 'marker', { at: T0 + 3 });
      await log.next('flows');
      expect(log.seen).toEqual(['flows']);
      log.subscription();
    });

    it('announces runs re-queued from the error queue', async () => {
      const { version } = await publish(ctx.store, 'orders');
      const { run } = await runningRun(ctx.store, { version, at: T0 });
      const error = { code: 'http_error' as const, message: 'HTTP 422', retryable: false };
      const exceptionId = newId('exc', T0);
      await ctx.store.saveProgress({
        runId: run.id,
        owner: 'w1',
        now: T0 + 1,
        run: { status: 'failed', error, releaseLease: true, finishedAt: T0 + 1 },
        exception: { id: exceptionId, stepId: 'first', error, input: null, attempts: 1, at: T0 + 1 },
      });
      const log = await logTopics(ctx.store);
      // Nothing matches: nothing re-queued, nothing announced.
      await ctx.store.retryExceptions({
        filter: { flowName: 'other' },
        audit: auditInput('exception.retry-all', T0 + 2),
        now: T0 + 2,
      });
      await publish(ctx.store, 'marker', { at: T0 + 3 });
      await log.next('flows');
      expect(log.seen).toEqual(['flows']);
      log.clear();
      await ctx.store.retryException({
        id: exceptionId,
        audit: auditInput('exception.retry', T0 + 4),
        now: T0 + 4,
      });
      await log.next('runs');
      log.subscription();
    });

    it('announces a revoked token, so every process drops it from its auth cache', async () => {
      const token = {
        id: newId('tok', T0),
        name: 'ci',
        role: 'operator' as const,
        tokenHash: 'a'.repeat(64),
        createdAt: T0,
        revokedAt: null,
      };
      await ctx.store.createToken({ token, audit: auditInput('token.create', T0) });
      const log = await logTopics(ctx.store);
      await ctx.store.revokeToken({ id: token.id, audit: auditInput('token.revoke', T0 + 1), now: T0 + 1 });
      await log.next('tokens');
      log.subscription();
    });

    it('stops calling a listener once unsubscribed, and keeps calling the others', async () => {
      const first = await logTopics(ctx.store);
      const second = await logTopics(ctx.store);
      first.subscription();
      first.subscription(); // idempotent
      await publish(ctx.store, 'orders');
      await second.next('flows');
      expect(first.seen).toEqual([]);
      second.subscription();
    });
  });
}
