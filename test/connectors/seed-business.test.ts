import { describe, expect, it } from 'vitest';
import { generateBusiness } from '../../sandbox/seed/business.js';
import {
  accountNameIn,
  contactEmailIn,
  duplicatedAccountsIn,
  type SystemName,
} from '../../sandbox/seed/messy.js';

const systems: SystemName[] = [
  'hubspot',
  'salesforce',
  'netsuite',
  'stripe',
  'zendesk',
  'servicenow',
  'slack',
];

describe('the fictional business every sandbox is seeded from', () => {
  const business = generateBusiness();

  it('is the same on every run, at the size the issue names', () => {
    expect(generateBusiness()).toEqual(business);
    expect(business.accounts).toHaveLength(500);
    expect(business.contacts).toHaveLength(2000);
    for (const list of [
      business.deals,
      business.subscriptions,
      business.invoices,
      business.tickets,
      business.incidents,
      business.usage,
    ]) {
      expect(list.length).toBeGreaterThan(100);
    }
  });

  it('hangs together: every record points at a real account, invoice totals add up', () => {
    const accounts = new Set(business.accounts.map((a) => a.key));
    const contacts = new Map(business.contacts.map((c) => [c.key, c]));
    for (const r of [
      ...business.deals,
      ...business.subscriptions,
      ...business.invoices,
      ...business.tickets,
      ...business.incidents,
      ...business.usage,
    ]) {
      expect(accounts.has(r.accountKey)).toBe(true);
    }
    for (const t of business.tickets) expect(contacts.get(t.requesterKey)?.accountKey).toBe(t.accountKey);
    for (const i of business.invoices) {
      expect(i.lines.length).toBeGreaterThan(0);
      expect(i.total).toBe(i.lines.reduce((sum, l) => sum + l.quantity * l.unitAmount, 0));
    }
  });

  it('is messy across Systems: spellings differ, some emails are personal, a few accounts are doubled', () => {
    const spellings = business.accounts.map((a) => new Set(systems.map((s) => accountNameIn(s, a))).size);
    expect(spellings.filter((n) => n > 1).length).toBeGreaterThan(business.accounts.length / 3);
    const personal = business.contacts.filter((c) => contactEmailIn('zendesk', c) === c.personalEmail);
    expect(personal.length).toBeGreaterThan(100);
    for (const s of systems) expect(duplicatedAccountsIn(s, business).length).toBeLessThan(20);
    expect(systems.some((s) => duplicatedAccountsIn(s, business).length > 0)).toBe(true);
  });
});
