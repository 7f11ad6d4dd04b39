import type pg from 'pg';
import { toWeftError, WeftError } from '../../contract/errors.js';

/** What the queries bind: JSON goes in as text (cast with `::jsonb` in SQL), arrays as `text[]`. */
export type SqlValue = string | number | boolean | null | readonly (string | null)[];

/** Anything that runs a query: the pool (autocommit) or one client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/**
 * Positional-parameter SQL over a pool or a transaction's client. Rows come back with BIGINT as
 * numbers and JSONB parsed (see `pgTypes` in database.ts).
 */
export class Sql {
  constructor(private readonly target: Queryable) {}

  /**
   * `name` makes it a prepared statement: parsed and planned once per connection, then only bound
   * and executed. Only for a fixed `text` (one name, one text), on the hot paths.
   */
  async all<R extends pg.QueryResultRow>(
    text: string,
    values: readonly SqlValue[] = [],
    name?: string,
  ): Promise<R[]> {
    return (await this.query<R>(text, values, name)).rows;
  }

  async get<R extends pg.QueryResultRow>(
    text: string,
    values: readonly SqlValue[] = [],
    name?: string,
  ): Promise<R | undefined> {
    return (await this.all<R>(text, values, name))[0];
  }

  /** Runs a statement; returns how many rows it touched. */
  async run(text: string, values: readonly SqlValue[] = [], name?: string): Promise<number> {
    return (await this.query(text, values, name)).rowCount ?? 0;
  }

  private query<R extends pg.QueryResultRow>(
    text: string,
    values: readonly SqlValue[],
    name: string | undefined,
  ): Promise<pg.QueryResult<R>> {
    const params = values as SqlValue[];
    return name === undefined
      ? this.target.query<R>(text, params)
      : this.target.query<R>({ name, text, values: params });
  }
}

/**
 * SQLSTATEs worth retrying as-is: another transaction won a lock race (deadlock, serialization).
 * The whole transaction (or group-commit unit) is replayed; nothing of it was committed.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = sqlState(error);
  return code === '40001' || code === '40P01';
}

/**
 * Maps driver failures to WeftError, like the SQLite store: constraint violations → `conflict`,
 * bad data → `invalid_input`, lock races, lost connections and shutdowns → `unavailable`
 * (retryable). Anything else is `internal`.
 */
export function toStoreError(error: unknown): WeftError {
  if (error instanceof WeftError) return error;
  const code = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined) {
    // Class 23: integrity constraint violation (unique, foreign key, check, not null).
    if (code.startsWith('23'))
      return new WeftError({ code: 'conflict', message, cause: error, details: { sqlState: code } });
    // Class 22: data exception, e.g. a \u0000 in JSON, which jsonb cannot store.
    if (code.startsWith('22')) {
      return new WeftError({ code: 'invalid_input', message, cause: error, details: { sqlState: code } });
    }
    // 40: rollbacks (deadlock, serialization), 08: connection, 53: resources, 57P: shutdown,
    // 55P03: lock not available.
    if (/^(40|08|53|57P)/.test(code) || code === '55P03') {
      return new WeftError({
        code: 'unavailable',
        message,
        retryable: true,
        cause: error,
        details: { sqlState: code },
      });
    }
  }
  if (isNetworkError(error))
    return new WeftError({ code: 'unavailable', message, retryable: true, cause: error });
  return toWeftError(error);
}

function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  // SQLSTATEs are five characters; Node system errors (ECONNREFUSED…) have codes too.
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)/.test(code))
    return true;
  // pg reports a dropped socket and a dead pooled client with plain Errors.
  return /Connection terminated|not queryable|timeout exceeded when trying to connect/i.test(error.message);
}
