import {
  type Account,
  accountNameIn,
  type Business,
  type Contact,
  contactEmailIn,
  contactNameIn,
  type Deal,
  duplicatedAccountsIn,
  duplicatedContactsIn,
  duplicateNameIn,
  generateBusiness,
  type Ticket,
  type Usage,
} from '../seed/index.js';
import { makeId } from './ids.js';
import { type ObjectDef, objectNamed } from './objects.js';
import type { SObjectRepository } from './records.js';

const day = 86_400_000;

/** FNV-1a: stable per-record choices, so every seed of the sandbox is the same org. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const def = (name: string): ObjectDef => objectNamed(name) as ObjectDef;

/** Sales reps own accounts, deals and leads; support agents own cases (User ids `005…`). */
function owners(business: Business) {
  const userOf = (team: string) =>
    business.employees
      .map((e, i) => ({ e, id: makeId('005', i + 2) }))
      .filter(({ e }) => e.team === team)
      .map(({ id }) => id);
  return { sales: userOf('sales'), support: userOf('support') };
}

/** How the website was typed into the CRM: bare domain, www, a scheme, a trailing slash. */
function websiteOf(account: Account, salt: string): string {
  switch (hash(`${salt}:web:${account.key}`) % 4) {
    case 0:
      return account.domain;
    case 1:
      return `www.${account.domain}`;
    case 2:
      return `https://www.${account.domain}/`;
    default:
      return `http://${account.domain}`;
  }
}

const stageNames: Record<Deal['stage'], string> = {
  prospecting: 'Prospecting',
  qualification: 'Qualification',
  proposal: 'Proposal/Price Quote',
  negotiation: 'Negotiation/Review',
  'closed-won': 'Closed Won',
  'closed-lost': 'Closed Lost',
};
const casePriority: Record<Ticket['priority'], string> = {
  low: 'Low',
  normal: 'Medium',
  high: 'High',
  urgent: 'High',
};
const caseStatus: Record<Ticket['status'], string> = {
  new: 'New',
  open: 'Working',
  pending: 'Working',
  solved: 'Closed',
  closed: 'Closed',
};
const origins = ['Email', 'Web', 'Phone'] as const;

/**
 * Seeds the fictional business as Salesforce holds it: accounts with the names and websites people
 * typed (casing, spacing, suffixes, aliases), a few true duplicate accounts and contacts, leads that
 * are really existing contacts under another company spelling or a personal email, opportunities
 * from the deals, cases from the support tickets (web cases carry the email the customer typed), and
 * follow-up tasks. Timestamps come from the business; no canonical key is ever written.
 */
