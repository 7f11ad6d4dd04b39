import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import type { ConnectorContext } from '../../connector/context.js';
import { ResponseMetadata, SlackConversation, SlackMessage, SlackTs } from './schemas.js';
import { slackCall, slackListAll } from './web-api.js';

const channelId = /^[CGD][A-Z0-9]{2,}$/;

/**
 * A channel id for `#name` or `name` (looked up in conversations.list, public and private the
 * bot is in); ids pass through. Undefined when no such channel is visible.
 */
export async function resolveChannelId(ctx: ConnectorContext, channel: string): Promise<string | undefined> {
  if (channelId.test(channel)) return channel;
  const name = channel.replace(/^#/, '');
  for await (const c of slackListAll<SlackConversation>(ctx, 'conversations.list', 'channels', {
    types: 'public_channel,private_channel',
    exclude_archived: true,
    limit: 1000,
  })) {
    if (c.name === name) return c.id;
  }
  return undefined;
}

export const conversationActions = {
  'conversations.list': defineAction({
    kind: 'read',
    name: 'conversations.list',
    description: 'One page of channels (cursor paging via response_metadata.next_cursor)',
    input: z.object({
      limit: z.number().int().min(1).max(1000).optional(),
      cursor: z.string().optional(),
      types: z.string().optional(),
      exclude_archived: z.boolean().optional(),
    }),
    output: z.looseObject({
      ok: z.literal(true),
      channels: z.array(SlackConversation),
      response_metadata: ResponseMetadata,
    }),
    run: (ctx, input) => slackCall(ctx, 'conversations.list', { query: input }),
  }),
  'conversations.history': defineAction({
    kind: 'read',
    name: 'conversations.history',
    description: 'One page of a channel’s messages, newest first (the bot must be a member)',
    input: z.object({
      channel: z.string().min(1),
      limit: z.number().int().min(1).max(999).optional(),
      cursor: z.string().optional(),
      oldest: SlackTs.optional(),
      latest: SlackTs.optional(),
      inclusive: z.boolean().optional(),
      include_all_metadata: z.boolean().optional(),
    }),
    output: z.looseObject({
      ok: z.literal(true),
      messages: z.array(SlackMessage),
      has_more: z.boolean(),
      response_metadata: ResponseMetadata,
    }),
    run: async (ctx, input) => {
      const channel = (await resolveChannelId(ctx, input.channel)) ?? input.channel;
      return slackCall(ctx, 'conversations.history', { query: { ...input, channel } });
    },
  }),
};
