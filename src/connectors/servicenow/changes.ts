import type { z } from 'zod';
import type { ConnectorContext } from '../../connector/context.js';
import { definePollTrigger, type TriggerEvent } from '../../connector/triggers.js';
import { WeftError } from '../../contract/errors.js';
import { parseGlideDateTime, toGlideDateTime } from './glide-time.js';
import { ServiceNowIncident, ServiceNowUser } from './schemas.js';
import { snQuery } from './table-api.js';

/**
 * Changes since a cursor, read from the Table API ordered by (sys_updated_on, sys_id).
 *
 * ServiceNow stamps `sys_updated_on` to the second, so many records share a value. The cursor is
 * the composite (sys_updated_on, sys_id) of the last record handed over, and every page asks for
 * what lies strictly after it: `sys_updated_on>=T^sys_updated_on>T^ORsys_id>ID` (that is, a later
 * second, or the same second and a greater sys_id). Pages are keyset pages, never offsets, so a
 * record updated while we page (it moves to the end) cannot shift a page boundary and hide another.
 *
 * A second still in progress is not read: a record may yet be written in it with a smaller sys_id
 * than one already handed over. Only seconds that ended `pollSettleSeconds` before the instance's
 * own clock (the HTTP `Date` of the answer) are read; the rest waits for the next poll.
 *
 * Connection settings: `pollPageSize` (200), `pollMaxPages` per poll (10), `pollSettleSeconds` (2),
 * `pollStartAt` (`YYYY-MM-DD HH:mm:ss` UTC; default one hour before the first poll).
 */
export interface SnCursor {
  /** sys_updated_on of the last record handed over. */
  t: string;
  /** Its sys_id; '' for "nothing handed over at t yet" (a start position). */
  id: string;
}

export function encodeCursor(c: SnCursor): string {
  return `${c.t}|${c.id}`;
}

export function decodeCursor(raw: string): SnCursor {
  const [t = '', id = ''] = raw.split('|');
  if (parseGlideDateTime(t) === undefined || !/^[A-Za-z0-9_]{0,32}$/.test(id)) {
    throw new WeftError({
      code: 'invalid_input',
      message: `not a ServiceNow poll cursor: ${raw.slice(0, 80)}`,
    });
  }
  return { t, id };
}

/** The encoded query of everything after `c`, in cursor order. */
export function afterCursorQuery(c: SnCursor): string {
  const after =
    c.id === '' ? `sys_updated_on>=${c.t}` : `sys_updated_on>=${c.t}^sys_updated_on>${c.t}^ORsys_id>${c.id}`;
  return `${after}^ORDERBYsys_updated_on^ORDERBYsys_id`;
}

function setting(ctx: ConnectorContext, name: string, fallback: number, min: number): number {
  const raw = ctx.connection.settings[name];
  const n = raw === undefined ? fallback : Number(raw);
  return Number.isInteger(n) && n >= min ? n : fallback;
}

type Row = { sys_id?: unknown; sys_updated_on?: unknown; sys_mod_count?: unknown };

export async function fetchTableChanges<R extends z.ZodType>(
  ctx: ConnectorContext,
  opts: { table: string; object: string; record: R },
  cursor: string | null,
): Promise<{ changes: TriggerEvent<z.output<R>>[]; cursor: string | null }> {
  const pageSize = setting(ctx, 'pollPageSize', 200, 1);
  const maxPages = setting(ctx, 'pollMaxPages', 10, 1);
  const settleMs = setting(ctx, 'pollSettleSeconds', 2, 0) * 1000;
  const startAt = ctx.connection.settings.pollStartAt;
  let position: SnCursor =
    cursor !== null
      ? decodeCursor(cursor)
      : {
          t:
            startAt !== undefined && parseGlideDateTime(startAt) !== undefined
              ? startAt
              : toGlideDateTime(ctx.now() - 3_600_000),
          id: '',
        };
  const changes: TriggerEvent<z.output<R>>[] = [];
  for (let page = 0; page < maxPages; page++) {
    const { records, headers } = await snQuery(ctx, opts.table, {
      sysparm_query: afterCursorQuery(position),
      sysparm_limit: pageSize,
      sysparm_no_count: 'true',
      sysparm_suppress_pagination_header: 'true',
      sysparm_display_value: 'false',
      sysparm_exclude_reference_link: 'true',
    });
    const instanceNow = Date.parse(headers.get('date') ?? '');
    const settledBefore =
      Math.floor((Number.isNaN(instanceNow) ? ctx.now() : instanceNow) / 1000) * 1000 - settleMs;
    for (const raw of records as Row[]) {
      const id = typeof raw.sys_id === 'string' ? raw.sys_id : '';
      const t = typeof raw.sys_updated_on === 'string' ? raw.sys_updated_on : '';
      const at = parseGlideDateTime(t);
      if (id === '' || at === undefined) {
        throw new WeftError({
          code: 'internal',
          message: `${opts.table} record without sys_id or sys_updated_on in a poll`,
        });
      }
      // The record's second must have ended before the settle line; later ones wait, in order.
      if (at + 1000 > settledBefore) return { changes, cursor: encodeCursor(position) };
      const payload = opts.record.parse(raw);
      const created = raw.sys_mod_count === '0';
      changes.push({
        dedupeKey: `${opts.object}:${id}:${t}`,
        type: `${opts.object}.${created ? 'created' : 'updated'}`,
        payload,
      });
      position = { t, id };
    }
    if (records.length < pageSize) break;
  }
  return { changes, cursor: encodeCursor(position) };
}

export const incidentChangesPollTrigger = definePollTrigger({
  name: 'incidents',
  description: 'Incidents created or updated, by sys_updated_on with a (sys_updated_on, sys_id) cursor',
  record: ServiceNowIncident,
  fetchChanges: (ctx, cursor) =>
    fetchTableChanges(ctx, { table: 'incident', object: 'incident', record: ServiceNowIncident }, cursor),
});

export const userChangesPollTrigger = definePollTrigger({
  name: 'users',
  description:
    'Users (sys_user) created or updated, by sys_updated_on with a (sys_updated_on, sys_id) cursor',
  record: ServiceNowUser,
  fetchChanges: (ctx, cursor) =>
    fetchTableChanges(ctx, { table: 'sys_user', object: 'user', record: ServiceNowUser }, cursor),
});
