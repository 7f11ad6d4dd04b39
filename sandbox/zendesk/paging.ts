import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import { badRequest, json } from './responses.js';
import type { ZendeskRecord } from './state.js';

const sortKeys = ['id', 'created_at', 'updated_at'] as const;
type SortKey = (typeof sortKeys)[number];

/** Offset paging stops after the first 10,000 records (100 pages of 100), as Zendesk now does. */
const offsetRecordLimit = 10_000;

/**
 * One page of a list endpoint in either of Zendesk's paging modes: cursor paging when any `page[…]`
 * parameter is present (`meta.has_more`, `after_cursor`, `links.next`), otherwise legacy offset paging
 * (`page`, `per_page`, `next_page`, `count`).
 */
export function listPage(req: SandboxRequest, records: ZendeskRecord[], collection: string): SandboxResponse {
  const q = req.query;
  const cursorMode = [...q.keys()].some((k) => k.startsWith('page['));
  return cursorMode ? cursorPage(req, records, collection) : offsetPage(req, records, collection);
}

function cursorPage(req: SandboxRequest, records: ZendeskRecord[], collection: string): SandboxResponse {
  const q = req.query;
  const size = Number(q.get('page[size]') ?? 100);
  if (!Number.isInteger(size) || size < 1 || size > 100) {
    return badRequest('InvalidPaginationParameter', 'page[size] must be an integer from 1 to 100');
  }
  const sortParam = q.get('sort') ?? 'id';
  const desc = sortParam.startsWith('-');
  const key = (desc ? sortParam.slice(1) : sortParam) as SortKey;
  if (!sortKeys.includes(key))
    return badRequest('InvalidPaginationParameter', `sort ${sortParam} is not supported`);
  const pos = (r: ZendeskRecord): [number, number] => [
    key === 'id' ? Number(r.id) : Date.parse(String(r[key])),
    Number(r.id),
  ];
  const cmp = (a: [number, number], b: [number, number]) => (a[0] - b[0] || a[1] - b[1]) * (desc ? -1 : 1);
  const sorted = [...records].sort((a, b) => cmp(pos(a), pos(b)));
  const after = q.get('page[after]');
  const before = q.get('page[before]');
  let page: ZendeskRecord[];
  let hasMore: boolean;
  if (before !== null) {
    const at = decodeCursor(before);
    if (at === undefined)
      return badRequest('InvalidPaginationParameter', 'page[before] is not a valid cursor');
    const earlier = sorted.filter((r) => cmp(pos(r), at) < 0);
    page = earlier.slice(-size);
    hasMore = earlier.length > size;
  } else {
    const at = after === null ? undefined : decodeCursor(after);
    if (after !== null && at === undefined) {
      return badRequest('InvalidPaginationParameter', 'page[after] is not a valid cursor');
    }
    const later = at === undefined ? sorted : sorted.filter((r) => cmp(pos(r), at) > 0);
    page = later.slice(0, size);
    hasMore = later.length > size;
  }
  const first = page[0];
  const last = page.at(-1);
  const afterCursor = last ? encodeCursor(pos(last)) : null;
  const beforeCursor = first ? encodeCursor(pos(first)) : null;
  const link = (param: string, cursor: string | null) => {
    if (cursor === null) return null;
    const url = new URL(req.url.pathname, req.url.origin);
    for (const [k, v] of q) if (!k.startsWith('page[')) url.searchParams.append(k, v);
    url.searchParams.set('page[size]', String(size));
    url.searchParams.set(param, cursor);
    return url.toString();
  };
  return json(200, {
    [collection]: page,
    meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: beforeCursor },
    links: {
      next: hasMore || before !== null ? link('page[after]', afterCursor) : null,
      prev: link('page[before]', beforeCursor),
    },
  });
}

function offsetPage(req: SandboxRequest, records: ZendeskRecord[], collection: string): SandboxResponse {
  const q = req.query;
  const page = Number(q.get('page') ?? 1);
  const perPage = Number(q.get('per_page') ?? 100);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
    return badRequest('InvalidPaginationParameter', 'page must be ≥ 1 and per_page from 1 to 100');
  }
  if ((page - 1) * perPage >= offsetRecordLimit) {
    return badRequest(
      'InvalidPaginationParameter',
      'Offset pagination is limited to the first 10,000 records. Use cursor pagination instead.',
    );
  }
  const sorted = [...records].sort((a, b) => Number(a.id) - Number(b.id));
  const start = (page - 1) * perPage;
  const link = (n: number) => {
    const url = new URL(req.url.pathname, req.url.origin);
    for (const [k, v] of q) if (k !== 'page') url.searchParams.append(k, v);
    url.searchParams.set('page', String(n));
    return url.toString();
  };
  const more = start + perPage < sorted.length && page * perPage < offsetRecordLimit;
  return json(200, {
    [collection]: sorted.slice(start, start + perPage),
    next_page: more ? link(page + 1) : null,
    previous_page: page > 1 ? link(page - 1) : null,
    count: sorted.length,
  });
}

/** Cursors are opaque to clients; here a base64url of the sort position. */
export function encodeCursor(pos: readonly [number, number]): string {
  return Buffer.from(JSON.stringify(pos)).toString('base64url');
}

export function decodeCursor(cursor: string): [number, number] | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      return [v[0] as number, v[1] as number];
    }
  } catch {
    // falls through: not one of ours
  }
  return undefined;
}
