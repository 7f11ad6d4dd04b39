import {
  accountNameIn,
  type Business,
  contactEmailIn,
  contactNameIn,
  type Employee,
  generateBusiness,
} from '../seed/index.js';
import { stableSlackId, tsFromMicros, workspace } from './ids.js';
import type { SlackWorkspace, UserRecord } from './workspace.js';

const workspaceBornMs = Date.UTC(2024, 0, 8, 9, 0, 0);

/**
 * What every workspace has: the installing bot, #general, and the incoming webhook installed into
 * #general (its URL is the sandbox Connection's `incomingWebhookUrl`).
 */
export function seedBase(ws: SlackWorkspace, hookSecret: string): void {
  const created = Math.floor(workspaceBornMs / 1000);
  ws.addUser({
    id: workspace.botUserId,
    name: workspace.botName,
    realName: 'Weft',
    displayName: 'Weft',
    email: null,
    isBot: true,
    botId: workspace.botId,
    title: '',
    tz: 'UTC',
    updated: created,
  });
  ws.addChannel({
    id: stableSlackId('C', 'general'),
    name: 'general',
    created,
    creator: workspace.botUserId,
    isGeneral: true,
    purpose: 'Company-wide announcements and work-based matters',
  });
  ws.addHook(
    { id: workspace.hookId, channel: stableSlackId('C', 'general'), secret: hookSecret },
    workspaceBornMs,
  );
}

/** Slack's handle habits: `ada.lovelace`, `ada`, `alovelace`, picked per person and stable. */
function slackUser(e: Employee, i: number): UserRecord {
  const [first = '', ...rest] = e.name.split(' ');
  const last = rest.join(' ');
  const handle = [`${first}.${last}`, first, `${first[0] ?? ''}${last}`][i % 3] ?? first;
  return {
    id: stableSlackId('U', e.key),
    name: handle.toLowerCase().replace(/[^a-z0-9._-]/g, ''),
    realName: e.name,
    // Display names are whatever people typed: a first name, a lower-cased one, a nickname.
    displayName: [first, first.toLowerCase(), `${first} (${e.team})`, ''][i % 4] ?? first,
    // Some profiles were created with a capitalised address; it is the same mailbox.
    email: i % 5 === 0 ? e.email.replace(/^./, (c) => c.toUpperCase()) : e.email,
    isBot: false,
    botId: null,
    title: `${e.team[0]?.toUpperCase() ?? ''}${e.team.slice(1)}`,
    tz: 'Europe/London',
    updated: Math.floor(workspaceBornMs / 1000) + i * 3600,
  };
}

interface Post {
  atMs: number;
  user: string;
  text: string;
}

const money = (minor: number, currency: string) =>
  `${(minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency.toUpperCase()}`;

/**
 * The business as Loomwise's workspace saw it: the employees as members, team channels, and the
 * chatter the business produced — closed deals in #sales, urgent tickets in #support, overdue
 * invoices in #finance, high-urgency incidents in #alerts — each posted at the time it happened,
 * naming customers the way people in Slack spell them.
 */
