import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import type { Organization } from './organizations.js';
import { decodeCursor, encodeCursor } from './paging.js';
import { badRequest, json } from './responses.js';
import { loadAll, type Route, type ZendeskRecord, type ZendeskState } from './state.js';
import { renderTicket, type Ticket } from './tickets.js';
import { renderUser, type User } from './users.js';

const maxPerPage = 1000;

type Pos = [number, number];
const posOf = (r: ZendeskRecord): Pos => [Date.parse(r.updated_at), Number(r.id)];
const after = (a: Pos, b: Pos) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

/**
 * Exports see only changes older than the export lag (Zendesk keeps the last minute out so that
 * nothing still being written is skipped), in (updated, id) order.
 */
function visible(state: ZendeskState, records: ZendeskRecord[]): ZendeskRecord[] {
  const horizon = state.kit.now() - state.exportLagMs;
  return records
    .filter((r) => Date.parse(r.updated_at) <= horizon)
    .sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || Number(a.id) - Number(b.id));
}

function perPage(req: SandboxRequest): number | SandboxResponse {
  const n = Number(req.query.get('per_page') ?? maxPerPage);
  return Number.isInteger(n) && n >= 1 && n <= maxPerPage
    ? n
    : badRequest('InvalidPaginationParameter', `per_page must be from 1 to ${maxPerPage}`);
}

/** `start_time` must be a Unix time at least the export lag in the past. */
function startTime(state: ZendeskState, req: SandboxRequest): number | SandboxResponse {
  const raw = req.query.get('start_time');
  if (raw === null || !/^\d+$/.test(raw))
    return badRequest('InvalidValue', 'start_time is required (Unix epoch seconds)');
  const s = Number(raw);
  if (s * 1000 > state.kit.now() - state.exportLagMs) {
    return badRequest('InvalidValue', 'Too recent start_time. Use a start_time older than 1 minute');
  }
  return s;
}

/** Cursor-based export (tickets, users): `after_cursor` resumes exactly after the last record returned. */
function cursorExport(
  collection: 'tickets' | 'users',
  records: (state: ZendeskState, req: SandboxRequest) => Record<string, unknown>[],
): Route {
  return (state, req) => {
    const size = perPage(req);
    if (typeof size !== 'number') return size;
    let from: Pos;
    const cursor = req.query.get('cursor');
    if (cursor !== null) {
      const at = decodeCursor(cursor);
      if (at === undefined) return badRequest('InvalidCursor', 'cursor is not valid');
      from = at;
    } else {
      const s = startTime(state, req);
      if (typeof s !== 'number') return s;
      from = [s * 1000 - 1, Number.MAX_SAFE_INTEGER];
    }
    const pending = visible(state, records(state, req) as ZendeskRecord[]).filter((r) =>
      after(posOf(r), from),
    );
    const page = pending.slice(0, size);
    const last = page.at(-1);
    const afterCursor = encodeCursor(last ? posOf(last) : from);
    const first = page[0];
    const beforeCursor = first ? encodeCursor([posOf(first)[0], posOf(first)[1] - 1]) : null;
    const url = (c: string | null) => {
      if (c === null) return null;
      const u = new URL(req.url.pathname, req.url.origin);
      u.searchParams.set('cursor', c);
      if (req.query.get('per_page') !== null) u.searchParams.set('per_page', String(size));
      return u.toString();
    };
    return json(200, {
      [collection]: page.map((r) => ({
        ...r,
        generated_timestamp: Math.floor(Date.parse(r.updated_at) / 1000),
      })),
      after_url: url(afterCursor),
      after_cursor: afterCursor,
      before_url: url(beforeCursor),
      before_cursor: beforeCursor,
      end_of_stream: pending.length <= size,
    });
  };
}

/**
 * Time-based export (organizations): a page holds every record of its last second, so `end_time`
 * (that second) as the next `start_time` returns those records again. Consumers drop the repeats.
 */
const organizationExport: Route = (state, req) => {
  const size = perPage(req);
  if (typeof size !== 'number') return size;
  const s = startTime(state, req);
  if (typeof s !== 'number') return s;
  const all = visible(
    state,
    loadAll<Organization>(state, 'organization').map((o) => ({
      url: `${req.url.origin}/api/v2/organizations/${o.id}.json`,
      ...o,
      deleted_at: o.deleted_at ?? null,
    })),
  ).filter((o) => Date.parse(o.updated_at) >= s * 1000);
  let page = all.slice(0, size);
  const lastSecond = page.at(-1)
    ? Math.floor(Date.parse((page.at(-1) as ZendeskRecord).updated_at) / 1000)
    : s;
  page = all.filter((o, i) => i < size || Math.floor(Date.parse(o.updated_at) / 1000) === lastSecond);
  const endOfStream = page.length === all.length;
  const next = new URL(req.url.pathname, req.url.origin);
  next.searchParams.set('start_time', String(lastSecond));
  if (req.query.get('per_page') !== null) next.searchParams.set('per_page', String(size));
  return json(200, {
    organizations: page,
    next_page: endOfStream ? null : next.toString(),
    count: page.length,
    end_of_stream: endOfStream,
    end_time: lastSecond,
  });
};

const ticketRecords = (state: ZendeskState, req: SandboxRequest) => {
  const excludeDeleted = req.query.get('exclude_deleted') === 'true';
  return loadAll<Ticket>(state, 'ticket')
    .filter((t) => !excludeDeleted || t.status !== 'deleted')
    .map((t) => renderTicket(req, t));
};

const userRecords = (state: ZendeskState, req: SandboxRequest) =>
  loadAll<User>(state, 'user').map((u) => renderUser(req, u));

export const incrementalRoutes: [string, RegExp, Route][] = [
  ['GET', /^\/api\/v2\/incremental\/tickets\/cursor$/, cursorExport('tickets', ticketRecords)],
  ['GET', /^\/api\/v2\/incremental\/users\/cursor$/, cursorExport('users', userRecords)],
  ['GET', /^\/api\/v2\/incremental\/organizations$/, organizationExport],
];

/** Incremental exports have their own budget (10 requests a minute per account at Zendesk). */
export class IncrementalBudget {
  readonly #hits = new Map<string, number[]>();

  /** Milliseconds to wait, or 0 when the request may pass (and is counted). */
  take(account: string, perMinute: number, now: number): number {
    const recent = (this.#hits.get(account) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= perMinute) {
      this.#hits.set(account, recent);
      return (recent[0] ?? now) + 60_000 - now;
    }
    recent.push(now);
    this.#hits.set(account, recent);
    return 0;
  }

  clear(): void {
    this.#hits.clear();
  }
}
