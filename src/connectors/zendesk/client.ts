import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ConnectorContext } from '../../connector/context.js';
import type { ConnectorRequest, ConnectorResponse } from '../../connector/http-client.js';
import { cursorPages } from '../../connector/pagination.js';
import { WeftError } from '../../contract/errors.js';

/** Placeholder default: every Zendesk account has its own host, so the Connection must name it. */
export const zendeskPlaceholderBaseUrl = 'https://your-subdomain.zendesk.com';

/** Zendesk ids are positive integers; checking keeps an id from rewriting the path. */
export const ZendeskId = z.number().int().positive();

/**
 * Sends one request to the Connection's Zendesk, refusing early when the Connection still points
 * at the placeholder host (a clearer verdict than a DNS failure).
 */
export async function zendeskRequest<T = unknown>(
  ctx: ConnectorContext,
  req: ConnectorRequest,
): Promise<ConnectorResponse<T>> {
  if (ctx.connection.baseUrl.startsWith(zendeskPlaceholderBaseUrl)) {
    throw new WeftError({
      code: 'invalid_input',
      message: `Zendesk connection ${ctx.connection.id} needs baseUrl https://{subdomain}.zendesk.com`,
    });
  }
  return ctx.http.request<T>(req);
}

/**
 * The tag a write carries so a retry can tell whether the earlier attempt landed. Tags are
 * lower-case words; a hash keeps the key itself (run and step ids) out of the ticket.
 *
 * @example
 * idempotencyTag('run-1:step-2:0') // 'weft_3f0c…' (16 hex digits)
 */
export function idempotencyTag(key: string): string {
  return `weft_${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/**
 * Every record of a cursor-paged list (`page[size]`, `page[after]`, `meta.has_more`).
 *
 * @example
 * for await (const t of zendeskListAll(ctx, '/api/v2/tickets', 'tickets')) console.log(t);
 */
export async function* zendeskListAll<T>(
  ctx: ConnectorContext,
  path: string,
  collection: string,
  opts: { pageSize?: number; query?: Record<string, string> } = {},
): AsyncGenerator<T> {
  yield* cursorPages<T>({
    fetchPage: async (cursor) => {
      const query = {
        ...opts.query,
        'page[size]': opts.pageSize ?? 100,
        ...(cursor === undefined ? {} : { 'page[after]': cursor }),
      };
      const { body } = await zendeskRequest<Record<string, unknown>>(ctx, { method: 'GET', path, query });
      const page = z
        .looseObject({ meta: z.looseObject({ has_more: z.boolean(), after_cursor: z.string().nullable() }) })
        .parse(body);
      const items = (Array.isArray(body[collection]) ? body[collection] : []) as T[];
      return {
        items,
        nextCursor:
          page.meta.has_more && page.meta.after_cursor !== null ? page.meta.after_cursor : undefined,
      };
    },
  });
}

/** True when a Zendesk read said the record is gone (404). */
export function isNotFound(err: unknown): boolean {
  return err instanceof WeftError && err.code === 'not_found';
}