export function seedBusiness(ws: SlackWorkspace, business: Business = generateBusiness()): void {
  const users = business.employees.map(slackUser);
  for (const u of users) ws.addUser(u);
  const byTeam = (team: Employee['team']) =>
    users.filter((_, i) => business.employees[i]?.team === team).map((u) => u.id);
  const everyone = users.map((u) => u.id);
  const created = Math.floor(workspaceBornMs / 1000);
  const general = ws.channel('general');
  if (general)
    ws.store.update(
      'channel',
      general.id,
      { ...general, members: [workspace.botUserId, ...everyone] },
      workspaceBornMs,
    );

  const channels: {
    name: string;
    members: string[];
    purpose: string;
    isPrivate?: boolean;
    isArchived?: boolean;
  }[] = [
    { name: 'random', members: everyone, purpose: 'Non-work banter and water cooler conversation' },
    {
      name: 'sales',
      members: [...byTeam('sales'), ...byTeam('success')],
      purpose: 'Deals, wins and pipeline',
    },
    {
      name: 'support',
      members: [...byTeam('support'), ...byTeam('success')],
      purpose: 'Escalations from the help desk',
    },
    { name: 'success', members: byTeam('success'), purpose: 'Renewals and account health' },
    { name: 'engineering', members: byTeam('engineering'), purpose: 'Builds, releases, on-call' },
    { name: 'finance', members: byTeam('finance'), purpose: 'Invoices, collections, revenue' },
    {
      name: 'alerts',
      members: [...byTeam('engineering'), ...byTeam('support')],
      purpose: 'Automated alerts',
    },
    {
      name: 'leadership',
      members: users.slice(0, 5).map((u) => u.id),
      purpose: 'Leadership team',
      isPrivate: true,
    },
    { name: 'launch-2024', members: everyone, purpose: 'The 2024 launch (done)', isArchived: true },
  ];
  for (const c of channels) {
    ws.addChannel({
      id: stableSlackId('C', c.name),
      name: c.name,
      created,
      creator: users[0]?.id ?? workspace.botUserId,
      purpose: c.purpose,
      members: [workspace.botUserId, ...new Set(c.members)],
      isPrivate: c.isPrivate ?? false,
      isArchived: c.isArchived ?? false,
    });
  }

  const asOf = Date.parse(business.asOf);
  const account = new Map(business.accounts.map((a) => [a.key, a]));
  const contact = new Map(business.contacts.map((c) => [c.key, c]));
  const pick = (ids: string[], n: number) => ids[n % Math.max(1, ids.length)] ?? workspace.botUserId;
  const posts: Record<string, Post[]> = { sales: [], support: [], finance: [], alerts: [] };
  business.deals.forEach((d, i) => {
    const at = Date.parse(`${d.closeDate}T15:00:00Z`) + (i % 3600) * 1000;
    const acct = account.get(d.accountKey);
    if (d.stage !== 'closed-won' || at > asOf || !acct) return;
    const what = d.name.split(' — ')[1] ?? 'deal';
    posts.sales?.push({
      atMs: at,
      user: pick(byTeam('sales'), i),
      text: `:tada: Closed-won: *${accountNameIn('slack', acct).trim()}* — ${what}, ${money(d.amount * 100, 'usd')}`,
    });
  });
  business.tickets.forEach((t, i) => {
    const acct = account.get(t.accountKey);
    const who = contact.get(t.requesterKey);
    if (t.priority !== 'urgent' || !acct || !who) return;
    const name = contactNameIn('slack', who);
    posts.support?.push({
      atMs: Date.parse(t.createdAt),
      user: pick(byTeam('support'), i),
      text: `:rotating_light: Urgent ticket from ${name.firstName} ${name.lastName} <mailto:${contactEmailIn('slack', who)}> at ${accountNameIn('slack', acct)}: "${t.subject}"`,
    });
  });
  business.invoices.forEach((inv, i) => {
    const acct = account.get(inv.accountKey);
    if (inv.status !== 'overdue' || !acct) return;
    posts.finance?.push({
      atMs: Date.parse(`${inv.dueOn}T08:30:00Z`) + 86_400_000,
      user: pick(byTeam('finance'), i),
      text: `Invoice ${inv.number} for ${accountNameIn('slack', acct)} is overdue: ${money(inv.total, inv.currency)} (due ${inv.dueOn})`,
    });
  });
  for (const inc of business.incidents) {
    const acct = account.get(inc.accountKey);
    if (inc.urgency !== 1 || !acct) continue;
    posts.alerts?.push({
      atMs: Date.parse(inc.openedAt),
      user: workspace.botUserId,
      text: `[P1] ${inc.shortDescription} — ${accountNameIn('slack', acct)} (impact ${inc.impact})`,
    });
  }

  for (const [name, list] of Object.entries(posts)) {
    const ch = ws.channel(name);
    if (!ch) continue;
    let last = 0;
    for (const post of list.filter((p) => p.atMs <= asOf).sort((a, b) => a.atMs - b.atMs)) {
      // Two posts in the same millisecond still get distinct, increasing timestamps.
      last = Math.max(post.atMs * 1000, last + 1);
      const ts = tsFromMicros(last);
      const bot = post.user === workspace.botUserId;
      ws.addMessage({
        channel: ch.id,
        ts,
        parentTs: null,
        metadata: null,
        appId: bot ? workspace.appId : null,
        message: {
          type: 'message',
          text: post.text,
          user: post.user,
          ts,
          team: workspace.teamId,
          ...(bot ? { bot_id: workspace.botId } : {}),
        },
      });
    }
  }
}
