import { z } from 'zod';
import type { ConnectorContext } from '../../connector/context.js';
import { definePollTrigger, type TriggerEvent } from '../../connector/triggers.js';
import { zendeskRequest } from './client.js';
import { ZendeskOrganization, ZendeskTicket, ZendeskUser } from './schemas.js';

/**
 * Poll triggers on Zendesk's incremental exports, tuned by Connection settings:
 * - `incrementalStartTime`: Unix seconds the first poll starts from (default: one hour ago; `0`
 *   exports everything);
 * - `incrementalPageSize`: records per export page (default and maximum 1000);
 * - `incrementalPagesPerPoll`: pages one poll may read (default 5). Exports allow only 10 requests a
 *   minute, so a poll stops there and the next one resumes from the cursor.
 */
interface ExportSettings {
  startTime: number;
  pageSize: number;
  maxPages: number;
}

function settingsOf(ctx: ConnectorContext): ExportSettings {
  const s = ctx.connection.settings;
  const int = (v: string | undefined, fallback: number, min: number, max: number) => {
    const n = Number(v);
    return v !== undefined && Number.isInteger(n) && n >= min && n <= max ? n : fallback;
  };
  return {
    startTime: int(s.incrementalStartTime, Math.floor(ctx.now() / 1000) - 3600, 0, Number.MAX_SAFE_INTEGER),
    pageSize: int(s.incrementalPageSize, 1000, 1, 1000),
    maxPages: int(s.incrementalPagesPerPoll, 5, 1, 100),
  };
}

const secondsOf = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** `<object>:<id>:<updated>`: a record seen again unchanged is dropped by the engine's dedupe. */
const dedupeKey = (object: string, r: { id: number; updated_at: string }) =>
  `${object}:${r.id}:${r.updated_at}`;

/**
 * The cursor-based exports (tickets, users). The cursor Weft stores is Zendesk's own `after_cursor`,
 * which resumes exactly after the last record returned, so no change is lost or repeated at page
 * boundaries or equal timestamps; the first poll starts from `start_time`.
 */
function cursorExportTrigger<
  R extends z.ZodType<{ id: number; updated_at: string; created_at: string }>,
>(opts: {
  name: string;
  object: string;
  path: string;
  collection: string;
  record: R;
  typeOf: (r: z.output<R>) => string;
}) {
  const Page = z.looseObject({
    [opts.collection]: z.array(opts.record),
    after_cursor: z.string().nullable(),
    end_of_stream: z.boolean(),
  } as Record<string, z.ZodType>);
  return definePollTrigger({
    name: opts.name,
    description: `Changed ${opts.object}s from Zendesk's incremental ${opts.object} export (cursor-based)`,
    record: opts.record,
    fetchChanges: async (ctx, cursor) => {
      const settings = settingsOf(ctx);
      const changes: TriggerEvent<z.output<R>>[] = [];
      let next = cursor;
      for (let page = 0; page < settings.maxPages; page++) {
        const query =
          next === null
            ? { start_time: settings.startTime, per_page: settings.pageSize }
            : { cursor: next, per_page: settings.pageSize };
        const body = Page.parse((await zendeskRequest(ctx, { method: 'GET', path: opts.path, query })).body);
        const records = body[opts.collection] as z.output<R>[];
        for (const r of records)
          changes.push({ dedupeKey: dedupeKey(opts.object, r), type: opts.typeOf(r), payload: r });
        next = (body.after_cursor as string | null) ?? next;
        if (body.end_of_stream === true) break;
      }
      return { changes, cursor: next };
    },
  });
}

function changeType(object: string, r: { created_at: string; updated_at: string }): string {
  return `${object}.${r.created_at === r.updated_at ? 'created' : 'updated'}`;
}

export const ticketChanges = cursorExportTrigger({
  name: 'tickets',
  object: 'ticket',
  path: '/api/v2/incremental/tickets/cursor',
  collection: 'tickets',
  record: ZendeskTicket,
  typeOf: (t) => (t.status === 'deleted' ? 'ticket.deleted' : changeType('ticket', t)),
});

export const userChanges = cursorExportTrigger({
  name: 'users',
  object: 'user',
  path: '/api/v2/incremental/users/cursor',
  collection: 'users',
  record: ZendeskUser,
  typeOf: (u) => (u.active ? changeType('user', u) : 'user.deleted'),
});

/**
 * The composite cursor of the time-based organization export: the second to ask from, and the ids
 * already delivered at that second. Zendesk's `end_time` is the last second of a page and the next
 * page starts at it again, so records of that second come twice; the ids drop the repeats.
 */
const OrganizationCursor = z.object({ start_time: z.number().int().min(0), seen: z.array(z.number().int()) });
type OrganizationCursor = z.infer<typeof OrganizationCursor>;

function readOrganizationCursor(cursor: string | null, startTime: number): OrganizationCursor {
  if (cursor === null) return { start_time: startTime, seen: [] };
  const parsed = OrganizationCursor.safeParse(
    (() => {
      try {
        return JSON.parse(cursor) as unknown;
      } catch {
        return undefined;
      }
    })(),
  );
  // A cursor we cannot read restarts from the configured start; the engine's dedupe absorbs repeats.
  return parsed.success ? parsed.data : { start_time: startTime, seen: [] };
}

const OrganizationPage = z.looseObject({
  organizations: z.array(ZendeskOrganization),
  end_time: z.number().int().nullable(),
  end_of_stream: z.boolean(),
});

export const organizationChanges = definePollTrigger({
  name: 'organizations',
  description: "Changed organizations from Zendesk's incremental organization export (time-based)",
  record: ZendeskOrganization,
  fetchChanges: async (ctx, cursor) => {
    const settings = settingsOf(ctx);
    let at = readOrganizationCursor(cursor, settings.startTime);
    const changes: TriggerEvent<ZendeskOrganization>[] = [];
    for (let page = 0; page < settings.maxPages; page++) {
      const body = OrganizationPage.parse(
        (
          await zendeskRequest(ctx, {
            method: 'GET',
            path: '/api/v2/incremental/organizations',
            query: { start_time: at.start_time, per_page: settings.pageSize },
          })
        ).body,
      );
      const seen = new Set(at.seen);
      const fresh = body.organizations.filter(
        (o) => !(secondsOf(o.updated_at) === at.start_time && seen.has(o.id)),
      );
      for (const o of fresh) {
        changes.push({
          dedupeKey: dedupeKey('organization', o),
          type: o.deleted_at ? 'organization.deleted' : changeType('organization', o),
          payload: o,
        });
      }
      const end = body.end_time ?? at.start_time;
      const atEnd = body.organizations.filter((o) => secondsOf(o.updated_at) === end).map((o) => o.id);
      at = { start_time: end, seen: end === at.start_time ? [...new Set([...at.seen, ...atEnd])] : atEnd };
      // Nothing new on a page that is not the last would loop on the same second: stop and retry later.
      if (body.end_of_stream || fresh.length === 0) break;
    }
    return { changes, cursor: JSON.stringify(at) };
  },
});
