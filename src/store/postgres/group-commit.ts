import type pg from 'pg';
import { Sql } from './sql.js';

/**
 * Group commit for PostgreSQL: units (acceptEvent, saveProgress) that arrive while the database is
 * busy are applied together in one transaction, each inside its own SAVEPOINT, so a burst shares
 * one COMMIT (one WAL flush) and one connection instead of paying one each. A unit that throws is
 * rolled back to its savepoint alone; the others still commit. Every caller's promise settles
 * after the COMMIT, so "resolved" always means "durable".
 *
 * One batch is in flight at a time and units are applied in the order they were queued, so a
 * later unit never overtakes an earlier one (the first of two deliveries of an event wins, two
 * progress writes of a run land in order); units that arrive meanwhile gather for the next batch.
 * For parallelism the store runs several GroupCommits ("lanes") and routes units by key.
 *
 * A unit that loses a lock race (deadlock, serialization failure) is replayed at the head of the
 * next batch with the units behind it, keeping its place in the order, up to `maxAttempts`:
 * nothing of it was committed.
 */

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Unit {
  apply(sql: Sql): Promise<unknown>;
  settle(outcome: Outcome): void;
  attempts: number;
  /** Settles (never rejects) when the unit is done, for `drain`. */
  readonly done: Promise<void>;
}

export interface GroupCommitOptions {
  /** Checks a connection out of the pool for one batch. */
  connect(): Promise<pg.PoolClient>;
  /** Most units per transaction. */
  maxBatch: number;
  /** Attempts per unit when it keeps losing lock races. */
  maxAttempts: number;
  /** Errors that mean "lost a race, replay me". */
  isTransient(error: unknown): boolean;
}

export class GroupCommit {
  private queue: Unit[] = [];
  private readonly pendingUnits = new Set<Promise<void>>();
  private flushing = false;
  private scheduled = false;

  constructor(private readonly options: GroupCommitOptions) {}

  /** Queues `apply` for the next batch; resolves with its result once the batch has committed. */
  enqueue<T>(apply: (sql: Sql) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let markDone = (): void => {};
      const done = new Promise<void>((r) => {
        markDone = r;
      });
      const unit: Unit = {
        apply,
        attempts: 0,
        done,
        settle: (outcome) => {
          this.pendingUnits.delete(done);
          markDone();
          if (outcome.ok) resolve(outcome.value as T);
          else reject(outcome.error);
        },
      };
      this.pendingUnits.add(done);
      this.queue.push(unit);
      this.schedule();
    });
  }

  /**
   * Waits until every unit queued so far has committed or failed. Direct writes call this first
   * so writes take effect in the order they were issued, and `close()` so nothing queued is lost.
   */
  async drain(): Promise<void> {
    const waiting = [...this.pendingUnits];
    if (waiting.length === 0) return;
    this.pump();
    await Promise.all(waiting);
  }

  /** How many units wait or are being applied. */
  get pending(): number {
    return this.pendingUnits.size;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Units issued in the same event-loop turn (e.g. a Promise.all) join the same batch.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Starts the next batch unless one is in flight; later arrivals gather for the one after. */
  private pump(): void {
    if (this.flushing || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.flushing = true;
    void this.runBatch(batch).finally(() => {
      this.flushing = false;
      this.pump();
    });
  }

  private async runBatch(batch: Unit[]): Promise<void> {
    const outcomes = await this.applyBatch(batch);
    const replay: Unit[] = [];
    batch.forEach((unit, i) => {
      const outcome = outcomes[i];
      // Never attempted (it stood behind a unit that lost a lock race): its turn comes again.
      if (outcome === undefined) {
        replay.push(unit);
        return;
      }
      unit.attempts++;
      if (
        !outcome.ok &&
        this.options.isTransient(outcome.error) &&
        unit.attempts < this.options.maxAttempts
      ) {
        replay.push(unit);
        return;
      }
      unit.settle(outcome);
    });
    // At the head, in their order: units queued after them must not overtake them.
    this.queue.unshift(...replay);
  }

  /**
   * Applies the units in one transaction. The outcome of a unit is `undefined` when it was not
   * attempted: a unit that loses a lock race stops the batch there (the units behind it may touch
   * the same rows and must not overtake its replay), and the units applied before it commit.
   */
  private async applyBatch(batch: Unit[]): Promise<(Outcome | undefined)[]> {
    let client: pg.PoolClient;
    try {
      client = await this.options.connect();
    } catch (error) {
      return batch.map(() => ({ ok: false, error }));
    }
    const sql = new Sql(client);
    const outcomes: (Outcome | undefined)[] = batch.map(() => undefined);
    // A lone unit needs no savepoint: rolling back the transaction rolls back just that unit.
    const single = batch.length === 1;
    // The unit being applied; batch.length once every unit was.
    let reached = 0;
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      for (; reached < batch.length; reached++) {
        if (!single) await client.query('SAVEPOINT unit');
        try {
          const value = await batch[reached]!.apply(sql);
          if (!single) await client.query('RELEASE SAVEPOINT unit');
          outcomes[reached] = { ok: true, value };
        } catch (error) {
          outcomes[reached] = { ok: false, error };
          if (single) throw error;
          // If this fails too the connection is gone; the outer catch fails the batch.
          await client.query('ROLLBACK TO SAVEPOINT unit');
          if (this.options.isTransient(error)) {
            reached++;
            break;
          }
        }
      }
      await client.query('COMMIT');
      return outcomes;
    } catch (error) {
      broken = await rollback(client);
      // BEGIN, a savepoint or COMMIT failed: nothing of this batch is durable. Units that failed
      // on their own keep their error; applied ones and the one in progress fail with this one;
      // units never reached are replayed.
      return outcomes.map((own, i) => {
        if (own !== undefined && !own.ok) return own;
        return own !== undefined || i <= reached ? { ok: false, error } : undefined;
      });
    } finally {
      client.release(broken);
    }
  }
}

/** Rolls back; returns the error when the connection is unusable, so the pool discards it. */
export async function rollback(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