export function seedBusiness(repo: SObjectRepository, business: Business = generateBusiness()): void {
  const asOf = Date.parse(business.asOf);
  const who = owners(business);
  const pick = (list: string[], key: string) => list[hash(key) % list.length] as string;
  /** A last-modified time between creation and the data set's "today". */
  const touched = (createdMs: number, key: string) =>
    Math.min(
      asOf,
      createdMs + (hash(`mod:${key}`) % Math.max(1, Math.floor((asOf - createdMs) / day))) * day,
    );
  const accountIds = new Map<string, string>();
  const duplicateAccountIds = new Map<string, string>();
  const contactIds = new Map<string, string>();
  const accountsByKey = new Map(business.accounts.map((a) => [a.key, a]));
  const hasSubscription = new Set(business.subscriptions.map((s) => s.accountKey));
  // The latest month of product usage per account (usage is in month order).
  const latestUsage = new Map(business.usage.map((u) => [u.accountKey, u]));

  const createAccount = (a: Account, name: string, createdMs: number, salt: string) =>
    repo.create(
      def('Account'),
      {
        Name: name,
        Website: websiteOf(a, salt),
        Industry: a.industry,
        Type: hasSubscription.has(a.key) ? 'Customer - Direct' : 'Prospect',
        BillingCity: a.city,
        BillingCountry: a.country,
        NumberOfEmployees: a.employees,
        AnnualRevenue: a.annualRevenue,
        Rating: a.tier === 'enterprise' ? 'Hot' : a.tier === 'mid-market' ? 'Warm' : 'Cold',
        OwnerId: pick(who.sales, a.key),
        ...usageFields(latestUsage.get(a.key)),
      },
      { createdMs, atMs: touched(createdMs, salt + a.key) },
    ).Id as string;

  for (const a of business.accounts) {
    const created = Date.parse(a.createdAt);
    accountIds.set(a.key, createAccount(a, accountNameIn('salesforce', a), created, 'sf'));
  }
  for (const a of duplicatedAccountsIn('salesforce', business)) {
    // Someone created it again by hand, months later, spelt another way.
    const created = Math.min(asOf, Date.parse(a.createdAt) + 120 * day);
    duplicateAccountIds.set(a.key, createAccount(a, duplicateNameIn('salesforce', a), created, 'sf-dup'));
  }

  const createContact = (
    c: Contact,
    email: string,
    accountId: string | undefined,
    createdMs: number,
    salt: string,
  ) => {
    const account = accountsByKey.get(c.accountKey);
    const name = contactNameIn('salesforce', c);
    return repo.create(
      def('Contact'),
      {
        AccountId: accountId ?? null,
        FirstName: name.firstName,
        LastName: name.lastName,
        Email: email,
        Phone: c.phone,
        Title: c.title,
        MailingCity: account?.city ?? null,
        MailingCountry: account?.country ?? null,
        LeadSource: pick(['Web', 'Partner Referral', 'Phone Inquiry', 'Other'], `src:${c.key}`),
        OwnerId: pick(who.sales, c.accountKey),
      },
      { createdMs, atMs: touched(createdMs, salt + c.key) },
    ).Id as string;
  };
  for (const c of business.contacts) {
    const created = Date.parse(c.createdAt);
    contactIds.set(
      c.key,
      createContact(c, contactEmailIn('salesforce', c), accountIds.get(c.accountKey), created, 'sf'),
    );
  }
  for (const c of duplicatedContactsIn('salesforce', business)) {
    const created = Math.min(asOf, Date.parse(c.createdAt) + 45 * day);
    const email = c.personalEmail ?? c.workEmail.toUpperCase();
    createContact(
      c,
      email,
      duplicateAccountIds.get(c.accountKey) ?? accountIds.get(c.accountKey),
      created,
      'sf-dup',
    );
  }

  // Leads that are really people the org already knows: another company spelling, often a personal email.
  for (const c of business.contacts) {
    if (hash(`lead:${c.key}`) % 9 !== 0) continue;
    const account = accountsByKey.get(c.accountKey);
    if (account === undefined) continue;
    const name = contactNameIn('hubspot', c);
    const created = Math.min(asOf, Date.parse(c.createdAt) + (hash(`leadday:${c.key}`) % 90) * day);
    repo.create(
      def('Lead'),
      {
        FirstName: name.firstName,
        LastName: name.lastName,
        Company: account.alias ?? duplicateNameIn('salesforce', account),
        Email: c.personalEmail ?? contactEmailIn('hubspot', c),
        Phone: c.phone,
        Title: c.title,
        Website: account.domain,
        Industry: account.industry,
        City: account.city,
        Country: account.country,
        Status: pick(
          ['Open - Not Contacted', 'Working - Contacted', 'Closed - Not Converted'],
          `ls:${c.key}`,
        ),
        LeadSource: pick(['Web', 'Purchased List', 'Other'], `lsrc:${c.key}`),
        OwnerId: pick(who.sales, c.key),
      },
      { createdMs: created, atMs: touched(created, `lead${c.key}`) },
    );
  }

  const opportunityIds = new Map<string, string>();
  for (const d of business.deals) {
    const created = Date.parse(d.createdAt);
    const id = repo.create(
      def('Opportunity'),
      {
        AccountId: accountIds.get(d.accountKey) ?? null,
        ContactId: contactIds.get(d.contactKey) ?? null,
        Name: d.name,
        StageName: stageNames[d.stage],
        Amount: d.amount,
        CloseDate: d.closeDate,
        Type: hasSubscription.has(d.accountKey) ? 'Existing Customer - Upgrade' : 'New Customer',
        OwnerId: pick(who.sales, d.accountKey),
      },
      { createdMs: created, atMs: touched(created, d.key) },
    ).Id as string;
    opportunityIds.set(d.key, id);
    if (!stageNames[d.stage].startsWith('Closed')) {
      const due = new Date(Math.max(created, Date.parse(d.closeDate) - 7 * day)).toISOString().slice(0, 10);
      repo.create(
        def('Task'),
        {
          Subject: pick(['Call', 'Send Quote', 'Send Letter', 'Other'], `task:${d.key}`),
          Status: pick(['Not Started', 'In Progress', 'Completed'], `ts:${d.key}`),
          Priority: pick(['High', 'Normal', 'Normal', 'Low'], `tp:${d.key}`),
          ActivityDate: due,
          WhatId: id,
          WhoId: contactIds.get(d.contactKey) ?? null,
          Type: 'Call',
          OwnerId: pick(who.sales, d.accountKey),
        },
        { createdMs: created, atMs: touched(created, `task${d.key}`) },
      );
    }
  }

  const contactsByKey = new Map(business.contacts.map((c) => [c.key, c]));
  for (const t of business.tickets) {
    const created = Date.parse(t.createdAt);
    const requester = contactsByKey.get(t.requesterKey);
    const origin = origins[hash(`origin:${t.key}`) % origins.length] as string;
    repo.create(
      def('Case'),
      {
        AccountId: accountIds.get(t.accountKey) ?? null,
        ContactId: contactIds.get(t.requesterKey) ?? null,
        Subject: t.subject,
        Description: t.description,
        Status: t.priority === 'urgent' && t.status === 'open' ? 'Escalated' : caseStatus[t.status],
        Priority: casePriority[t.priority],
        IsEscalated: t.priority === 'urgent',
        Origin: origin,
        // Web-to-case keeps what the customer typed: often a personal address.
        ...(origin === 'Web' && requester
          ? {
              SuppliedEmail: contactEmailIn('zendesk', requester),
              SuppliedName: `${requester.firstName} ${requester.lastName}`,
            }
          : {}),
        OwnerId: pick(who.support.length > 0 ? who.support : who.sales, t.key),
      },
      { createdMs: created, atMs: touched(created, t.key) },
    );
  }
  repo.pending = [];
}

