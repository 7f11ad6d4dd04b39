import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { confidential } from '../../connector/classification.js';
import type { ConnectorContext } from '../../connector/context.js';
import { WeftError } from '../../contract/errors.js';
import { resolveChannelId } from './conversations.js';
import { SlackBlock, SlackMessage, SlackMetadata, SlackTs } from './schemas.js';
import { slackCall } from './web-api.js';

/** The event_payload field carrying Weft's idempotency key on every message it posts. */
export const idempotencyKeyField = 'weft_idempotency_key';
/** event_type used when the flow gives no metadata of its own. */
export const defaultEventType = 'weft_message';
/** How far back a retry looks for its earlier attempt, and how many messages at most. */
const lookback = { seconds: 7 * 86_400, pages: 5, pageSize: 200 };

const Content = {
  text: confidential(z.string().max(40_000)).optional(),
  blocks: z.array(SlackBlock).max(50).optional(),
  attachments: z.array(z.record(z.string(), z.unknown())).max(100).optional(),
};
const hasContent = (i: {
  text?: string | undefined;
  blocks?: unknown[] | undefined;
  attachments?: unknown[] | undefined;
}) => (i.text ?? '').trim() !== '' || (i.blocks?.length ?? 0) > 0 || (i.attachments?.length ?? 0) > 0;
const needsContent = { message: 'give text, blocks or attachments' };

export const PostMessageInput = z
  .object({
    /** A channel id (`C…`) or `#name`. */
    channel: z.string().min(1),
    ...Content,
    thread_ts: SlackTs.optional(),
    reply_broadcast: z.boolean().optional(),
    mrkdwn: z.boolean().optional(),
    unfurl_links: z.boolean().optional(),
    unfurl_media: z.boolean().optional(),
    username: z.string().optional(),
    icon_emoji: z.string().optional(),
    icon_url: z.url().optional(),
    /** The flow's own metadata; Weft adds its idempotency key to `event_payload`. */
    metadata: SlackMetadata.optional(),
  })
  .refine(hasContent, needsContent);
export type PostMessageInput = z.infer<typeof PostMessageInput>;

export const PostMessageResult = z.looseObject({
  ok: z.literal(true),
  channel: z.string(),
  ts: SlackTs,
  message: SlackMessage,
});
export type PostMessageResult = z.infer<typeof PostMessageResult>;

/**
 * The ledger look-up of chat.postMessage: Slack has no idempotency key, so every post carries
 * Weft's key in its message metadata, and a retry first reads the channel's recent history (the
 * thread's replies for a thread reply) for a message with that key. Reading history needs the
 * bot in the channel; when it is not, the retry stops (forbidden) rather than risk a double post.
 */
export async function findPostedMessage(
  ctx: ConnectorContext,
  input: Pick<PostMessageInput, 'channel' | 'thread_ts'>,
  key: string,
): Promise<PostMessageResult | undefined> {
  const channel = await resolveChannelId(ctx, input.channel);
  if (channel === undefined) return undefined;
  const method = input.thread_ts ? 'conversations.replies' : 'conversations.history';
  let cursor: string | undefined;
  for (let page = 0; page < lookback.pages; page++) {
    let body: { messages?: unknown[]; response_metadata?: { next_cursor?: string } };
    try {
      body = await slackCall(ctx, method, {
        query: {
          channel,
          limit: lookback.pageSize,
          include_all_metadata: true,
          ...(input.thread_ts
            ? { ts: input.thread_ts }
            : { oldest: String(Math.floor(ctx.now() / 1000) - lookback.seconds) }),
          ...(cursor ? { cursor } : {}),
        },
      });
    } catch (err) {
      if (err instanceof WeftError && err.code === 'forbidden') {
        throw new WeftError({
          code: 'forbidden',
          message: `Slack ${method} refused (${String(err.details.slackError)}): cannot check whether the earlier attempt posted; invite the bot to the channel and grant channels:history/groups:history`,
          details: err.details,
        });
      }
      throw err;
    }
    for (const raw of body.messages ?? []) {
      const m = SlackMessage.safeParse(raw);
      if (m.success && m.data.metadata?.event_payload[idempotencyKeyField] === key) {
        return { ok: true, channel, ts: m.data.ts, message: m.data };
      }
    }
    cursor = body.response_metadata?.next_cursor;
    if (!cursor) return undefined;
  }
  return undefined;
}

export const chatActions = {
  'chat.postMessage': defineAction({
    kind: 'write',
    name: 'chat.postMessage',
    description: 'Post a message to a channel or thread; the idempotency key rides in message metadata',
    input: PostMessageInput,
    output: PostMessageResult,
    idempotency: {
      strategy: 'ledger',
      lookup: (ctx, input, key) => findPostedMessage(ctx, input, key),
    },
    run: async (ctx, input, call) => {
      const metadata = {
        event_type: input.metadata?.event_type ?? defaultEventType,
        event_payload: {
          ...(input.metadata?.event_payload ?? {}),
          [idempotencyKeyField]: call.idempotencyKey,
        },
      };
      return slackCall(ctx, 'chat.postMessage', { json: { ...input, metadata } });
    },
  }),
  'chat.update': defineAction({
    kind: 'write',
    name: 'chat.update',
    description: 'Replace the content of a message the bot posted (addressed by channel id + ts)',
    input: z
      .object({ channel: z.string().min(1), ts: SlackTs, ...Content, metadata: SlackMetadata.optional() })
      .refine(hasContent, needsContent),
    output: z.looseObject({
      ok: z.literal(true),
      channel: z.string(),
      ts: SlackTs,
      text: z.string().optional(),
    }),
    // Setting a message's content to the same value again converges: the ts is the key.
    idempotency: { strategy: 'upsert', externalIdField: 'ts' },
    run: (ctx, input) => slackCall(ctx, 'chat.update', { json: { ...input } }),
  }),
  'chat.delete': defineAction({
    kind: 'write',
    name: 'chat.delete',
    description: 'Delete a message the bot posted (addressed by channel id + ts)',
    input: z.object({ channel: z.string().min(1), ts: SlackTs }),
    output: z.looseObject({ ok: z.literal(true), channel: z.string(), ts: SlackTs }),
    // Deleting is keyed by the ts: a retry that finds the message gone was already applied.
    idempotency: { strategy: 'upsert', externalIdField: 'ts' },
    run: async (ctx, input, call) => {
      try {
        return await slackCall(ctx, 'chat.delete', { json: { ...input } });
      } catch (err) {
        if (call.attempt > 1 && err instanceof WeftError && err.details.slackError === 'message_not_found')
          return { ok: true, channel: input.channel, ts: input.ts };
        throw err;
      }
    },
  }),
};
