import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import type { ConnectorContext } from '../../connector/context.js';
import type { FormValue } from '../../connector/form-encoding.js';
import { cursorPages } from '../../connector/pagination.js';
import { stripeList, stripeSearchResult } from './schemas.js';

/**
 * Builders for the five action shapes every Stripe resource shares (retrieve, list, search,
 * create, update), so each resource file only states its path, schemas and parameters.
 */

type Params = Record<string, FormValue>;

/** Stripe ids are opaque but never contain `/`; checking keeps an id from rewriting the path. */
const StripeId = z.string().regex(/^[A-Za-z0-9_]+$/, 'not a Stripe id');

/** Paging and `created` filters every list endpoint accepts. */
export const ListParams = z.object({
  limit: z.number().int().min(1).max(100).optional(),
  starting_after: z.string().optional(),
  ending_before: z.string().optional(),
  created: z
    .object({ gt: z.number().int(), gte: z.number().int(), lt: z.number().int(), lte: z.number().int() })
    .partial()
    .optional(),
});

export function retrieveAction<O extends z.ZodType>(opts: {
  name: string;
  path: string;
  object: O;
  noun: string;
}) {
  return defineAction({
    kind: 'read',
    name: opts.name,
    description: `Retrieve one ${opts.noun} by id`,
    input: z.object({ id: StripeId }),
    output: opts.object,
    run: async (ctx, input) =>
      (await ctx.http.request({ method: 'GET', path: `${opts.path}/${input.id}` })).body,
  });
}

export function listAction<O extends z.ZodType, F extends z.ZodObject>(opts: {
  name: string;
  path: string;
  object: O;
  noun: string;
  filters: F;
}) {
  return defineAction({
    kind: 'read',
    name: opts.name,
    description: `List ${opts.noun}s, newest first, one page (starting_after/has_more)`,
    input: ListParams.extend(opts.filters.shape),
    output: stripeList(opts.object),
    run: async (ctx, input) =>
      (await ctx.http.request({ method: 'GET', path: opts.path, query: toQuery(input) })).body,
  });
}

export function searchAction<O extends z.ZodType>(opts: {
  name: string;
  path: string;
  object: O;
  noun: string;
}) {
  return defineAction({
    kind: 'read',
    name: opts.name,
    description: `Search ${opts.noun}s with Stripe's search query language (eventually consistent)`,
    input: z.object({
      query: z.string().min(1),
      limit: z.number().int().min(1).max(100).optional(),
      page: z.string().optional(),
    }),
    output: stripeSearchResult(opts.object),
    run: async (ctx, input) =>
      (await ctx.http.request({ method: 'GET', path: `${opts.path}/search`, query: toQuery(input) })).body,
  });
}

/** Creates are made safe to retry by Stripe's own `Idempotency-Key`. */
export function createAction<I extends z.ZodObject, O extends z.ZodType>(opts: {
  name: string;
  path: string;
  input: I;
  object: O;
  noun: string;
}) {
  return defineAction({
    kind: 'write',
    name: opts.name,
    description: `Create a ${opts.noun}`,
    input: opts.input,
    output: opts.object,
    idempotency: { strategy: 'native-key' },
    run: async (ctx, input, call) =>
      (
        await ctx.http.request({
          method: 'POST',
          path: opts.path,
          form: input as Params,
          idempotencyKey: call.idempotencyKey,
        })
      ).body,
  });
}

/** Updates are POSTs too, so the same key makes a retried update apply once. */
export function updateAction<I extends z.ZodObject, O extends z.ZodType>(opts: {
  name: string;
  path: string;
  input: I;
  object: O;
  noun: string;
}) {
  return defineAction({
    kind: 'write',
    name: opts.name,
    description: `Update a ${opts.noun}; unset a metadata key by sending it as null`,
    input: opts.input.extend({ id: StripeId }),
    output: opts.object,
    idempotency: { strategy: 'native-key' },
    run: async (ctx, input, call) => {
      const { id, ...fields } = input as { id: string } & Params;
      return (
        await ctx.http.request({
          method: 'POST',
          path: `${opts.path}/${id}`,
          form: fields,
          idempotencyKey: call.idempotencyKey,
        })
      ).body;
    },
  });
}

/**
 * Every object of a list endpoint, following `starting_after` until `has_more` is false.
 *
 * @example
 * for await (const c of stripeListAll(ctx, '/v1/customers', { email: 'a@b.c' })) console.log(c);
 */
export async function* stripeListAll<T extends { id: string }>(
  ctx: ConnectorContext,
  path: string,
  params: Record<string, FormValue> = {},
): AsyncGenerator<T> {
  yield* cursorPages<T>({
    fetchPage: async (cursor) => {
      const query = toQuery({ limit: 100, ...params, ...(cursor ? { starting_after: cursor } : {}) });
      const page = (await ctx.http.request<{ data: T[]; has_more: boolean }>({ method: 'GET', path, query }))
        .body;
      const last = page.data.at(-1);
      return { items: page.data, nextCursor: page.has_more && last ? last.id : undefined };
    },
  });
}

/** Flattens nested filters into Stripe's bracket query keys (`created[gte]=…`). */
export function toQuery(params: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    const key = prefix === '' ? k : `${prefix}[${k}]`;
    if (typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, toQuery(v as Record<string, unknown>, key));
    else out[key] = String(v);
  }
  return out;
}
