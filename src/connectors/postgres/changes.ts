import { z } from 'zod';
import type { ConnectorContext } from '../../connector/context.js';
import {
  definePollTrigger,
  type PollTriggerDefinition,
  type TriggerEvent,
} from '../../connector/triggers.js';
import { WeftError } from '../../contract/errors.js';
import { withPgErrors } from './errors.js';
import { poolOf } from './pool.js';
import { Row } from './schemas.js';
import { Identifier, quoteIdent, tableName, tableRef } from './sql.js';

/** Which table to watch, and how. */
export const ChangesConfig = z.object({
  schema: Identifier.optional(),
  table: Identifier,
  /** Set on every insert and update (a trigger or the application); NOT NULL, or such rows are never seen. */
  updatedAtColumn: Identifier.default('updated_at'),
  /** A unique column (the primary key): it orders rows that share an updated-at value. */
  keyColumn: Identifier.default('id'),
  pageSize: z.coerce.number().int().min(1).max(5_000).default(500),
  /** Pages read per poll at most; the rest waits for the next poll, the cursor marks where. */
  maxPages: z.coerce.number().int().min(1).max(100).default(10),
  /** First poll: every existing row in order (`all`), or only changes made from now on (`new`). */
  initial: z.enum(['all', 'new']).default('all'),
});
export type ChangesConfig = z.input<typeof ChangesConfig>;

/**
 * The cursor is the last row seen as (updated-at, key), both in PostgreSQL's own text (to_json),
 * so a timestamp keeps its microseconds: a JS Date would round them away and repeat or skip rows.
 */
const Cursor = z.object({ v: z.literal(1), u: z.string(), k: z.string() });
type Cursor = z.infer<typeof Cursor>;

export function encodeCursor(cursor: { u: string; k: string }): string {
  return JSON.stringify({ v: 1, u: cursor.u, k: cursor.k });
}

export function decodeCursor(text: string): Cursor {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const parsed = Cursor.safeParse(raw);
  if (!parsed.success) {
    throw new WeftError({
      code: 'invalid_input',
      message: 'the PostgreSQL changes cursor is not one this connector wrote',
    });
  }
  return parsed.data;
}

/** Column names the cursor values travel under; removed from the payload. */
const cursorU = '__weft_cursor_u';
const cursorK = '__weft_cursor_k';

/**
 * Changes since the cursor, oldest first, by keyset: `WHERE (updated_at, id) > ($1, $2) ORDER BY
 * updated_at, id LIMIT n`. Rows that share an updated-at value are ordered by key, so a page
 * boundary between them loses and repeats nothing. An index on (updated_at, id) makes each page
 * one index range scan.
 *
 * Not seen: a row whose updated-at is written *behind* the cursor — by a transaction that commits
 * after a later one was already polled (its `now()` is its start time), or by a clock set back.
 * Set updated-at with `clock_timestamp()` in a trigger and keep write transactions short.
 */
