import pg from 'pg';
import { z } from 'zod';
import { WeftError } from '../../contract/errors.js';

/**
 * Names of tables and columns. They can never be bind parameters, so each is checked and then
 * double-quoted with pg's escapeIdentifier: whatever a flow puts here, it stays one identifier.
 * Quoting makes names exact: `Orders` is not `orders` (unquoted names fold to lower case in SQL).
 */
export const Identifier = z
  .string()
  .min(1)
  .refine((name) => !name.includes('\0'), 'an identifier cannot contain a NUL character')
  // NAMEDATALEN - 1: PostgreSQL would silently truncate a longer name to another identifier.
  .refine((name) => Buffer.byteLength(name, 'utf8') <= 63, 'an identifier is at most 63 bytes');

/** One value bound to a parameter: JSON. Objects go in as JSON text, arrays as PostgreSQL arrays. */
export const SqlValue = z.json();
export type SqlValue = z.infer<typeof SqlValue>;

/** The Postgres limit on bind parameters in one statement (a 16-bit count on the wire). */
export const maxParameters = 65_535;

/** `"name"`, safely quoted. */
export function quoteIdent(name: string): string {
  return pg.escapeIdentifier(Identifier.parse(name));
}

/** `"schema"."table"`, or `"table"` on the Connection's search_path. */
export function tableRef(target: { schema?: string | undefined; table: string }): string {
  const table = quoteIdent(target.table);
  return target.schema === undefined ? table : `${quoteIdent(target.schema)}.${table}`;
}

/** The table as people write it, for messages. */
export function tableName(target: { schema?: string | undefined; table: string }): string {
  return target.schema === undefined ? target.table : `${target.schema}.${target.table}`;
}

/** `RETURNING *` or the listed columns; nothing for an empty list. */
export function returningClause(columns: readonly string[] | undefined): string {
  if (columns === undefined) return ' RETURNING *';
  if (columns.length === 0) return '';
  return ` RETURNING ${columns.map(quoteIdent).join(', ')}`;
}

/** Fails before any SQL is sent when a statement would bind too many values. */
export function checkParameterCount(count: number): void {
  if (count > maxParameters) {
    throw new WeftError({
      code: 'invalid_input',
      message: `the statement would bind ${count} values; PostgreSQL allows ${maxParameters}: send fewer rows per call`,
    });
  }
}
