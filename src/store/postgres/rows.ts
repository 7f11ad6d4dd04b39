import {
  type ActionRowOf,
  type EventRowOf,
  type ExceptionRowOf,
  type FlowVersionRowOf,
  type JournalRowOf,
  type RunRowOf,
  recordMappers,
} from '../record-mappers.js';
import type { SqlValue } from './sql.js';

/**
 * Rows as `pg` returns them from this schema (snake_case; BIGINT already a number, JSONB already
 * parsed); the mapping to records is in ../record-mappers.ts. Casts from JSONB are the schema's
 * promise, not a check.
 */

/** JSON text for a `$n::jsonb` parameter; `undefined` is stored as JSON null. */
export function toJson(value: unknown): string {
  // Always text: pg would turn a JS array into a PostgreSQL array literal, not JSON.
  return JSON.stringify(value ?? null);
}

/** Like `toJson`, but `undefined`/`null` become SQL NULL (for nullable JSON columns). */
export function toNullableJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/**
 * Journal columns to select: `pg` parses both SQL NULL and JSON null to `null`, so whether an edit
 * exists is asked of the database.
 */
export const journalColumns = 'j.*, (j.edited_input IS NOT NULL) AS has_edited_input';

/** Rows with JSON columns, as `pg` returns them (JSONB parsed); the rest are dialect-neutral. */
export type FlowVersionRow = FlowVersionRowOf<unknown>;
export type EventRow = EventRowOf<unknown>;
export type RunRow = RunRowOf<unknown>;
export type JournalRow = JournalRowOf<unknown> & { has_edited_input: boolean };
export type ActionRow = ActionRowOf<unknown>;
export type ExceptionRow = ExceptionRowOf<unknown>;
export type { AuditRow, FlowRow, ScheduleStateRow, TokenRow } from '../record-mappers.js';
export { toAuditEvent, toFlow, toScheduleState, toToken } from '../record-mappers.js';

export const { toFlowVersion, toEvent, toRun, toJournalEntry, toAction, toException } = recordMappers({
  // JSONB arrives parsed: the value is used as is.
  json: <T>(value: unknown): T => value as T,
  hasEditedInput: (r: JournalRow) => r.has_edited_input,
});

/** A LIMIT parameter: a non-negative integer, or null for "no limit" (`LIMIT NULL` is `LIMIT ALL`). */
export function sqlLimit(limit: number | undefined): number | null {
  if (limit === undefined || !Number.isFinite(limit)) return null;
  return Math.max(0, Math.floor(limit));
}

/**
 * WHERE clause and positional parameters for optional equality filters (keys are column names
 * written in code, never user input) and the `before` key, an id cursor (ids sort by creation
 * time). Placeholders are numbered after `offset` parameters the caller binds first.
 */
export function where(
  filters: Record<string, SqlValue | undefined>,
  offset = 0,
): { clause: string; values: SqlValue[] } {
  const parts: string[] = [];
  const values: SqlValue[] = [];
  for (const [column, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    values.push(value);
    const placeholder = `$${offset + values.length}`;
    parts.push(column === 'before' ? `id < ${placeholder}` : `${column} = ${placeholder}`);
  }
  return { clause: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, values };
}