/** Minimal valid fields for `n`-th synthetic record of an object (admin seeding for tests). */
export function syntheticFields(object: string, n: number): Record<string, unknown> {
  switch (object) {
    case 'Account':
      // Typed the way people type into a CRM (stray spaces, a scheme, capitals), so a sync has
      // something to normalise.
      return {
        Name: `Sandbox Account ${n}`,
        Website: n % 2 === 0 ? `https://www.Account${n}.example.com/` : ` account${n}.example.com`,
        Phone: `+1 415 555 ${String(n % 10_000).padStart(4, '0')} `,
        Industry: ['Technology', 'Retail', 'Manufacturing', 'Finance'][n % 4] as string,
        BillingCity: 'San Francisco',
        BillingCountry: n % 3 === 0 ? 'US' : 'United States',
      };
    case 'Contact':
      return { FirstName: 'Test', LastName: `Contact ${n}`, Email: `contact${n}@example.com` };
    case 'Lead':
      return { LastName: `Lead ${n}`, Company: `Lead Company ${n}` };
    case 'Opportunity':
      return { Name: `Opportunity ${n}`, StageName: 'Prospecting', CloseDate: '2026-12-31' };
    case 'Task':
      return { Subject: `Task ${n}`, Status: 'Not Started', Priority: 'Normal' };
    default:
      return { Subject: `Case ${n}` };
  }
}

function usageFields(usage: Usage | undefined): Record<string, string | number> {
  if (usage === undefined) return {};
  return {
    Usage_Month__c: usage.month,
    Monthly_Api_Calls__c: usage.apiCalls,
    Active_Seats__c: usage.activeSeats,
  };
}
