import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import type { ConnectorContext } from '../../connector/context.js';
import { nextUrlPages } from '../../connector/pagination.js';
import { type SuiteQlPage as Page, SuiteQlPage } from './schemas.js';

const path = '/query/v1/suiteql';

/** One page of a SuiteQL query. `Prefer: transient` is required by NetSuite for SuiteQL. */
export async function suiteQlPage(
  ctx: ConnectorContext,
  q: string,
  page: { limit?: number; offset?: number } = {},
): Promise<Page> {
  const res = await ctx.http.request({
    method: 'POST',
    path,
    query: { limit: page.limit, offset: page.offset },
    json: { q },
    headers: { prefer: 'transient' },
  });
  return SuiteQlPage.parse(res.body);
}

/**
 * Every row of a query, following `links[rel=next]` (the same body POSTed to the next URL) until
 * `hasMore` is false. NetSuite stops at 100,000 rows per query: page larger sets by a keyset
 * (`WHERE id > :last ORDER BY id`) instead.
 *
 * @example
 * for await (const row of suiteQlRows(ctx, 'SELECT id, email FROM customer ORDER BY id')) console.log(row.email);
 */
export async function* suiteQlRows(
  ctx: ConnectorContext,
  q: string,
  pageSize = 1000,
): AsyncGenerator<Record<string, unknown>> {
  yield* nextUrlPages<Record<string, unknown>>({
    firstUrl: ctx.http.urlFor(path, { limit: pageSize, offset: 0 }).toString(),
    fetchPage: async (url) => {
      const res = await ctx.http.request({
        method: 'POST',
        path: url,
        json: { q },
        headers: { prefer: 'transient' },
      });
      const page = SuiteQlPage.parse(res.body);
      const next = page.hasMore ? page.links.find((l) => l.rel === 'next')?.href : undefined;
      return { items: page.items.map(withoutLinks), nextUrl: next };
    },
  });
}

export function withoutLinks(row: Record<string, unknown>): Record<string, unknown> {
  const { links: _links, ...rest } = row;
  return rest;
}

export const suiteQlActions = {
  'suiteql.query': defineAction({
    kind: 'read',
    name: 'suiteql.query',
    description:
      'Run a SuiteQL SELECT; one page (limit ≤ 1000, offset), rows as lower-case columns with string values',
    input: z.object({
      q: z
        .string()
        .min(1)
        .regex(/^\s*select\b/i, 'SuiteQL runs SELECT statements only'),
      limit: z.number().int().min(1).max(1000).optional(),
      offset: z.number().int().min(0).optional(),
    }),
    output: SuiteQlPage,
    run: (ctx, input) =>
      suiteQlPage(ctx, input.q, {
        ...(input.limit === undefined ? {} : { limit: input.limit }),
        ...(input.offset === undefined ? {} : { offset: input.offset }),
      }),
  }),
};
