import pg from 'pg';
import { WeftError } from '../../contract/errors.js';
import { GroupCommit, rollback } from './group-commit.js';
import { isTransientConflict, Sql, toStoreError } from './sql.js';

/** Options of `PostgresStore.open`. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (any libpq-style URL `pg` accepts). */
  url: string;
  /** Most connections this process opens (at least 2). Default 10. */
  poolSize?: number;
  /** Most group-committed units per transaction. Default 500. */
  maxBatch?: number;
  /**
   * Called with errors of idle pooled connections (e.g. the server restarted). They are not fatal:
   * the pool drops the connection and the next query opens a new one. Default: ignored.
   */
  onIdleError?: (error: Error) => void;
  /**
   * Called when the LISTEN connection (used by `subscribe`) drops or fails to reconnect. It is
   * re-opened with backoff on its own; this is for the logs. Default: ignored.
   */
  onListenError?: (error: Error) => void;
}

const INT8_OID = 20;

/**
 * Type parsers of this store's pools, set per pool rather than on the global `pg.types` so other
 * users of `pg` in the process are unaffected. BIGINT (epoch ms, counts, seq) becomes a number:
 * every value we store stays far below 2^53.
 */
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (text: string) => Number(text)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Transactions attempted before a deadlock or serialization failure is reported. */
const maxAttempts = 3;

/**
 * One pool and the ways to use it: `read` (autocommit, for single statements), `snapshot` (a
 * read-only repeatable-read transaction, for consistent multi-statement reads), `write` (its own
 * transaction, replayed on deadlock) and `grouped` (queued for the next group commit of a lane), plus
 * `session` for work that needs one connection (migrations under an advisory lock). Everything
 * that escapes is a WeftError.
 */
export class Database {
  /** Group-commit lanes: units with the same key share a lane, so they keep their order. */
  private readonly lanes: GroupCommit[];
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    sizes: { poolSize: number; maxBatch: number },
  ) {
    // Half the pool for lanes (each holds one connection while it commits): the rest serves reads
    // and direct writes, which would otherwise queue behind batches.
    const laneCount = Math.max(1, Math.floor(sizes.poolSize / 2));
    this.lanes = Array.from(
      { length: laneCount },
      () =>
        new GroupCommit({
          connect: () => this.pool.connect(),
          maxBatch: sizes.maxBatch,
          maxAttempts,
          isTransient: isTransientConflict,
        }),
    );
  }

  static open(options: PostgresStoreOptions): Database {
    const poolSize = Math.max(2, Math.floor(options.poolSize ?? 10));
    const pool = new pg.Pool({
      connectionString: options.url,
      max: poolSize,
      types: pgTypes,
      application_name: 'weft',
    });
    // Without a listener an idle connection's error (server restart) would crash the process.
    pool.on('error', (error) => options.onIdleError?.(error));
    // The pool listens on idle connections only. One checked out (a transaction between two
    // statements, a group commit) whose server goes away emits 'error' with no listener, which
    // would crash the process too. Its statement in flight, or its next one, fails all the same,
    // and the caller releases it as broken.
    pool.on('connect', (client) => {
      client.on('error', (error) => options.onIdleError?.(error));
    });
    return new Database(pool, { poolSize, maxBatch: Math.max(1, Math.floor(options.maxBatch ?? 500)) });
  }

  /** Runs `fn` on the pool in autocommit mode: for single statements. */
  async read<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await fn(new Sql(this.pool));
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** Runs `fn` in a read-only snapshot, so multi-statement reads are consistent. */
  async snapshot<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.transaction(fn, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  /**
   * Runs `fn` in its own transaction, after every unit queued for group commit before it. READ
   * COMMITTED is asked for explicitly: the queries rely on each statement seeing what committed
   * before it (after waiting on a lock), whatever the server's default isolation.
   */
  async write<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    this.assertOpen();
    await this.drain();
    return this.transaction(fn, 'BEGIN ISOLATION LEVEL READ COMMITTED');
  }

  /**
   * Queues `fn` for the next group commit of the lane of `key`; resolves after its COMMIT. Units
   * with the same key (the rows they touch: a run, an event's dedupe key) apply in the order they
   * were queued; units with different keys may commit in any order.
   */
  async grouped<T>(key: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await this.lane(key).enqueue(fn);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** Runs `fn` with one dedicated connection, outside any transaction (e.g. session locks). */
  async session<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.assertOpen();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw toStoreError(error);
    }
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (error) {
      // A failed session may have left a transaction or lock behind: do not reuse the connection.
      broken = error instanceof Error ? error : new Error(String(error));
      throw toStoreError(error);
    } finally {
      client.release(broken);
    }
  }

  /** Waits for queued group-commit units, then closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.drain();
    } finally {
      await this.pool.end();
    }
  }

  private drain(): Promise<unknown> {
    return Promise.all(this.lanes.map((lane) => lane.drain()));
  }

  private lane(key: string): GroupCommit {
    // FNV-1a: cheap, and spreads similar keys (run ids share a time prefix) across lanes.
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) {
      hash ^= key.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    return this.lanes[(hash >>> 0) % this.lanes.length]!;
  }

  private async transaction<T>(fn: (sql: Sql) => Promise<T>, begin: string): Promise<T> {
    this.assertOpen();
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw toStoreError(error);
      }
      let broken: Error | undefined;
      try {
        await client.query(begin);
        const result = await fn(new Sql(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        broken = await rollback(client);
        // Nothing of a rolled-back transaction is durable, so losing a lock race is replayed.
        if (isTransientConflict(error) && attempt < maxAttempts) continue;
        throw toStoreError(error);
      } finally {
        client.release(broken);
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new WeftError({ code: 'unavailable', message: 'the PostgreSQL store is closed' });
  }
}
