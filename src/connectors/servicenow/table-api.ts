import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import type { ConnectorContext } from '../../connector/context.js';
import type { ConnectorResponse } from '../../connector/http-client.js';
import { nextLinkFromHeader, nextUrlPages } from '../../connector/pagination.js';
import { WeftError } from '../../contract/errors.js';
import { SysId, snPage } from './schemas.js';

/**
 * The Table API (`/api/now/table/{table}`) as connector building blocks: one-page list and get
 * actions for any table, and a walk over every page by the `Link` header.
 */

export const tablePath = (table: string) => `/api/now/table/${table}`;

/** How records are rendered; Weft's default is plain sys_ids and raw values (strings). */
export const RenderInput = z.object({
  /** Comma-joined into `sysparm_fields`; dot-walks allowed (`caller_id.email`). */
  fields: z
    .array(z.string().regex(/^[a-z_][a-z0-9_.]*$/))
    .min(1)
    .optional(),
  /** `sysparm_display_value`: raw values, display labels, or both. */
  displayValue: z.enum(['false', 'true', 'all']).optional(),
  /** `sysparm_exclude_reference_link` (default true: references are bare sys_ids). */
  excludeReferenceLink: z.boolean().optional(),
});
export type RenderInput = z.infer<typeof RenderInput>;

export function renderQuery(input: RenderInput): Record<string, string> {
  return {
    ...(input.fields ? { sysparm_fields: input.fields.join(',') } : {}),
    sysparm_display_value: input.displayValue ?? 'false',
    sysparm_exclude_reference_link: String(input.excludeReferenceLink ?? true),
  };
}

export const ListInput = RenderInput.extend({
  /** Encoded query, e.g. `active=true^priority<=2^ORDERBYDESCsys_updated_on`. */
  query: z.string().max(8000).optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
  offset: z.number().int().min(0).optional(),
});

/** The record in `{"result": …}`. */
function result(res: ConnectorResponse): unknown {
  const body = res.body as { result?: unknown } | null;
  if (body === null || typeof body !== 'object' || !('result' in body)) {
    throw new WeftError({ code: 'internal', message: 'ServiceNow answered without a "result"' });
  }
  return body.result;
}

export function getRecordAction<O extends z.ZodType>(opts: {
  name: string;
  table: string;
  record: O;
  noun: string;
}) {
  return defineAction({
    kind: 'read',
    name: opts.name,
    description: `Get one ${opts.noun} by sys_id (GET ${tablePath(opts.table)}/{sys_id})`,
    input: RenderInput.extend({ sys_id: SysId }),
    output: opts.record,
    run: async (ctx, input) =>
      result(
        await ctx.http.request({
          method: 'GET',
          path: `${tablePath(opts.table)}/${input.sys_id}`,
          query: renderQuery(input),
        }),
      ),
  });
}

export function listRecordsAction<O extends z.ZodType>(opts: {
  name: string;
  table: string;
  record: O;
  noun: string;
}) {
  return defineAction({
    kind: 'read',
    name: opts.name,
    description: `List ${opts.noun}s, one page: encoded query, sysparm_limit/offset; nextOffset from the Link header`,
    input: ListInput,
    output: snPage(opts.record),
    run: async (ctx, input) => {
      const res = await ctx.http.request({
        method: 'GET',
        path: tablePath(opts.table),
        query: {
          ...renderQuery(input),
          ...(input.query ? { sysparm_query: input.query } : {}),
          sysparm_limit: input.limit ?? 100,
          ...(input.offset ? { sysparm_offset: input.offset } : {}),
        },
      });
      const total = Number(res.headers.get('x-total-count'));
      const next = nextLinkFromHeader(res.headers.get('link'), ctx.connection.baseUrl);
      const nextOffset =
        next === undefined ? undefined : Number(new URL(next).searchParams.get('sysparm_offset'));
      return {
        result: result(res),
        ...(res.headers.get('x-total-count') !== null && Number.isFinite(total) ? { totalCount: total } : {}),
        ...(nextOffset !== undefined && Number.isFinite(nextOffset) ? { nextOffset } : {}),
      };
    },
  });
}

/**
 * Every record matching `query`, page by page along `Link: rel="next"`. A query without an
 * ORDERBY gets `ORDERBYsys_id`: offset paging is only stable over a total order.
 *
 * @example
 * for await (const inc of snListAll(ctx, 'incident', { query: 'active=true', pageSize: 500 })) handle(inc);
 */
export async function* snListAll<T = Record<string, unknown>>(
  ctx: ConnectorContext,
  table: string,
  opts: RenderInput & { query?: string; pageSize?: number } = {},
): AsyncGenerator<T> {
  const query = opts.query ?? '';
  const ordered = /(^|\^)ORDERBY/.test(query) ? query : `${query}${query === '' ? '' : '^'}ORDERBYsys_id`;
  const first = ctx.http.urlFor(tablePath(table), {
    ...renderQuery(opts),
    sysparm_query: ordered,
    sysparm_limit: opts.pageSize ?? 1000,
    sysparm_offset: 0,
  });
  yield* nextUrlPages<T>({
    firstUrl: first.toString(),
    fetchPage: async (url) => {
      const res = await ctx.http.request({ method: 'GET', path: url });
      return {
        items: result(res) as T[],
        nextUrl: nextLinkFromHeader(res.headers.get('link'), ctx.connection.baseUrl),
      };
    },
  });
}

/** GETs one page of records as the raw answer (for look-ups and poll triggers). */
export async function snQuery(
  ctx: ConnectorContext,
  table: string,
  query: Record<string, string | number>,
): Promise<{ records: unknown[]; headers: Headers }> {
  const res = await ctx.http.request({ method: 'GET', path: tablePath(table), query });
  const records = result(res);
  if (!Array.isArray(records))
    throw new WeftError({ code: 'internal', message: 'ServiceNow list "result" is not an array' });
  return { records, headers: res.headers };
}

export { result as snResult };
