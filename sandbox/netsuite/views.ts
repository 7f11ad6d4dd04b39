import type { RecordType } from './record-input.js';
import type { NsData } from './records.js';

/** Response content types NetSuite uses for single records and collections. */
export const singularType = 'application/vnd.oracle.resource+json; type=singular; charset=UTF-8';
export const collectionType = 'application/vnd.oracle.resource+json; type=collection; charset=UTF-8';

export interface Link {
  rel: string;
  href: string;
}

const sublists = new Set(['item', 'addressBook']);
/** The record type a reference field points at, for its `links`. */
const refTargets: Record<string, string> = {
  entity: 'customer',
  parent: 'customer',
  createdFrom: 'salesOrder',
  subsidiary: 'subsidiary',
  currency: 'currency',
  terms: 'term',
};

export function recordUrl(origin: string, type: string, id: string): string {
  return `${origin}/services/rest/record/v1/${type}/${id}`;
}

/**
 * A record as `GET /record/v1/{type}/{id}` returns it: `links` first, references with their own
 * links, sublists as a link only unless `expandSubResources=true`, and only `fields` when given.
 */
export function renderRecord(
  origin: string,
  type: RecordType,
  data: NsData,
  opts: { expand: boolean; fields?: readonly string[] },
): Record<string, unknown> {
  const self = recordUrl(origin, type, data.id);
  const out: Record<string, unknown> = { links: [{ rel: 'self', href: self }], id: data.id };
  const wanted = opts.fields === undefined ? undefined : new Set([...opts.fields, 'id']);
  for (const [key, value] of Object.entries(data)) {
    if (wanted !== undefined && !wanted.has(key)) continue;
    if (sublists.has(key)) {
      const lines = (value as { items: Record<string, unknown>[] }).items;
      const link = [{ rel: 'self', href: `${self}/${key}` }];
      out[key] = opts.expand
        ? { links: link, items: lines.map((l) => ({ links: [], ...l })), totalResults: lines.length }
        : { links: link };
      continue;
    }
    const target = refTargets[key];
    if (target !== undefined && typeof value === 'object' && value !== null && 'id' in value) {
      const r = value as { id: string; refName?: string };
      out[key] = { links: [{ rel: 'self', href: recordUrl(origin, target, r.id) }], ...r };
      continue;
    }
    out[key] = value;
  }
  return out;
}

/**
 * The paging links of a collection or SuiteQL page: previous/first/next/last around `offset`, and
 * self, each carrying the caller's other query parameters.
 */
export function pageLinks(
  base: string,
  query: URLSearchParams,
  page: { limit: number; offset: number; total: number },
): Link[] {
  const href = (offset: number) => {
    const q = new URLSearchParams(query);
    q.set('limit', String(page.limit));
    q.set('offset', String(offset));
    return `${base}?${q.toString()}`;
  };
  const lastOffset = Math.max(0, Math.floor((page.total - 1) / page.limit) * page.limit);
  const links: Link[] = [];
  if (page.offset > 0) {
    links.push({ rel: 'previous', href: href(Math.max(0, page.offset - page.limit)) });
    links.push({ rel: 'first', href: href(0) });
  }
  if (page.offset + page.limit < page.total) {
    links.push({ rel: 'next', href: href(page.offset + page.limit) });
    links.push({ rel: 'last', href: href(lastOffset) });
  }
  links.push({ rel: 'self', href: href(page.offset) });
  return links;
}
