import {
  accountNameIn,
  type Business,
  type Contact,
  contactEmailIn,
  contactNameIn,
  duplicatedAccountsIn,
  duplicatedContactsIn,
  duplicateNameIn,
  generateBusiness,
} from '../seed/index.js';
import type { Organization } from './organizations.js';
import { insert, isoSeconds, nextId, type ZendeskState } from './state.js';
import type { Comment, Ticket } from './tickets.js';
import { newUser, type User } from './users.js';

const day = 86_400_000;

/** FNV-1a, for stable per-record choices (which ticket gets which tag, how long until its update). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const floorSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

/** What every Zendesk account has: the admin the API token belongs to. */
export function seedReference(state: ZendeskState): User {
  const at = isoSeconds(Date.UTC(2024, 0, 15, 9, 0, 0));
  return insert(
    state,
    'user',
    newUser(nextId(state, 'user'), {
      name: 'Loomwise Support Admin',
      email: state.agentEmail,
      role: 'admin',
      verified: true,
      role_type: null,
      restricted_agent: false,
      ticket_restriction: null,
      created_at: at,
      updated_at: at,
    }),
  );
}

/**
 * Maps the fictional business into Zendesk: organizations named as support agents typed them,
 * end users under whatever address they wrote from (often a personal one, then without an
 * organization), a few true duplicates, Loomwise's support and success staff as agents, and the
 * business's tickets with their first comment. Ids grow with creation time, as Zendesk's do.
 */
