import type { SandboxResponse } from '../common/server.js';
import { readContent } from './content.js';
import { microsFromTs, workspace } from './ids.js';
import { bool, fail, okAnswer, type Params, str, structured } from './params.js';
import { botProfile } from './render.js';
import type {
  ChannelRecord,
  MessageMetadata,
  MessageRecord,
  SlackMessage,
  SlackWorkspace,
} from './workspace.js';

/** What a Web API method may use: the workspace data, the clock and the Events API emitter. */
export interface MethodContext {
  ws: SlackWorkspace;
  nowMs: number;
  emit(event: Record<string, unknown> & { type: string }): void;
}

/** A channel the bot may post in: public ones (chat:write.public) or private ones it belongs to. */
function postable(ws: SlackWorkspace, channel: string | undefined): ChannelRecord | { error: string } {
  const ch = channel === undefined ? undefined : ws.channel(channel);
  if (ch === undefined || (ch.isPrivate && !ch.members.includes(workspace.botUserId)))
    return { error: 'channel_not_found' };
  if (ch.isArchived) return { error: 'is_archived' };
  return ch;
}

function readMetadata(p: Params): MessageMetadata | null | 'invalid' {
  const raw = structured(p, 'metadata');
  if (raw === undefined || raw === null) return null;
  if (raw === 'invalid' || typeof raw !== 'object') return 'invalid';
  const { event_type, event_payload } = raw as Record<string, unknown>;
  if (typeof event_type !== 'string' || !/^[A-Za-z0-9_]{1,255}$/.test(event_type)) return 'invalid';
  if (typeof event_payload !== 'object' || event_payload === null || Array.isArray(event_payload))
    return 'invalid';
  return { event_type, event_payload: event_payload as Record<string, unknown> };
}

function channelType(ch: ChannelRecord): string {
  return ch.isPrivate ? 'group' : 'channel';
}

/**
 * Stores a message in a channel (or thread), updates the thread parent's reply counts, and
 * emits the `message` event. Shared by chat.postMessage, incoming webhooks and the admin route
 * that lets a seeded user speak.
 */
export function storeMessage(
  ctx: MethodContext,
  opts: {
    channel: ChannelRecord;
    message: Record<string, unknown> & { type: 'message'; text: string };
    threadTs?: string;
    broadcast?: boolean;
    metadata?: MessageMetadata | null;
    appId?: string | null;
  },
): MessageRecord {
  const { ws, nowMs } = ctx;
  const ts = ws.nextTs(opts.channel.id, nowMs);
  const parent = opts.threadTs === undefined ? undefined : ws.message(opts.channel.id, opts.threadTs);
  const message: SlackMessage = {
    ...opts.message,
    ts,
    ...(parent
      ? {
          thread_ts: parent.ts,
          parent_user_id: (parent.message.user as string | undefined) ?? workspace.botUserId,
          ...(opts.broadcast ? { subtype: 'thread_broadcast' } : {}),
        }
      : {}),
  };
  const record = ws.addMessage({
    channel: opts.channel.id,
    ts,
    parentTs: parent?.ts ?? null,
    metadata: opts.metadata ?? null,
    appId: opts.appId ?? null,
    message,
  });
  if (parent) {
    const replier = (message.user as string | undefined) ?? workspace.botUserId;
    const users = [...new Set([...((parent.message.reply_users as string[] | undefined) ?? []), replier])];
    const updated: MessageRecord = {
      ...parent,
      message: {
        ...parent.message,
        thread_ts: parent.ts,
        reply_count: ((parent.message.reply_count as number | undefined) ?? 0) + 1,
        reply_users: users,
        reply_users_count: users.length,
        latest_reply: ts,
      },
    };
    ws.updateMessage(updated, nowMs);
  }
  ctx.emit({
    ...message,
    channel: opts.channel.id,
    event_ts: ts,
    channel_type: channelType(opts.channel),
    team: workspace.teamId,
  });
  return record;
}

