import type { SandboxResponse } from '../common/server.js';
import type { MethodContext } from './chat.js';
import { workspace } from './ids.js';
import { bool, decodeCursor, encodeCursor, fail, int, okAnswer, type Params, str } from './params.js';
import { conversationOf, historyEntry, userOf } from './render.js';

/** `limit` within Slack's bounds, or the error for an unusable one. */
function pageSize(p: Params, opts: { fallback: number; max: number }): number | { error: string } {
  const limit = int(p, 'limit');
  if (limit === 'invalid' || (limit !== undefined && limit < 0)) return { error: 'invalid_limit' };
  // Slack treats 0 as "the default" and caps large values rather than refusing them.
  return limit === undefined || limit === 0 ? opts.fallback : Math.min(limit, opts.max);
}

/** Cursor paging over records in insertion order: the cursor names the seq to resume after. */
function seqPage<T>(
  items: { seq: number; data: T }[],
  cursor: string | undefined,
  limit: number,
  kind: string,
): { page: T[]; next: string } | { error: string } {
  let after = 0;
  if (cursor !== undefined && cursor !== '') {
    const decoded = decodeCursor(cursor, kind);
    if (decoded === undefined || !/^\d+$/.test(decoded)) return { error: 'invalid_cursor' };
    after = Number(decoded);
  }
  const rest = items.filter((i) => i.seq > after);
  const page = rest.slice(0, limit);
  const last = page.at(-1);
  return {
    page: page.map((i) => i.data),
    next: rest.length > limit && last ? encodeCursor(kind, last.seq) : '',
  };
}

/**
 * conversations.list: public channels by default; `types` may add `private_channel` (only those
 * the bot is in, as Slack shows them); `exclude_archived`; cursor paging, limit ≤ 1000.
 */
export function listConversations(p: Params, ctx: MethodContext): SandboxResponse {
  const limit = pageSize(p, { fallback: 100, max: 1000 });
  if (typeof limit !== 'number') return fail(limit.error);
  const types = new Set((str(p, 'types') ?? 'public_channel').split(',').map((t) => t.trim()));
  const excludeArchived = bool(p, 'exclude_archived') ?? false;
  const visible = ctx.ws.channels().filter(({ data: ch }) => {
    if (excludeArchived && ch.isArchived) return false;
    if (ch.isPrivate) return types.has('private_channel') && ch.members.includes(workspace.botUserId);
    return types.has('public_channel');
  });
  const result = seqPage(visible, str(p, 'cursor'), limit, 'team');
  if ('error' in result) return fail(result.error);
  return okAnswer({
    channels: result.page.map(conversationOf),
    response_metadata: { next_cursor: result.next },
  });
}

/** A channel the bot may read: reading history needs membership (channels:history / groups:history). */
function readable(ctx: MethodContext, p: Params) {
  const ch = ctx.ws.channel(str(p, 'channel') ?? '');
  if (ch === undefined || (ch.isPrivate && !ch.members.includes(workspace.botUserId)))
    return { error: 'channel_not_found' };
  if (!ch.members.includes(workspace.botUserId)) return { error: 'not_in_channel' };
  return ch;
}

/** `oldest`/`latest`: whole seconds or a message ts, in microseconds. */
function bound(p: Params, name: string, fallback: number): number | undefined {
  const raw = str(p, name);
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d+)(?:\.(\d{1,6}))?$/.exec(raw);
  return m ? Number(m[1]) * 1e6 + Number((m[2] ?? '').padEnd(6, '0')) : undefined;
}

/**
 * conversations.history: newest first between `oldest` and `latest`, `inclusive` bounds,
 * `has_more` and a `next_ts` cursor; metadata with `include_all_metadata` (or the app's own).
 */
export function history(p: Params, ctx: MethodContext): SandboxResponse {
  const ch = readable(ctx, p);
  if ('error' in ch) return fail(ch.error);
  const limit = pageSize(p, { fallback: 100, max: 999 });
  if (typeof limit !== 'number') return fail(limit.error);
  const oldest = bound(p, 'oldest', 0);
  let latest = bound(p, 'latest', ctx.nowMs * 1000 + 999);
  if (oldest === undefined) return fail('invalid_ts_oldest');
  if (latest === undefined) return fail('invalid_ts_latest');
  const inclusive = bool(p, 'inclusive') ?? false;
  let latestInclusive = inclusive;
  const cursor = str(p, 'cursor');
  if (cursor !== undefined && cursor !== '') {
    // The cursor names the first message of the next page.
    const at = decodeCursor(cursor, 'next_ts');
    if (at === undefined || !/^\d+$/.test(at)) return fail('invalid_cursor');
    latest = Number(at);
    latestInclusive = true;
  }
  const rows = ctx.ws.history({
    channel: ch.id,
    oldest,
    latest,
    oldestInclusive: inclusive,
    latestInclusive,
    limit: limit + 1,
  });
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  const includeAll = bool(p, 'include_all_metadata') ?? false;
  const next = hasMore ? rows[limit] : undefined;
  return okAnswer({
    messages: page.map((m) => historyEntry(m, includeAll)),
    has_more: hasMore,
    pin_count: 0,
    channel_actions_ts: null,
    channel_actions_count: 0,
    ...(next ? { response_metadata: { next_cursor: encodeCursor('next_ts', next.micros) } } : {}),
  });
}

/** conversations.replies: the parent then its replies, oldest first, with cursor paging. */
export function replies(p: Params, ctx: MethodContext): SandboxResponse {
  const ch = readable(ctx, p);
  if ('error' in ch) return fail(ch.error);
  const thread = ctx.ws.thread(ch.id, str(p, 'ts') ?? '');
  if (thread.length === 0) return fail('thread_not_found');
  const limit = pageSize(p, { fallback: 1000, max: 1000 });
  if (typeof limit !== 'number') return fail(limit.error);
  const result = seqPage(
    thread.map((m, i) => ({ seq: i + 1, data: m })),
    str(p, 'cursor'),
    limit,
    'reply',
  );
  if ('error' in result) return fail(result.error);
  const includeAll = bool(p, 'include_all_metadata') ?? false;
  return okAnswer({
    messages: result.page.map((m) => historyEntry(m, includeAll)),
    has_more: result.next !== '',
    response_metadata: { next_cursor: result.next },
  });
}

export function listUsers(p: Params, ctx: MethodContext): SandboxResponse {
  const limit = pageSize(p, { fallback: 200, max: 1000 });
  if (typeof limit !== 'number') return fail(limit.error);
  const result = seqPage(ctx.ws.users(), str(p, 'cursor'), limit, 'user');
  if ('error' in result) return fail(result.error);
  return okAnswer({
    members: result.page.map(userOf),
    cache_ts: Math.floor(ctx.nowMs / 1000),
    response_metadata: { next_cursor: result.next },
  });
}

export function lookupUserByEmail(p: Params, ctx: MethodContext): SandboxResponse {
  const user = ctx.ws.userByEmail(str(p, 'email') ?? '');
  return user ? okAnswer({ user: userOf(user) }) : fail('users_not_found');
}
