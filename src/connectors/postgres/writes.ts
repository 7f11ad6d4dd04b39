import type pg from 'pg';
import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { confidential } from '../../connector/classification.js';
import type { ConnectorContext } from '../../connector/context.js';
import { WeftError } from '../../contract/errors.js';
import { withPgErrors } from './errors.js';
import { poolOf } from './pool.js';
import { Row } from './schemas.js';
import {
  checkParameterCount,
  Identifier,
  quoteIdent,
  returningClause,
  SqlValue,
  tableName,
  tableRef,
} from './sql.js';

const Target = {
  /** Defaults to the Connection's search_path (usually `public`). */
  schema: Identifier.optional(),
  table: Identifier,
};

/** Column → value; confidential like the rows read back (see schemas.ts). */
const Values = confidential(
  z
    .record(Identifier, SqlValue)
    .refine((row) => Object.keys(row).length > 0, 'a row needs at least one column'),
);

export const InsertInput = z.object({
  ...Target,
  row: Values,
  /**
   * The column that identifies this write, ideally UNIQUE. If `row` sets it, its value is the
   * row's natural key; if not, it is filled with the step's idempotency key. Before a retry the
   * connector looks the row up by it, so an insert whose answer was lost is not made twice.
   */
  keyColumn: Identifier,
  /** Columns to return; all of them by default, none for []. */
  returning: z.array(Identifier).optional(),
});
type InsertInput = z.output<typeof InsertInput>;

export const InsertOutput = z.object({ row: Row.nullable() });

/** The key value this insert is identified by: the row's own, or the idempotency key. */
function keyValue(input: InsertInput, key: string): SqlValue {
  const own = input.row[input.keyColumn];
  return own === undefined ? key : own;
}

/** The ledger look-up: did an earlier attempt of this insert land? */
async function findInserted(ctx: ConnectorContext, input: InsertInput, key: string) {
  const columns = input.returning === undefined ? '*' : input.returning.map(quoteIdent).join(', ') || '1';
  const found = await withPgErrors(`looking up an earlier insert into ${tableName(input)}`, () =>
    poolOf(ctx).query(
      `SELECT ${columns} FROM ${tableRef(input)} WHERE ${quoteIdent(input.keyColumn)} = $1 LIMIT 1`,
      [keyValue(input, key)],
    ),
  );
  const row = found.rows[0] as Row | undefined;
  if (row === undefined) return undefined;
  return { row: input.returning?.length === 0 ? null : row };
}

export const insertAction = defineAction({
  kind: 'write',
  name: 'insert',
  description: 'Insert one row; a retry first looks the row up by its key column',
  input: InsertInput,
  output: InsertOutput,
  idempotency: { strategy: 'ledger', lookup: findInserted },
  run: async (ctx, input, call) => {
    const row = { ...input.row, [input.keyColumn]: keyValue(input, call.idempotencyKey) };
    const columns = Object.keys(row);
    const sql =
      `INSERT INTO ${tableRef(input)} (${columns.map(quoteIdent).join(', ')})` +
      ` VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})${returningClause(input.returning)}`;
    const result = await withPgErrors(`inserting into ${tableName(input)}`, () =>
      poolOf(ctx).query(sql, Object.values(row)),
    );
    return { row: (result.rows[0] as Row | undefined) ?? null };
  },
});

export const UpsertInput = z.object({
  ...Target,
  /** Every row sets the same columns, the conflict columns among them. */
  rows: z.array(Values).min(1).max(1_000),
  /** The columns of a UNIQUE constraint or index (or the primary key) that identify a row. */
  conflictColumns: z.array(Identifier).min(1),
  /** Columns overwritten when the row exists; by default every column of the rows but the conflict ones. */
  updateColumns: z.array(Identifier).optional(),
  /** Columns to return; all of them by default, none for []. */
  returning: z.array(Identifier).optional(),
});
type UpsertInput = z.output<typeof UpsertInput>;

export const UpsertOutput = z.object({ rows: z.array(Row), rowCount: z.number().int() });

/** `INSERT … ON CONFLICT (keys) DO UPDATE`: the statement and its values, checked before sending. */
export function upsertStatement(input: UpsertInput): pg.QueryConfig<SqlValue[]> {
  const columns = Object.keys(input.rows[0] ?? {});
  const known = new Set(columns);
  for (const [i, row] of input.rows.entries()) {
    const keys = Object.keys(row);
    if (keys.length !== columns.length || keys.some((k) => !known.has(k))) {
      throw new WeftError({
        code: 'invalid_input',
        message: `upsert row ${i} sets other columns than row 0; every row must set the same columns`,
      });
    }
  }
  for (const column of input.conflictColumns) {
    if (!known.has(column)) {
      throw new WeftError({
        code: 'invalid_input',
        message: `conflict column ${column} is not set by the rows`,
      });
    }
  }
  const updates = input.updateColumns ?? columns.filter((c) => !input.conflictColumns.includes(c));
  for (const column of updates) {
    if (!known.has(column)) {
      throw new WeftError({
        code: 'invalid_input',
        message: `update column ${column} is not set by the rows`,
      });
    }
  }
  checkParameterCount(columns.length * input.rows.length);
  const values: SqlValue[] = [];
  const tuples = input.rows.map((row) => {
    const slots = columns.map((c) => {
      values.push(row[c] as SqlValue);
      return `$${values.length}`;
    });
    return `(${slots.join(', ')})`;
  });
  // With nothing to update, re-setting a key column to itself still lets RETURNING give the row.
  const set = (updates.length > 0 ? updates : input.conflictColumns.slice(0, 1))
    .map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`)
    .join(', ');
  const text =
    `INSERT INTO ${tableRef(input)} (${columns.map(quoteIdent).join(', ')}) VALUES ${tuples.join(', ')}` +
    ` ON CONFLICT (${input.conflictColumns.map(quoteIdent).join(', ')}) DO UPDATE SET ${set}` +
    returningClause(input.returning);
  return { text, values };
}

export const upsertAction = defineAction({
  kind: 'write',
  name: 'upsert',
  description: 'Insert rows or update them where the conflict columns match (INSERT … ON CONFLICT DO UPDATE)',
  input: UpsertInput,
  output: UpsertOutput,
  // Keyed by the conflict columns: repeating the statement converges on the same rows.
  idempotency: { strategy: 'upsert', externalIdField: 'conflictColumns' },
  run: async (ctx, input) => {
    const statement = upsertStatement(input);
    const result = await withPgErrors(`upserting into ${tableName(input)}`, () =>
      poolOf(ctx).query(statement),
    );
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  },
});
