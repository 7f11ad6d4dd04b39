import { workspace } from './ids.js';
import type { ChannelRecord, MessageRecord, UserRecord } from './workspace.js';

/** Slack's conversation object for a public or private channel (objs_conversation). */
export function conversationOf(ch: ChannelRecord) {
  return {
    id: ch.id,
    name: ch.name,
    is_channel: !ch.isPrivate,
    is_group: false,
    is_im: false,
    is_mpim: false,
    is_private: ch.isPrivate,
    created: ch.created,
    is_archived: ch.isArchived,
    is_general: ch.isGeneral,
    unlinked: 0,
    name_normalized: ch.name,
    is_shared: false,
    is_org_shared: false,
    is_pending_ext_shared: false,
    pending_shared: [],
    parent_conversation: null,
    creator: ch.creator,
    is_ext_shared: false,
    shared_team_ids: [workspace.teamId],
    pending_connected_team_ids: [],
    is_member: ch.members.includes(workspace.botUserId),
    topic: { value: ch.topic, creator: ch.topic ? ch.creator : '', last_set: ch.topic ? ch.created : 0 },
    purpose: {
      value: ch.purpose,
      creator: ch.purpose ? ch.creator : '',
      last_set: ch.purpose ? ch.created : 0,
    },
    previous_names: [],
    num_members: ch.members.length,
  };
}

/** The bot's profile as Slack attaches it to the bot's messages (objs_bot_profile). */
export function botProfile() {
  const icon = 'https://a.slack-edge.com/80588/img/plugins/app/bot_';
  return {
    id: workspace.botId,
    deleted: false,
    name: workspace.botName,
    updated: 1_700_000_000,
    app_id: workspace.appId,
    icons: { image_36: `${icon}36.png`, image_48: `${icon}48.png`, image_72: `${icon}72.png` },
    team_id: workspace.teamId,
  };
}

/** A history entry: the message, plus its metadata when the caller may see it. */
export function historyEntry(m: MessageRecord, includeAllMetadata: boolean) {
  const visible = m.metadata !== null && (includeAllMetadata || m.appId === workspace.appId);
  return visible ? { ...m.message, metadata: m.metadata } : m.message;
}

/** Slack's user object (users.list, users.lookupByEmail). */
export function userOf(u: UserRecord) {
  return {
    id: u.id,
    team_id: workspace.teamId,
    name: u.name,
    deleted: false,
    real_name: u.realName,
    tz: u.tz,
    is_admin: false,
    is_owner: false,
    is_bot: u.isBot,
    is_app_user: false,
    updated: u.updated,
    profile: {
      title: u.title,
      real_name: u.realName,
      display_name: u.displayName,
      ...(u.email === null ? {} : { email: u.email }),
      ...(u.botId === null ? {} : { bot_id: u.botId }),
      team: workspace.teamId,
    },
  };
}
/** auth.test for the bot token: who the caller is, in which workspace. */
export function auth() {
  return {
    url: `https://${workspace.domain}.slack.com/`,
    team: workspace.teamName,
    user: workspace.botName,
    team_id: workspace.teamId,
    user_id: workspace.botUserId,
    bot_id: workspace.botId,
    is_enterprise_install: false,
  };
}
