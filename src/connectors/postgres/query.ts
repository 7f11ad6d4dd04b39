import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { confidential } from '../../connector/classification.js';
import { withPgErrors } from './errors.js';
import { poolOf } from './pool.js';
import { Row } from './schemas.js';
import { SqlValue } from './sql.js';

export const QueryInput = z.object({
  /**
   * One SELECT (or VALUES, TABLE, WITH … SELECT) with `$1`, `$2` … placeholders. Values go in
   * `params`, never into this text: the statement is sent as written and the values bound.
   */
  sql: z.string().min(1).max(100_000),
  params: confidential(z.array(SqlValue).max(65_535)).default([]),
  /** Rows returned at most; `truncated` says whether there were more. */
  maxRows: z.number().int().min(1).max(10_000).default(1_000),
  /** This statement's `statement_timeout`; the Connection's (limits.timeoutMs, default 30 s) otherwise. */
  timeoutMs: z.number().int().min(1).max(600_000).optional(),
});

export const QueryOutput = z.object({
  rows: z.array(Row),
  rowCount: z.number().int(),
  truncated: z.boolean(),
  fields: z.array(z.string()),
});

/**
 * Runs inside a READ ONLY transaction through a cursor: a write slipped into a query fails (25006)
 * instead of landing outside every idempotency guarantee, and only `maxRows + 1` rows are ever
 * fetched, however large the result.
 */
export const queryAction = defineAction({
  kind: 'read',
  name: 'query',
  description: 'Run one parameterised read-only SQL query and return its rows (capped at maxRows)',
  input: QueryInput,
  output: QueryOutput,
  run: async (ctx, input) => {
    const pool = poolOf(ctx);
    const sql = input.sql.replace(/[\s;]+$/, '');
    return withPgErrors('running a query', async () => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        // The timeout is an integer the schema checked, the one number written into SQL text.
        const timeout =
          input.timeoutMs === undefined ? '' : `; SET LOCAL statement_timeout = ${input.timeoutMs}`;
        await client.query(`BEGIN TRANSACTION READ ONLY${timeout}`);
        await client.query({ text: `DECLARE weft_query NO SCROLL CURSOR FOR ${sql}`, values: input.params });
        const fetched = await client.query(`FETCH FORWARD ${input.maxRows + 1} FROM weft_query`);
        await client.query('COMMIT');
        const truncated = fetched.rows.length > input.maxRows;
        const rows = truncated ? fetched.rows.slice(0, input.maxRows) : fetched.rows;
        return { rows, rowCount: rows.length, truncated, fields: fetched.fields.map((f) => f.name) };
      } catch (err) {
        broken = await rollback(client, err);
        throw err;
      } finally {
        client.release(broken);
      }
    });
  },
});

/** Ends a failed transaction; a client that cannot even roll back is returned broken, to be discarded. */
export async function rollback(
  client: { query(sql: string): Promise<unknown> },
  err: unknown,
): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch {
    return err instanceof Error ? err : new Error(String(err));
  }
}