export function seedBusiness(state: ZendeskState, business: Business = generateBusiness()): void {
  const asOf = Date.parse(business.asOf);
  const later = (createdMs: number, key: string, maxDays: number) =>
    isoSeconds(Math.min(asOf, floorSecond(createdMs + (hash(key) % (maxDays * day)))));

  const agents: User[] = [];
  for (const e of business.employees.filter((x) => x.team === 'support' || x.team === 'success')) {
    const created = Date.UTC(2024, 1, 1) + (hash(e.key) % (30 * day));
    agents.push(
      insert(
        state,
        'user',
        newUser(nextId(state, 'user'), {
          name: e.name,
          email: e.email,
          role: 'agent',
          verified: true,
          restricted_agent: false,
          ticket_restriction: null,
          created_at: isoSeconds(created),
          updated_at: isoSeconds(created),
        }),
      ),
    );
  }

  const orgByAccount = new Map<string, Organization>();
  const takenNames = new Set<string>();
  const orgRows = [
    ...business.accounts.map((a) => ({ account: a, name: accountNameIn('zendesk', a), dup: false })),
    ...duplicatedAccountsIn('zendesk', business).map((a) => ({
      account: a,
      name: duplicateNameIn('zendesk', a),
      dup: true,
    })),
  ];
  const orgCreated = (r: (typeof orgRows)[number]) =>
    Date.parse(r.account.createdAt) + (r.dup ? 90 * day : 0);
  orgRows.sort((x, y) => orgCreated(x) - orgCreated(y));
  for (const row of orgRows) {
    const { account } = row;
    let name = row.name;
    // Zendesk refuses a second organization with the same name (any case), so a clash gets a marker.
    if (takenNames.has(name.trim().toLowerCase())) name = `${name.trim()} (old)`;
    takenNames.add(name.trim().toLowerCase());
    const created = floorSecond(Math.min(asOf, orgCreated(row)));
    const org: Organization = {
      id: nextId(state, 'organization'),
      name,
      shared_tickets: false,
      shared_comments: false,
      external_id: null,
      created_at: isoSeconds(created),
      updated_at: later(created, `org:${account.key}:${row.dup}`, 120),
      domain_names: row.dup || hash(`dom:${account.key}`) % 10 >= 7 ? [] : [account.domain],
      details: `${account.city}, ${account.country}`,
      notes: row.dup ? null : `${account.industry}; ${account.employees} employees`,
      group_id: null,
      tags: [account.tier.replace('-', '_')],
      organization_fields: {},
      deleted_at: null,
    };
    insert(state, 'organization', org);
    if (!row.dup) orgByAccount.set(account.key, org);
  }

  const takenEmails = new Set<string>([
    state.agentEmail.toLowerCase(),
    ...agents.map((a) => (a.email ?? '').toLowerCase()),
  ]);
  const unique = (email: string) => {
    let candidate = email;
    for (let n = 2; takenEmails.has(candidate.toLowerCase()); n++) candidate = email.replace('@', `${n}@`);
    takenEmails.add(candidate.toLowerCase());
    return candidate;
  };
  const userByContact = new Map<string, User>();
  const userRows = [
    ...business.contacts.map((c) => ({ contact: c, dup: false })),
    ...duplicatedContactsIn('zendesk', business).map((c) => ({ contact: c, dup: true })),
  ];
  const userCreated = (r: (typeof userRows)[number]) =>
    Date.parse(r.contact.createdAt) + (r.dup ? 45 * day : 0);
  userRows.sort((x, y) => userCreated(x) - userCreated(y));
  const firstEmail = new Map<string, string>();
  for (const { contact, dup } of userRows) {
    const { firstName, lastName } = contactNameIn('zendesk', contact);
    const email = dup ? otherEmail(contact, firstEmail.get(contact.key)) : contactEmailIn('zendesk', contact);
    const personal = email.toLowerCase() === contact.personalEmail?.toLowerCase();
    const org = orgByAccount.get(contact.accountKey);
    const created = floorSecond(Math.min(asOf, userCreated({ contact, dup })));
    const user = insert(
      state,
      'user',
      newUser(nextId(state, 'user'), {
        name: dup ? `${firstName.trim()} ${lastName}`.toUpperCase() : `${firstName} ${lastName}`,
        email: unique(email),
        // Someone writing from a personal address is not matched to their company's domain.
        organization_id: personal && hash(`org:${contact.key}`) % 2 === 0 ? null : (org?.id ?? null),
        phone: hash(`ph:${contact.key}`) % 10 < 4 ? contact.phone : null,
        verified: !dup,
        created_at: isoSeconds(created),
        updated_at: later(created, `user:${contact.key}:${dup}`, 60),
      }),
    );
    if (!dup) {
      userByContact.set(contact.key, user);
      firstEmail.set(contact.key, email);
    }
  }

  const tickets = [...business.tickets].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const kinds = ['question', 'incident', 'problem', 'task', null] as const;
  for (const t of tickets) {
    const requester = userByContact.get(t.requesterKey);
    if (!requester) continue;
    const created = floorSecond(Date.parse(t.createdAt));
    const h = hash(t.key);
    const assignee = t.status === 'new' ? null : (agents[h % Math.max(1, agents.length)]?.id ?? null);
    const subject = h % 9 === 0 ? t.subject.toLowerCase() : t.subject;
    const tags = [
      /invoice|cancel|seats/i.test(t.subject) ? 'billing' : 'technical',
      ...(t.priority === 'urgent' ? ['escalated'] : []),
    ];
    const ticket: Ticket = {
      id: nextId(state, 'ticket'),
      external_id: null,
      via: { channel: h % 3 === 0 ? 'web' : 'email', source: { from: {}, to: {}, rel: null } },
      created_at: isoSeconds(created),
      updated_at: later(created, `tick:${t.key}`, 14),
      type: kinds[h % kinds.length] ?? null,
      subject,
      raw_subject: subject,
      description: t.description,
      priority: t.priority,
      status: t.status,
      recipient: 'support@loomwise.zendesk.com',
      requester_id: requester.id,
      submitter_id: requester.id,
      assignee_id: assignee,
      organization_id: requester.organization_id ?? orgByAccount.get(t.accountKey)?.id ?? null,
      group_id: null,
      collaborator_ids: [],
      follower_ids: [],
      email_cc_ids: [],
      forum_topic_id: null,
      problem_id: null,
      has_incidents: false,
      is_public: true,
      due_at: null,
      tags,
      custom_fields: [],
      satisfaction_rating: null,
      sharing_agreement_ids: [],
      custom_status_id: 1,
      fields: [],
      followup_ids: [],
      ticket_form_id: null,
      brand_id: 1,
      allow_channelback: false,
      allow_attachments: true,
      from_messaging_channel: false,
    };
    insert(state, 'ticket', ticket);
    const comment: Comment = {
      id: nextId(state, 'comment'),
      ticket_id: ticket.id,
      type: 'Comment',
      author_id: requester.id,
      body: t.description,
      html_body: `<div class="zd-comment"><p>${t.description}</p></div>`,
      plain_body: t.description,
      public: true,
      attachments: [],
      via: ticket.via,
      metadata: { system: {}, custom: {} },
      created_at: ticket.created_at,
      updated_at: ticket.created_at,
    };
    insert(state, 'comment', comment);
  }
}

/** A duplicate's address: whichever of the person's addresses the first record did not use. */
function otherEmail(contact: Contact, used: string | undefined): string {
  const usedPersonal = used !== undefined && used.toLowerCase() === contact.personalEmail?.toLowerCase();
  if (!usedPersonal && contact.personalEmail) return contact.personalEmail;
  if (usedPersonal) return contact.workEmail;
  return contact.workEmail.replace('@', '+support@');
}
