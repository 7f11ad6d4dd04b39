import {
  type ActionRowOf,
  type EventRowOf,
  type ExceptionRowOf,
  type FlowVersionRowOf,
  type JournalRowOf,
  parseJsonText,
  type RunRowOf,
  recordMappers,
} from '../record-mappers.js';
import type { Params, SqlValue } from './connection.js';

/**
 * Rows as SQLite returns them (snake_case, JSON as text); the mapping to records is in
 * ../record-mappers.ts.
 */

/** JSON text of a value; `undefined` is stored as JSON null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Like `toJson`, but `undefined`/`null` become SQL NULL (for nullable JSON columns). */
export function toNullableJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** Parses a JSON column; SQL NULL reads as null. The cast is the schema's promise, not a check. */
export const fromJson: <T>(text: string | null) => T = parseJsonText;

/** Rows with JSON columns, as SQLite returns them (JSON as text); the rest are dialect-neutral. */
export type FlowVersionRow = FlowVersionRowOf<string>;
export type EventRow = EventRowOf<string>;
export type RunRow = RunRowOf<string>;
export type JournalRow = JournalRowOf<string>;
export type ActionRow = ActionRowOf<string>;
export type ExceptionRow = ExceptionRowOf<string>;
export type { AuditRow, FlowRow, ScheduleStateRow, TokenRow } from '../record-mappers.js';
export { toAuditEvent, toFlow, toScheduleState, toToken } from '../record-mappers.js';

export const { toFlowVersion, toEvent, toRun, toJournalEntry, toAction, toException } = recordMappers({
  json: fromJson,
  // SQL NULL is no edit; JSON null arrives as the text 'null'.
  hasEditedInput: (r: JournalRow) => r.edited_input !== null,
});

/** SQLite LIMIT: a non-negative integer, or -1 for "no limit". */
export function sqlLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return -1;
  return Math.max(0, Math.floor(limit));
}

/**
 * WHERE clause and parameters for optional equality filters (keys are column names written in code,
 * never user input) and the `before` key, an id cursor (ids sort by creation time).
 */
export function where(filters: Record<string, SqlValue | undefined>): { clause: string; params: Params } {
  const parts: string[] = [];
  const params: Record<string, SqlValue> = {};
  for (const [column, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    const name = `p${parts.length}`;
    parts.push(column === 'before' ? `id < @${name}` : `${column} = @${name}`);
    params[name] = value;
  }
  return { clause: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, params };
}