export async function fetchTableChanges(
  ctx: ConnectorContext,
  configInput: ChangesConfig,
  cursorText: string | null,
): Promise<{ changes: TriggerEvent<Row>[]; cursor: string | null }> {
  const config = ChangesConfig.parse(configInput);
  const pool = poolOf(ctx);
  const u = `t.${quoteIdent(config.updatedAtColumn)}`;
  const k = `t.${quoteIdent(config.keyColumn)}`;
  const from = `${tableRef(config)} AS t`;
  const select = `SELECT t.*, to_json(${u}) #>> '{}' AS ${cursorU}, to_json(${k}) #>> '{}' AS ${cursorK} FROM ${from}`;
  const doing = `polling ${tableName(config)} for changes`;

  let cursor = cursorText === null ? null : decodeCursor(cursorText);
  if (cursor === null && config.initial === 'new') {
    const last = await withPgErrors(doing, () =>
      pool.query(`${select} ORDER BY ${u} DESC, ${k} DESC LIMIT 1`),
    );
    const row = last.rows[0] as Record<string, unknown> | undefined;
    return { changes: [], cursor: row === undefined ? null : encodeCursor(cursorOf(row)) };
  }

  const changes: TriggerEvent<Row>[] = [];
  for (let page = 0; page < config.maxPages; page++) {
    const result = await withPgErrors(doing, () =>
      cursor === null
        ? pool.query(`${select} ORDER BY ${u}, ${k} LIMIT $1`, [config.pageSize])
        : pool.query(`${select} WHERE (${u}, ${k}) > ($1, $2) ORDER BY ${u}, ${k} LIMIT $3`, [
            cursor.u,
            cursor.k,
            config.pageSize,
          ]),
    );
    for (const raw of result.rows as Record<string, unknown>[]) {
      const at = cursorOf(raw);
      const { [cursorU]: _u, [cursorK]: _k, ...payload } = raw;
      changes.push({
        dedupeKey: `${tableName(config)}:${at.k}:${at.u}`,
        type: `${tableName(config)}.changed`,
        payload,
      });
      cursor = { v: 1, ...at };
    }
    if (result.rows.length < config.pageSize) break;
  }
  return { changes, cursor: cursor === null ? null : encodeCursor(cursor) };
}

function cursorOf(row: Record<string, unknown>): { u: string; k: string } {
  const u = row[cursorU];
  const k = row[cursorK];
  if (typeof u !== 'string' || typeof k !== 'string') {
    // to_json of NULL is NULL: only NULL updated-at or key values get here, which the WHERE excludes
    // after the first page but the first page itself can meet.
    throw new WeftError({
      code: 'invalid_input',
      message: 'a row has a NULL updated-at or key column; the changes trigger needs both NOT NULL',
    });
  }
  return { u, k };
}

/**
 * A poll trigger for one table.
 *
 * @example
 * const orders = postgresChangesTrigger({ table: 'orders', updatedAtColumn: 'updated_at', keyColumn: 'id' });
 * const { changes, cursor } = await orders.fetchChanges(pg.ctx, storedCursor);
 */
export function postgresChangesTrigger(config: ChangesConfig): PollTriggerDefinition<typeof Row> {
  const checked = ChangesConfig.parse(config);
  return definePollTrigger({
    name: 'changes',
    description: `Rows of ${tableName(checked)} inserted or updated since the cursor, by ${checked.updatedAtColumn}`,
    record: Row,
    fetchChanges: (ctx, cursor) => fetchTableChanges(ctx, checked, cursor),
  });
}

/**
 * The connector's registered `changes` trigger: the SDK's poll triggers take no configuration
 * of their own, so the table comes from the Connection's settings (`changes.table`,
 * `changes.schema`, `changes.updatedAtColumn`, `changes.keyColumn`, `changes.pageSize`,
 * `changes.maxPages`, `changes.initial`). One watched table per Connection this way; code that
 * needs several uses postgresChangesTrigger().
 */
export const settingsChangesTrigger = definePollTrigger({
  name: 'changes',
  description: 'Rows of the table named in the Connection settings (changes.table) changed since the cursor',
  record: Row,
  fetchChanges: (ctx, cursor) =>
    fetchTableChanges(ctx, changesConfigFromSettings(ctx.connection.settings), cursor),
});

export function changesConfigFromSettings(settings: Record<string, string>): ChangesConfig {
  const prefix = 'changes.';
  const picked: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (key.startsWith(prefix)) picked[key.slice(prefix.length)] = value;
  }
  const parsed = ChangesConfig.safeParse(picked);
  if (!parsed.success) {
    throw new WeftError({
      code: 'invalid_input',
      message:
        'the changes trigger needs changes.table (and optionally changes.updatedAtColumn, changes.keyColumn) in the Connection settings',
      details: {
        issues: parsed.error.issues.map((i) => ({ path: `changes.${i.path.join('.')}`, message: i.message })),
      },
    });
  }
  return parsed.data;
}
