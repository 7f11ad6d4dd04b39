/** One page of a listing. */
export interface Page<T> {
  items: T[];
}

/**
 * Cursor paging (Stripe `starting_after`, HubSpot `after`, Slack `next_cursor`): each page names
 * the cursor of the next, or none at the end.
 *
 * @example
 * for await (const c of cursorPages({ fetchPage: (cursor) => listCustomers(cursor) })) handle(c);
 */
export async function* cursorPages<T>(opts: {
  fetchPage: (cursor: string | undefined) => Promise<Page<T> & { nextCursor?: string | undefined }>;
  /** Safety stop for a server that never says "done" (default 10 000 pages). */
  maxPages?: number;
}): AsyncGenerator<T> {
  let cursor: string | undefined;
  for (let page = 0; page < (opts.maxPages ?? 10_000); page++) {
    const result = await opts.fetchPage(cursor);
    yield* result.items;
    if (result.nextCursor === undefined || result.nextCursor === cursor || result.items.length === 0) return;
    cursor = result.nextCursor;
  }
}

/**
 * Offset paging (NetSuite, ServiceNow `sysparm_offset`): stops at a short page or at `total`.
 */
export async function* offsetPages<T>(opts: {
  pageSize: number;
  fetchPage: (offset: number, limit: number) => Promise<Page<T> & { total?: number }>;
  maxPages?: number;
}): AsyncGenerator<T> {
  let offset = 0;
  for (let page = 0; page < (opts.maxPages ?? 10_000); page++) {
    const result = await opts.fetchPage(offset, opts.pageSize);
    yield* result.items;
    offset += result.items.length;
    if (result.items.length < opts.pageSize) return;
    if (result.total !== undefined && offset >= result.total) return;
  }
}

/**
 * Next-URL paging (Salesforce `nextRecordsUrl`, Zendesk `next_page`, `Link: rel="next"`): each page
 * carries the URL of the next one. Use {@link nextLinkFromHeader} for the Link-header form.
 */
export async function* nextUrlPages<T>(opts: {
  firstUrl: string;
  fetchPage: (url: string) => Promise<Page<T> & { nextUrl?: string | undefined }>;
  maxPages?: number;
}): AsyncGenerator<T> {
  let url: string | undefined = opts.firstUrl;
  for (let page = 0; url !== undefined && page < (opts.maxPages ?? 10_000); page++) {
    const result: Page<T> & { nextUrl?: string | undefined } = await opts.fetchPage(url);
    yield* result.items;
    url = result.nextUrl === url ? undefined : result.nextUrl;
  }
}

/**
 * The `rel="next"` target of an RFC 8288 `Link` header, resolved against `base`.
 *
 * @example
 * nextLinkFromHeader('<https://x/api?page=2>; rel="next", <https://x/api?page=9>; rel="last"') // 'https://x/api?page=2'
 */
export function nextLinkFromHeader(header: string | null, base?: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const rels = /;\s*rel="?([^";]+)"?/i.exec(match[2] ?? '')?.[1]?.split(/\s+/) ?? [];
    if (rels.includes('next')) return base ? new URL(match[1] ?? '', base).toString() : match[1];
  }
  return undefined;
}

/** Drains an async iterable into an array, stopping at `max` items. */
export async function collect<T>(items: AsyncIterable<T>, max = Number.POSITIVE_INFINITY): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
    if (out.length >= max) break;
  }
  return out;
}
