import { definePollTrigger, type PollTriggerDefinition } from '../../connector/triggers.js';
import { WeftError } from '../../contract/errors.js';
import { soqlDateTime, soqlRecords, soqlString } from './query.js';
import {
  type SalesforceObjectName,
  SalesforceRecords,
  salesforceObjectNames,
  standardFields,
} from './schemas.js';
import { actionNouns } from './sobjects.js';
import { salesforceSettings } from './version.js';

/** Where a first poll starts when the Connection names no `pollFrom`: the last hour, as Stripe's. */
const firstPollLookbackMs = 3_600_000;

/** `<SystemModstamp ISO>|<Id>`: the last record a poll returned, the composite key changes are ordered by. */
export function encodeCursor(ms: number, id: string): string {
  return `${new Date(ms).toISOString()}|${id}`;
}

export function decodeCursor(cursor: string): { ms: number; id: string } {
  const [iso, id] = cursor.split('|');
  const ms = Date.parse(iso ?? '');
  if (Number.isNaN(ms) || id === undefined || !/^[a-zA-Z0-9]{15,18}$/.test(id)) {
    throw new WeftError({
      code: 'invalid_input',
      message: `not a Salesforce poll cursor: ${cursor.slice(0, 60)}`,
    });
  }
  return { ms, id };
}

/** Epoch ms of a REST datetime (`2024-05-01T12:00:00.000+0000`). */
export function parseSalesforceDateTime(value: string): number {
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(ms))
    throw new WeftError({ code: 'internal', message: `unreadable Salesforce datetime ${value}` });
  return ms;
}

/**
 * Changes of one object since a cursor, by SOQL on `SystemModstamp` ordered by
 * (SystemModstamp, Id). The cursor is that composite key of the last record returned, and the next
 * poll asks for `SystemModstamp > t OR (SystemModstamp = t AND Id > id)`, so records sharing a
 * timestamp across a poll's LIMIT are neither skipped nor repeated. Deletions are not seen here
 * (SOQL hides the recycle bin): use the change-event webhook for them.
 */
function changesTrigger(object: SalesforceObjectName): PollTriggerDefinition {
  const record = SalesforceRecords[object];
  return definePollTrigger({
    name: actionNouns[object],
    description: `Poll ${object} records changed since the cursor (SOQL on SystemModstamp)`,
    record,
    fetchChanges: async (ctx, cursor) => {
      const settings = salesforceSettings(ctx);
      const selected = settings[`pollFields.${object}`];
      const fields = new Set([
        'Id',
        'SystemModstamp',
        ...(typeof selected === 'string' && selected.trim() !== ''
          ? selected.split(',').map((f) => f.trim())
          : standardFields(object)),
      ]);
      let where: string;
      if (cursor === null) {
        const from = settings.pollFrom ? Date.parse(settings.pollFrom) : ctx.now() - firstPollLookbackMs;
        where = `SystemModstamp >= ${soqlDateTime(from)}`;
      } else {
        const at = decodeCursor(cursor);
        const t = soqlDateTime(at.ms);
        where = `(SystemModstamp > ${t} OR (SystemModstamp = ${t} AND Id > ${soqlString(at.id)}))`;
      }
      const q = `SELECT ${[...fields].join(', ')} FROM ${object} WHERE ${where} ORDER BY SystemModstamp ASC, Id ASC LIMIT ${settings.pollLimit}`;
      const changes = [];
      let last: { ms: number; id: string } | undefined;
      for await (const raw of soqlRecords(ctx, q)) {
        const r = record.parse(raw);
        const id = String(r.Id);
        const ms = parseSalesforceDateTime(String(r.SystemModstamp));
        changes.push({ dedupeKey: `${object}:${id}:${ms}`, type: `${object}.changed`, payload: r });
        last = { ms, id };
      }
      return { changes, cursor: last ? encodeCursor(last.ms, last.id) : cursor };
    },
  });
}

/** One poll trigger per object, named like its actions: `accounts`, `contacts`, `leads`, … */
export const salesforcePollTriggers: Record<string, PollTriggerDefinition> = Object.fromEntries(
  salesforceObjectNames.map((o) => [actionNouns[o], changesTrigger(o)]),
);
