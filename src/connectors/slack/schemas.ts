import { z } from 'zod';
import { confidential, pii } from '../../connector/classification.js';

/**
 * Slack objects as Weft reads them. Loose objects: Slack adds fields freely; only what flows rely
 * on is typed. Message text is confidential business talk; names and emails are personal data.
 */

/** A message timestamp, `1712345678.123456`: with the channel, the message's address. */
export const SlackTs = z.string().regex(/^\d{10}\.\d{6}$/, 'not a Slack ts');

/** Message metadata (chat.postMessage `metadata`): how Weft marks its writes for the ledger look-up. */
export const SlackMetadata = z.object({
  event_type: z.string().regex(/^[A-Za-z0-9_]{1,255}$/),
  event_payload: confidential(z.record(z.string(), z.unknown())),
});

export const SlackBlock = z.looseObject({ type: z.string() });

export const SlackMessage = z.looseObject({
  type: z.string(),
  ts: SlackTs,
  text: confidential(z.string()).optional(),
  user: z.string().optional(),
  bot_id: z.string().nullable().optional(),
  subtype: z.string().optional(),
  thread_ts: SlackTs.optional(),
  blocks: z.array(SlackBlock).optional(),
  metadata: SlackMetadata.optional(),
});
export type SlackMessage = z.infer<typeof SlackMessage>;

const TopicPurpose = z.looseObject({ value: z.string() });
export const SlackConversation = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  is_private: z.boolean().optional(),
  is_archived: z.boolean().optional(),
  is_member: z.boolean().optional(),
  created: z.number().int(),
  topic: TopicPurpose.optional(),
  purpose: TopicPurpose.optional(),
  num_members: z.number().int().optional(),
});
export type SlackConversation = z.infer<typeof SlackConversation>;

export const SlackUser = z.looseObject({
  id: z.string(),
  name: pii(z.string()),
  real_name: pii(z.string()).optional(),
  is_bot: z.boolean().optional(),
  deleted: z.boolean().optional(),
  profile: z
    .looseObject({
      email: pii(z.string()).optional(),
      display_name: pii(z.string()).optional(),
      real_name: pii(z.string()).optional(),
    })
    .optional(),
});
export type SlackUser = z.infer<typeof SlackUser>;

/** `response_metadata.next_cursor`: empty (or absent) on the last page. */
export const ResponseMetadata = z.looseObject({ next_cursor: z.string().optional() }).optional();

/**
 * One Events API delivery (`event_callback`, per slack_common_event_wrapper_schema.json).
 * `authed_users` is deprecated in favour of `authorizations`, so neither is required here.
 */
export const SlackEventCallback = z.looseObject({
  type: z.literal('event_callback'),
  token: z.string(),
  team_id: z.string(),
  api_app_id: z.string(),
  event_id: z.string(),
  event_time: z.number().int(),
  event: z.looseObject({
    type: z.string(),
    event_ts: z.string().optional(),
    channel: z.string().optional(),
    user: z.string().optional(),
    text: confidential(z.string()).optional(),
    ts: z.string().optional(),
  }),
  authed_users: z.array(z.string()).optional(),
});
export type SlackEventCallback = z.infer<typeof SlackEventCallback>;
