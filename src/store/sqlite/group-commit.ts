/**
 * Group commit: writes that arrive in the same event-loop turn are applied together in one
 * transaction on `setImmediate`. One COMMIT (and, with `synchronous=FULL`, one fsync) is then
 * shared by the whole batch, which is what lets a webhook burst reach thousands of committed runs
 * per second on one SQLite file.
 *
 * A unit that throws is rolled back alone; the others still commit. Units almost never throw, so
 * a batch is first applied without savepoints (a SAVEPOINT/RELEASE pair per unit was a fifth of
 * the write cost of a webhook). If a unit throws, the whole transaction is rolled back and the
 * batch applied again with a savepoint per unit. A unit may therefore run twice, the first time
 * rolled back: it must only touch the database. Every caller's promise settles only after the
 * COMMIT, so "resolved" always means "durable".
 */

/** Runs `body` inside one write transaction (BEGIN IMMEDIATE … COMMIT). */
export type RunInTransaction = (body: () => void) => void;
/** Runs `unit` inside a savepoint of the open transaction, rolling back to it if `unit` throws. */
export type RunInSavepoint = (unit: () => void) => void;

type Outcome = { ok: true } | { ok: false; error: unknown };

/** Unwinds an optimistic batch when one of its units throws. */
class UnitFailed extends Error {}

interface Unit {
  apply(): void;
  settle(outcome: Outcome): void;
}

export interface GroupCommitOptions {
  transaction: RunInTransaction;
  savepoint: RunInSavepoint;
  /** Most units per transaction; bigger batches wait for the next turn so I/O is not starved. */
  maxBatch: number;
}

export class GroupCommit {
  private queue: Unit[] = [];
  private scheduled = false;

  constructor(private readonly options: GroupCommitOptions) {}

  /** Queues `apply` for the next batch; resolves with its result once the batch has committed. */
  enqueue<T>(apply: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let result: T;
      this.queue.push({
        apply: () => {
          result = apply();
        },
        settle: (outcome) => (outcome.ok ? resolve(result) : reject(outcome.error)),
      });
      this.schedule();
    });
  }

  /** How many units wait for the next batch. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Applies everything queued, now. Direct writes call this first so writes take effect in the
   * order they were issued, and `close()` calls it so nothing queued is lost.
   */
  flushAll(): void {
    while (this.queue.length > 0) this.flushBatch();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushBatch();
      if (this.queue.length > 0) this.schedule();
    });
  }

  private flushBatch(): void {
    const batch = this.queue.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    const outcomes = this.applyOptimistically(batch) ?? this.applyIsolated(batch);
    batch.forEach((unit, i) => {
      unit.settle(outcomes[i] ?? { ok: false, error: new Error('group commit: unit was not applied') });
    });
  }

  /** The whole batch in one transaction, no savepoints; undefined when a unit threw (rolled back). */
  private applyOptimistically(batch: Unit[]): Outcome[] | undefined {
    try {
      this.options.transaction(() => {
        for (const unit of batch) {
          try {
            unit.apply();
          } catch {
            throw new UnitFailed();
          }
        }
      });
    } catch (error) {
      if (error instanceof UnitFailed) return undefined;
      // BEGIN or COMMIT failed: nothing of this batch is durable, so every unit fails with it.
      return batch.map(() => ({ ok: false, error }));
    }
    return batch.map(() => ({ ok: true }));
  }

  /** Each unit in its own savepoint, so one that throws is rolled back alone. */
  private applyIsolated(batch: Unit[]): Outcome[] {
    const outcomes: Outcome[] = [];
    try {
      this.options.transaction(() => {
        for (const unit of batch) {
          try {
            this.options.savepoint(() => unit.apply());
            outcomes.push({ ok: true });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // BEGIN or COMMIT failed: nothing of this batch is durable, so every unit fails with it.
      for (let i = 0; i < batch.length; i++) {
        if (outcomes[i]?.ok !== false) outcomes[i] = { ok: false, error };
      }
    }
    return outcomes;
  }
}
