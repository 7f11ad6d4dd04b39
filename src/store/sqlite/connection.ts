import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { toWeftError, WeftError } from '../../contract/errors.js';
import { GroupCommit } from './group-commit.js';

/** What better-sqlite3 can bind. Booleans are not among them: pass 0/1. */
export type SqlValue = string | number | bigint | Buffer | null;
export type Params = Readonly<Record<string, SqlValue>>;

/** Options of `SqliteStore.open`. */
export interface SqliteStoreOptions {
  /** Database file (its directory is created), or ':memory:' for tests. */
  path: string;
  /**
   * `NORMAL` (default): in WAL mode a commit survives a process crash but the last commits may be
   * lost on power failure. `FULL` fsyncs every commit; group commit keeps that affordable.
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another process's write lock. Default 5000. */
  busyTimeoutMs?: number;
  /** Most group-committed writes per transaction (bounds how long one batch holds the event loop). Default 500. */
  maxBatch?: number;
}

/** Named-parameter SQL over one connection, with every statement prepared once and cached. */
export class Sql {
  private readonly statements = new Map<string, Database.Statement<[Params]>>();

  constructor(readonly db: Database.Database) {}

  get<R>(sql: string, params: Params = {}): R | undefined {
    return this.prepare(sql).get(params) as R | undefined;
  }

  all<R>(sql: string, params: Params = {}): R[] {
    return this.prepare(sql).all(params) as R[];
  }

  run(sql: string, params: Params = {}): Database.RunResult {
    return this.prepare(sql).run(params);
  }

  private prepare(sql: string): Database.Statement<[Params]> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<[Params]>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

type Thunk = () => unknown;

/**
 * One SQLite connection and the three ways to use it: `read` (a snapshot), `write` (a direct
 * BEGIN IMMEDIATE transaction) and `grouped` (queued for the next group commit). Everything that
 * escapes is a WeftError.
 */
export class Connection {
  readonly sql: Sql;
  private readonly tx: Database.Transaction<(fn: Thunk) => unknown>;
  private readonly group: GroupCommit;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    maxBatch: number,
  ) {
    this.sql = new Sql(db);
    // One transaction function for every body: nested calls become savepoints (better-sqlite3).
    this.tx = db.transaction((fn: Thunk) => fn());
    this.group = new GroupCommit({
      // IMMEDIATE takes the write lock at BEGIN, so a busy database waits in busy_timeout rather
      // than failing later with SQLITE_BUSY_SNAPSHOT when a read transaction tries to upgrade.
      transaction: (body) => this.tx.immediate(body),
      savepoint: (unit) => this.tx(unit),
      maxBatch,
    });
  }

  static open(options: SqliteStoreOptions): Connection {
    const memory = options.path === ':memory:' || options.path === '';
    if (!memory) mkdirSync(dirname(options.path), { recursive: true });
    const db = new Database(options.path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      db.pragma('foreign_keys = ON');
    } catch (error) {
      db.close();
      throw toStoreError(error);
    }
    return new Connection(db, Math.max(1, options.maxBatch ?? 500));
  }

  /** Runs `fn` in a read snapshot, so multi-statement reads are consistent. */
  read<T>(fn: () => T): T {
    this.assertOpen();
    try {
      return this.tx.deferred(fn) as T;
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** Runs `fn` in its own write transaction, after every queued group-commit unit. */
  write<T>(fn: () => T): T {
    this.assertOpen();
    this.group.flushAll();
    try {
      return this.tx.immediate(fn) as T;
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** Queues `fn` for the next group commit; resolves after its COMMIT. */
  async grouped<T>(fn: () => T): Promise<T> {
    this.assertOpen();
    try {
      return await this.group.enqueue(fn);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** Runs raw SQL (migrations) inside the caller's transaction. */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  pragma(source: string): unknown {
    this.assertOpen();
    return this.db.pragma(source, { simple: true });
  }

  close(): void {
    if (this.closed) return;
    this.group.flushAll();
    this.closed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new WeftError({ code: 'unavailable', message: 'the SQLite store is closed' });
  }
}

/** Maps driver failures to WeftError: constraint → conflict, busy/locked → unavailable (retryable). */
export function toStoreError(error: unknown): WeftError {
  if (error instanceof WeftError) return error;
  if (error instanceof Database.SqliteError) {
    if (error.code.startsWith('SQLITE_CONSTRAINT')) {
      return new WeftError({ code: 'conflict', message: error.message, cause: error });
    }
    if (error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED')) {
      return new WeftError({ code: 'unavailable', message: error.message, retryable: true, cause: error });
    }
  }
  return toWeftError(error);
}
