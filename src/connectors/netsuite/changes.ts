import { z } from 'zod';
import { pii } from '../../connector/classification.js';
import type { ConnectorContext } from '../../connector/context.js';
import { definePollTrigger, type TriggerEvent } from '../../connector/triggers.js';
import { suiteQlPage, withoutLinks } from './suiteql.js';

/**
 * Poll triggers: what changed since a cursor, read with SuiteQL on `lastmodifieddate`.
 *
 * `lastmodifieddate` has one-second precision, so many records share a timestamp (a bulk import
 * stamps thousands with the same second). The cursor is therefore composite: the newest second
 * seen (`t`, formatted by TO_CHAR in the account's own time zone and read back with TO_TIMESTAMP in
 * the same one) plus the ids already emitted in that second. The next query asks for
 * `lastmodifieddate > t OR (lastmodifieddate = t AND id NOT IN (…ids))`, ordered by
 * (lastmodifieddate, id), so a page boundary inside a second loses nothing, and a record saved
 * later in the same second (a lower id, after our read) is still picked up. Past 1,000 ids in one
 * second (SuiteQL's IN-list limit) the cursor keeps only the highest id (`afterId`): strict
 * keyset order, which cannot see a lower id saved late in that one second.
 */

const timeFormat = 'YYYY-MM-DD HH24:MI:SS';
const maxIds = 1000;

export const ChangeCursor = z.object({
  t: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
  ids: z.array(z.string().regex(/^\d+$/)).optional(),
  afterId: z.string().regex(/^\d+$/).optional(),
});
export type ChangeCursor = z.infer<typeof ChangeCursor>;

/** A changed row: the columns selected (lower-case, string values) plus `lastmodified`. */
interface ChangedRow {
  id: string;
  lastmodified: string;
}

/** The WHERE condition that resumes after `cursor` (null: from the beginning). */
export function resumeCondition(cursor: ChangeCursor | null): string | undefined {
  if (cursor === null) return undefined;
  const t = `TO_TIMESTAMP('${cursor.t}', '${timeFormat}')`;
  const seen =
    cursor.afterId !== undefined
      ? ` AND id > ${cursor.afterId}`
      : cursor.ids && cursor.ids.length > 0
        ? ` AND id NOT IN (${cursor.ids.join(', ')})`
        : '';
  return `(lastmodifieddate > ${t} OR (lastmodifieddate = ${t}${seen}))`;
}

/** The cursor after `rows` (in lastmodifieddate, id order) were emitted. */
export function advanceCursor(cursor: ChangeCursor | null, rows: readonly ChangedRow[]): ChangeCursor | null {
  const last = rows.at(-1);
  if (last === undefined) return cursor;
  const t = last.lastmodified;
  const same = cursor !== null && cursor.t === t;
  if (same && cursor.afterId !== undefined) return { t, afterId: last.id };
  const ids = [
    ...(same ? (cursor.ids ?? []) : []),
    ...rows.filter((r) => r.lastmodified === t).map((r) => r.id),
  ];
  if (ids.length > maxIds) return { t, afterId: ids.reduce((m, id) => (Number(id) > Number(m) ? id : m)) };
  return { t, ids };
}

function parseCursor(text: string | null): ChangeCursor | null {
  if (text === null) return null;
  try {
    return ChangeCursor.parse(JSON.parse(text));
  } catch {
    // A cursor we cannot read would silently restart from the beginning; refuse instead.
    throw new Error(`not a NetSuite change cursor: ${text.slice(0, 80)}`);
  }
}

function setting(ctx: ConnectorContext, name: string, fallback: number, max: number): number {
  const n = Number(ctx.connection.settings[name]);
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : fallback;
}

function changesTrigger<R extends z.ZodObject>(opts: {
  name: string;
  object: string;
  description: string;
  from: string;
  filter?: string;
  columns: string[];
  row: R;
}) {
  return definePollTrigger({
    name: opts.name,
    description: opts.description,
    record: opts.row,
    fetchChanges: async (ctx, cursorText) => {
      const pageSize = setting(ctx, 'pollPageSize', 1000, 1000);
      const maxPages = setting(ctx, 'pollMaxPages', 10, 100);
      let cursor = parseCursor(cursorText);
      const changes: TriggerEvent<z.output<R>>[] = [];
      for (let page = 0; page < maxPages; page++) {
        const conditions = [opts.filter, resumeCondition(cursor)].filter((c) => c !== undefined);
        const q = `SELECT ${opts.columns.join(', ')}, TO_CHAR(lastmodifieddate, '${timeFormat}') AS lastmodified FROM ${opts.from}${
          conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''
        } ORDER BY lastmodifieddate, id`;
        const result = await suiteQlPage(ctx, q, { limit: pageSize, offset: 0 });
        const rows = result.items.map((r) => opts.row.parse(withoutLinks(r)) as z.output<R> & ChangedRow);
        for (const row of rows) {
          changes.push({
            dedupeKey: `${opts.object}:${row.id}:${row.lastmodified}`,
            type: `${opts.object}.changed`,
            payload: row,
          });
        }
        cursor = advanceCursor(cursor, rows);
        if (!result.hasMore) break;
      }
      return { changes, cursor: cursor === null ? cursorText : JSON.stringify(cursor) };
    },
  });
}

const text = z.string().optional();
const base = { id: z.string(), lastmodified: z.string(), externalid: text };

export const CustomerChange = z.looseObject({
  ...base,
  entityid: pii(z.string()).optional(),
  companyname: text,
  isperson: text,
  firstname: pii(z.string()).optional(),
  lastname: pii(z.string()).optional(),
  email: pii(z.string()).optional(),
  phone: pii(z.string()).optional(),
  subsidiary: text,
  currency: text,
  isinactive: text,
});

export const TransactionChange = z.looseObject({
  ...base,
  tranid: text,
  trandate: text,
  entity: text,
  status: text,
  foreigntotal: text,
  currency: text,
});

export const InvoiceChange = TransactionChange.extend({
  duedate: text,
  foreignamountremaining: text,
  createdfrom: text,
});

export const customerChanges = changesTrigger({
  name: 'customerChanges',
  object: 'customer',
  description: 'Customers created or changed since the cursor (SuiteQL on lastmodifieddate)',
  from: 'customer',
  columns: [
    'id',
    'entityid',
    'companyname',
    'isperson',
    'firstname',
    'lastname',
    'email',
    'phone',
    'subsidiary',
    'currency',
    'isinactive',
    'externalid',
  ],
  row: CustomerChange,
});

export const salesOrderChanges = changesTrigger({
  name: 'salesOrderChanges',
  object: 'salesOrder',
  description: 'Sales orders created or changed since the cursor',
  from: 'transaction',
  filter: "type = 'SalesOrd'",
  columns: [
    'id',
    'tranid',
    "TO_CHAR(trandate, 'YYYY-MM-DD') AS trandate",
    'entity',
    'status',
    'foreigntotal',
    'currency',
    'externalid',
  ],
  row: TransactionChange,
});

export const invoiceChanges = changesTrigger({
  name: 'invoiceChanges',
  object: 'invoice',
  description: 'Invoices created or changed since the cursor',
  from: 'transaction',
  filter: "type = 'CustInvc'",
  columns: [
    'id',
    'tranid',
    "TO_CHAR(trandate, 'YYYY-MM-DD') AS trandate",
    "TO_CHAR(duedate, 'YYYY-MM-DD') AS duedate",
    'entity',
    'status',
    'foreigntotal',
    'foreignamountremaining',
    'createdfrom',
    'currency',
    'externalid',
  ],
  row: InvoiceChange,
});