export function postMessage(p: Params, ctx: MethodContext): SandboxResponse {
  const ch = postable(ctx.ws, str(p, 'channel'));
  if ('error' in ch) return fail(ch.error);
  const content = readContent(p);
  if ('error' in content) return fail(content.error);
  const metadata = readMetadata(p);
  if (metadata === 'invalid') return fail('invalid_metadata_format');
  const threadTs = str(p, 'thread_ts');
  if (threadTs !== undefined && threadTs !== '') {
    if (microsFromTs(threadTs) === undefined) return fail('invalid_thread_ts');
    if (ctx.ws.message(ch.id, threadTs) === undefined) return fail('thread_not_found');
  }
  const username = str(p, 'username');
  const iconEmoji = str(p, 'icon_emoji');
  const record = storeMessage(ctx, {
    channel: ch,
    message: {
      type: 'message',
      text: content.text,
      user: workspace.botUserId,
      bot_id: workspace.botId,
      team: workspace.teamId,
      bot_profile: botProfile(),
      ...(content.blocks ? { blocks: content.blocks } : {}),
      ...(content.attachments ? { attachments: content.attachments } : {}),
      ...(username ? { username } : {}),
      ...(iconEmoji ? { icons: { emoji: iconEmoji } } : {}),
    },
    ...(threadTs ? { threadTs } : {}),
    broadcast: bool(p, 'reply_broadcast') ?? false,
    metadata,
    appId: workspace.appId,
  });
  // chat.postMessage answers with the message as posted; metadata is readable through history.
  return okAnswer({ channel: ch.id, ts: record.ts, message: record.message });
}

/** The bot's own message at (channel, ts), or the error Slack gives for it. */
function ownMessage(
  ctx: MethodContext,
  p: Params,
  refusal: string,
): { ch: ChannelRecord; record: MessageRecord } | { error: string } {
  const ch = ctx.ws.channel(str(p, 'channel') ?? '');
  if (ch === undefined) return { error: 'channel_not_found' };
  const record = ctx.ws.message(ch.id, str(p, 'ts') ?? '');
  if (record === undefined) return { error: 'message_not_found' };
  if (record.message.user !== workspace.botUserId) return { error: refusal };
  return { ch, record };
}

export function updateMessage(p: Params, ctx: MethodContext): SandboxResponse {
  const found = ownMessage(ctx, p, 'cant_update_message');
  if ('error' in found) return fail(found.error);
  const { ch, record } = found;
  const content = readContent(p);
  if ('error' in content) return fail(content.error);
  const metadata = readMetadata(p);
  if (metadata === 'invalid') return fail('invalid_metadata_format');
  const { blocks: _b, attachments: _a, ...kept } = record.message;
  const editTs = ctx.ws.nextTs(`${ch.id}:edits`, ctx.nowMs);
  const message: SlackMessage = { ...kept, ...content, edited: { user: workspace.botUserId, ts: editTs } };
  const updated: MessageRecord = { ...record, message, metadata: metadata ?? record.metadata };
  ctx.ws.updateMessage(updated, ctx.nowMs);
  ctx.emit({
    type: 'message',
    subtype: 'message_changed',
    hidden: true,
    channel: ch.id,
    message,
    previous_message: record.message,
    ts: editTs,
    event_ts: editTs,
    channel_type: channelType(ch),
  });
  return okAnswer({ channel: ch.id, ts: record.ts, text: message.text, message });
}

export function deleteMessage(p: Params, ctx: MethodContext): SandboxResponse {
  const found = ownMessage(ctx, p, 'cant_delete_message');
  if ('error' in found) return fail(found.error);
  const { ch, record } = found;
  ctx.ws.deleteMessage(ch.id, record.ts);
  const eventTs = ctx.ws.nextTs(`${ch.id}:edits`, ctx.nowMs);
  ctx.emit({
    type: 'message',
    subtype: 'message_deleted',
    hidden: true,
    channel: ch.id,
    deleted_ts: record.ts,
    previous_message: record.message,
    ts: eventTs,
    event_ts: eventTs,
    channel_type: channelType(ch),
  });
  return okAnswer({ channel: ch.id, ts: record.ts });
}

/** Ephemeral messages are shown to one member of the channel and never stored. */
export function postEphemeral(p: Params, ctx: MethodContext): SandboxResponse {
  const ch = postable(ctx.ws, str(p, 'channel'));
  if ('error' in ch) return fail(ch.error);
  const user = str(p, 'user') ?? '';
  if (ctx.ws.user(user) === undefined || !ch.members.includes(user)) return fail('user_not_in_channel');
  const content = readContent(p);
  if ('error' in content) return fail(content.error);
  return okAnswer({ message_ts: ctx.ws.nextTs(`${ch.id}:ephemeral`, ctx.nowMs) });
}
