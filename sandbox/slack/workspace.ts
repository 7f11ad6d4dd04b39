import type { RecordStore, StoredRecord } from '../common/record-store.js';
import { microsFromTs, slackId, tsFromMicros, workspace } from './ids.js';

/** A channel as the sandbox keeps it; rendered to Slack's conversation object on the way out. */
export interface ChannelRecord {
  id: string;
  name: string;
  created: number;
  creator: string;
  isPrivate: boolean;
  isArchived: boolean;
  isGeneral: boolean;
  topic: string;
  purpose: string;
  members: string[];
}

/** Message metadata as Slack stores it (`chat.postMessage` `metadata`). */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/** A Slack message object (`type`, `text`, `ts`, and whatever else the poster gave). */
export type SlackMessage = Record<string, unknown> & { type: 'message'; text: string; ts: string };

export interface MessageRecord {
  channel: string;
  ts: string;
  /** `ts` as an integer, for ordering and paging. */
  micros: number;
  /** Set on replies only (a parent's own `thread_ts` lives in `message`). */
  parentTs: string | null;
  /** Shown in history only with `include_all_metadata` or to the app that posted it. */
  metadata: MessageMetadata | null;
  appId: string | null;
  message: SlackMessage;
}

export interface UserRecord {
  id: string;
  name: string;
  realName: string;
  displayName: string;
  email: string | null;
  isBot: boolean;
  botId: string | null;
  title: string;
  tz: string;
  updated: number;
}

export interface HookRecord {
  id: string;
  channel: string;
  secret: string;
}

/**
 * The workspace's data over the kit's record store: channels, users, messages (keyed
 * `<channel>-<ts>`) and incoming webhooks. Message listings use an expression index on
 * (channel, micros) so history paging stays an index scan.
 */
export class SlackWorkspace {
  readonly #lastMicros = new Map<string, number>();

  constructor(readonly store: RecordStore) {
    store.db.exec(`CREATE INDEX IF NOT EXISTS slack_messages_by_channel
      ON records (type, json_extract(data, '$.channel'), json_extract(data, '$.micros'))`);
  }

  /** By id, or by name with or without `#` (Slack accepts both for posting). */
  channel(idOrName: string): ChannelRecord | undefined {
    const byId = this.store.get<ChannelRecord>('channel', idOrName)?.data;
    if (byId) return byId;
    const name = idOrName.replace(/^#/, '');
    return this.store.findBy<ChannelRecord>('channel', '$.name', name)[0]?.data;
  }

  channels(): StoredRecord<ChannelRecord>[] {
    return this.store.all<ChannelRecord>('channel');
  }

  addChannel(
    fields: Partial<ChannelRecord> & { name: string; created: number; creator: string },
  ): ChannelRecord {
    const channel: ChannelRecord = {
      id: fields.id ?? slackId('C'),
      isPrivate: false,
      isArchived: false,
      isGeneral: false,
      topic: '',
      purpose: '',
      members: [workspace.botUserId],
      ...fields,
    };
    this.store.insert('channel', channel.id, channel, { createdMs: channel.created * 1000 });
    return channel;
  }

  user(id: string): UserRecord | undefined {
    return this.store.get<UserRecord>('user', id)?.data;
  }

  userByEmail(email: string): UserRecord | undefined {
    const row = this.store.db
      .prepare(
        "SELECT data FROM records WHERE type = 'user' AND lower(json_extract(data, '$.email')) = lower(?) LIMIT 1",
      )
      .get(email) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as UserRecord) : undefined;
  }

  users(): StoredRecord<UserRecord>[] {
    return this.store.all<UserRecord>('user');
  }

  addUser(user: UserRecord): void {
    this.store.insert('user', user.id, user, { createdMs: user.updated * 1000 });
  }

  hook(id: string): HookRecord | undefined {
    return this.store.get<HookRecord>('incoming_webhook', id)?.data;
  }

  addHook(hook: HookRecord, atMs: number): void {
    this.store.insert('incoming_webhook', hook.id, hook, { createdMs: atMs });
  }

  /**
   * The next message timestamp of a channel at `atMs`: unique and increasing within the channel,
   * as Slack guarantees (a message is addressed by channel + ts).
   */
  nextTs(channel: string, atMs: number): string {
    let last = this.#lastMicros.get(channel);
    if (last === undefined) {
      const row = this.store.db
        .prepare(
          "SELECT max(json_extract(data, '$.micros')) AS m FROM records WHERE type = 'message' AND json_extract(data, '$.channel') = ?",
        )
        .get(channel) as { m: number | null };
      last = row.m ?? 0;
    }
    const micros = Math.max(Math.floor(atMs) * 1000, last + 1);
    this.#lastMicros.set(channel, micros);
    return tsFromMicros(micros);
  }

  message(channel: string, ts: string): MessageRecord | undefined {
    return this.store.get<MessageRecord>('message', `${channel}-${ts}`)?.data;
  }

  addMessage(record: Omit<MessageRecord, 'micros'>): MessageRecord {
    const micros = microsFromTs(record.ts) ?? 0;
    const full: MessageRecord = { ...record, micros };
    this.store.insert('message', `${record.channel}-${record.ts}`, full, { createdMs: micros / 1000 });
    return full;
  }

  updateMessage(record: MessageRecord, atMs: number): void {
    this.store.update('message', `${record.channel}-${record.ts}`, record, atMs);
  }

  deleteMessage(channel: string, ts: string): void {
    this.store.delete('message', `${channel}-${ts}`);
  }

  /**
   * Channel history, newest first: top-level messages and broadcast replies with
   * `oldest < micros < latest` (bounds inclusive on request), at most `limit`.
   */
  history(opts: {
    channel: string;
    oldest: number;
    latest: number;
    oldestInclusive: boolean;
    latestInclusive: boolean;
    limit: number;
  }): MessageRecord[] {
    const lo = opts.oldestInclusive ? '>=' : '>';
    const hi = opts.latestInclusive ? '<=' : '<';
    const rows = this.store.db
      .prepare(
        `SELECT data FROM records WHERE type = 'message' AND json_extract(data, '$.channel') = ?
           AND json_extract(data, '$.micros') ${lo} ? AND json_extract(data, '$.micros') ${hi} ?
           AND (json_extract(data, '$.parentTs') IS NULL OR json_extract(data, '$.message.subtype') = 'thread_broadcast')
         ORDER BY json_extract(data, '$.micros') DESC LIMIT ?`,
      )
      .all(opts.channel, opts.oldest, opts.latest, opts.limit) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as MessageRecord);
  }

  /** A thread: its parent, then the replies oldest first. */
  thread(channel: string, parentTs: string): MessageRecord[] {
    const parent = this.message(channel, parentTs);
    if (parent === undefined) return [];
    const rows = this.store.db
      .prepare(
        `SELECT data FROM records WHERE type = 'message' AND json_extract(data, '$.channel') = ?
           AND json_extract(data, '$.parentTs') = ? ORDER BY json_extract(data, '$.micros')`,
      )
      .all(channel, parentTs) as { data: string }[];
    return [parent, ...rows.map((r) => JSON.parse(r.data) as MessageRecord)];
  }

  /** Forgets cached sequence positions (after a reset empties the store). */
  clearCaches(): void {
    this.#lastMicros.clear();
  }
}
