import type { Account, Business, Contact } from './business.js';

/** The Systems a sandbox plays; each holds its own view of the business. */
export type SystemName =
  | 'hubspot'
  | 'salesforce'
  | 'netsuite'
  | 'stripe'
  | 'zendesk'
  | 'servicenow'
  | 'slack';

/** FNV-1a: a stable per-(system, record) choice, so every restart seeds the same mess. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const suffixVariants: Record<string, string[]> = {
  'Inc.': ['Inc', 'Incorporated', 'inc.'],
  LLC: ['L.L.C.', 'llc'],
  Ltd: ['Limited', 'Ltd.'],
  'Co.': ['Company', 'Co'],
  Corporation: ['Corp.', 'Corp'],
  PLC: ['plc', 'P.L.C.'],
  GmbH: ['Gmbh'],
  'S.A.': ['SA'],
  Group: ['Grp'],
  Holdings: ['Hldgs'],
};

/**
 * How `system` spells the account's name. Most Systems keep the legal name as typed by a person:
 * different casing and spacing, a changed or dropped legal suffix, or the alias.
 */
export function accountNameIn(system: SystemName, account: Account): string {
  const h = hash(`${system}:${account.key}`);
  const words = account.name.split(' ');
  const suffix = words.at(-1) ?? '';
  const stem = words.slice(0, -1).join(' ');
  switch (h % 10) {
    case 0:
      return account.name.toUpperCase();
    case 1:
      return account.name.toLowerCase();
    case 2:
      return `${stem}  ${suffix} `; // doubled and trailing spaces, as pasted from an email
    case 3:
      return stem;
    case 4: {
      const variants = suffixVariants[suffix] ?? [suffix];
      return `${stem} ${variants[(h >>> 8) % variants.length]}`;
    }
    case 5:
      return account.alias ?? `${stem}, ${suffix}`;
    default:
      return account.name;
  }
}

/** The email `system` knows the contact by: support desks often have the personal address. */
export function contactEmailIn(system: SystemName, contact: Contact): string {
  const h = hash(`${system}:${contact.key}`);
  const personalShare = system === 'zendesk' ? 6 : system === 'hubspot' ? 2 : 0;
  if (contact.personalEmail !== null && h % 10 < personalShare) return contact.personalEmail;
  // Mixed case in the local part is common in CRMs fed by forms; the address is the same mailbox.
  if ((h >>> 4) % 7 === 0) {
    const [local, domain] = contact.workEmail.split('@');
    return `${(local ?? '').replace(/(^|\.)([a-z])/g, (_m, dot: string, c: string) => dot + c.toUpperCase())}@${domain}`;
  }
  return contact.workEmail;
}

/** First and last name as `system` holds them (casing, a trailing space now and then). */
export function contactNameIn(system: SystemName, contact: Contact): { firstName: string; lastName: string } {
  const h = hash(`${system}:name:${contact.key}`);
  if (h % 12 === 0)
    return { firstName: contact.firstName.toLowerCase(), lastName: contact.lastName.toLowerCase() };
  if (h % 12 === 1) return { firstName: contact.firstName, lastName: contact.lastName.toUpperCase() };
  if (h % 12 === 2) return { firstName: `${contact.firstName} `, lastName: contact.lastName };
  return { firstName: contact.firstName, lastName: contact.lastName };
}

/**
 * The accounts `system` holds twice: a true duplicate someone created by hand (about 1 in 100),
 * with a differently spelt name. Seed these as a second record.
 */
export function duplicatedAccountsIn(system: SystemName, business: Business): Account[] {
  return business.accounts.filter((a) => hash(`${system}:dup:${a.key}`) % 100 === 0);
}

/** The contacts `system` holds twice (about 1 in 150). */
export function duplicatedContactsIn(system: SystemName, business: Business): Contact[] {
  return business.contacts.filter((c) => hash(`${system}:dup:${c.key}`) % 150 === 0);
}

/** The second spelling of a duplicated account: the other Systems' habit, not this one's. */
export function duplicateNameIn(system: SystemName, account: Account): string {
  const other: SystemName = system === 'hubspot' ? 'salesforce' : 'hubspot';
  const name = accountNameIn(other, account);
  return name === accountNameIn(system, account) ? account.name.toUpperCase() : name;
}
