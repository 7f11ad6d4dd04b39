import type { ConnectorContext } from '../../connector/context.js';
import type { QueryValue } from '../../connector/http-client.js';
import { cursorPages } from '../../connector/pagination.js';
import { slackApiError } from './errors.js';

/**
 * One Web API call: reads as GET with query arguments, writes as POST with a JSON body
 * (`https://slack.com/api/<method>`). Resolves with the body when `ok` is true; an `{ok:false}`
 * answer (HTTP 200) becomes the classified error.
 *
 * @example
 * const who = await slackCall<{ user_id: string }>(ctx, 'auth.test', { query: {} });
 */
export async function slackCall<T extends object = Record<string, unknown>>(
  ctx: ConnectorContext,
  method: string,
  args: { json: Record<string, unknown> } | { query: Record<string, QueryValue> },
): Promise<T & { ok: true }> {
  const res = await ctx.http.request<unknown>(
    'json' in args
      ? { method: 'POST', path: `/${method}`, json: withoutUndefined(args.json) }
      : { method: 'GET', path: `/${method}`, query: args.query },
  );
  const body = res.body;
  if (typeof body !== 'object' || body === null || (body as { ok?: unknown }).ok !== true)
    throw slackApiError(method, body);
  return body as T & { ok: true };
}

function withoutUndefined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/**
 * Every item of a cursor-paged method (`response_metadata.next_cursor` until empty).
 *
 * @example
 * for await (const ch of slackListAll(ctx, 'conversations.list', 'channels', { types: 'public_channel' })) …
 */
export async function* slackListAll<T>(
  ctx: ConnectorContext,
  method: string,
  field: string,
  query: Record<string, QueryValue> = {},
): AsyncGenerator<T> {
  yield* cursorPages<T>({
    fetchPage: async (cursor) => {
      const page = await slackCall<Record<string, unknown>>(ctx, method, {
        query: { limit: 200, ...query, ...(cursor ? { cursor } : {}) },
      });
      const next = (page.response_metadata as { next_cursor?: string } | undefined)?.next_cursor;
      return { items: (page[field] as T[] | undefined) ?? [], nextCursor: next ? next : undefined };
    },
  });
}
