import {
  type Account,
  accountNameIn,
  type Business,
  type Contact,
  contactEmailIn,
  duplicatedAccountsIn,
  duplicateNameIn,
  generateBusiness,
  type Invoice,
  type Subscription,
} from '../seed/index.js';
import type { NetSuiteRecords } from './records.js';
import { findRef, salesOrderStatuses } from './reference.js';

/**
 * Loomwise's ERP: the paying accounts of the business as NetSuite customers (names spelt the way
 * finance typed them, the AP contact's email, the odd duplicate), one sales order per
 * subscription and one invoice per billed month with its line items, dated as the business says.
 * Prospects without a subscription stay in the CRM only, as in a real company.
 */

const subsidiaryOf: Record<string, string> = { GB: '2', DE: '3', FR: '3', NL: '3' };
const currencyOf: Record<Subscription['currency'], string> = { usd: '1', gbp: '2', eur: '4' };
const planItem: Record<Subscription['plan'], string> = { starter: '10', growth: '11', scale: '12' };
const orderStatus: Record<Subscription['status'], string> = {
  active: 'F',
  past_due: 'F',
  trialing: 'A',
  canceled: 'H',
};
const day = 86_400_000;

function seconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** A stable small number per key, for "a few days later" without a random source. */
function spread(key: string, max: number): number {
  let h = 7;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return h % max;
}

function billingContact(people: Contact[]): Contact | undefined {
  return (
    people.find((c) => c.title === 'Account Payable Clerk') ??
    people.find((c) => c.title === 'CFO') ??
    people[0]
  );
}

function itemFor(description: string, plan: Subscription['plan']): string {
  if (description.startsWith('API overage')) return '20';
  if (description.startsWith('Onboarding')) return '30';
  return planItem[plan];
}

export function seedNetSuiteBusiness(
  records: NetSuiteRecords,
  business: Business = generateBusiness(),
): void {
  const asOf = Date.parse(business.asOf);
  const contactsByAccount = new Map<string, Contact[]>();
  for (const c of business.contacts) {
    const list = contactsByAccount.get(c.accountKey) ?? [];
    list.push(c);
    contactsByAccount.set(c.accountKey, list);
  }
  const invoicesBySub = new Map<string, Invoice[]>();
  for (const inv of business.invoices) {
    const list = invoicesBySub.get(inv.subscriptionKey) ?? [];
    list.push(inv);
    invoicesBySub.set(inv.subscriptionKey, list);
  }
  const subsByAccount = new Map<string, Subscription[]>();
  for (const s of business.subscriptions) {
    const list = subsByAccount.get(s.accountKey) ?? [];
    list.push(s);
    subsByAccount.set(s.accountKey, list);
  }
  const paying = business.accounts.filter((a) => subsByAccount.has(a.key));
  const customerIds = new Map<string, string>();

  const addCustomer = (account: Account, name: string, createdMs: number, dup: boolean) => {
    const subs = subsByAccount.get(account.key) ?? [];
    const invoices = dup ? [] : subs.flatMap((s) => invoicesBySub.get(s.key) ?? []);
    const open = invoices.filter((i) => i.status === 'open' || i.status === 'overdue');
    const overdue = invoices.filter((i) => i.status === 'overdue');
    const lastActivity = Math.max(createdMs, ...invoices.map((i) => Date.parse(`${i.issuedOn}T09:00:00Z`)));
    const contact = billingContact(contactsByAccount.get(account.key) ?? []);
    const currency = subs[0]?.currency ?? 'usd';
    const { id } = records.save({
      type: 'customer',
      sublists: 'replace',
      input: {
        companyName: name,
        isPerson: false,
        ...(contact ? { email: contactEmailIn('netsuite', contact), phone: contact.phone } : {}),
        url: `https://www.${account.domain}`,
        subsidiary: { id: subsidiaryOf[account.country] ?? '1' },
        currency: { id: currencyOf[currency] },
        terms: { id: '2' },
        ...(account.alias && !dup ? { comments: `Also known as ${account.alias}` } : {}),
        addressBook: {
          items: [
            {
              defaultBilling: true,
              defaultShipping: true,
              label: 'Head office',
              addressBookAddress: { city: account.city, country: account.country },
            },
          ],
        },
      },
      at: {
        createdMs: seconds(createdMs),
        updatedMs: seconds(Math.min(asOf, lastActivity + spread(name, 3) * day)),
      },
      systemFields: {
        balance: open.reduce((s, i) => s + i.total, 0) / 100,
        overdueBalance: overdue.reduce((s, i) => s + i.total, 0) / 100,
      },
    });
    return id;
  };

  for (const account of paying) {
    const firstSub = subsByAccount.get(account.key)?.[0];
    const createdMs = Date.parse(firstSub?.startedAt ?? account.createdAt) - day;
    customerIds.set(account.key, addCustomer(account, accountNameIn('netsuite', account), createdMs, false));
  }
  // A true duplicate: someone in finance created the customer again, spelt another way.
  for (const account of duplicatedAccountsIn('netsuite', business).filter((a) => customerIds.has(a.key))) {
    addCustomer(
      account,
      duplicateNameIn('netsuite', account),
      Math.min(asOf, Date.parse(account.createdAt) + 90 * day),
      true,
    );
  }

  let po = 0;
  for (const sub of business.subscriptions) {
    const entity = customerIds.get(sub.accountKey);
    if (entity === undefined) continue;
    const startMs = Date.parse(sub.startedAt);
    const invoices = invoicesBySub.get(sub.key) ?? [];
    const rate = sub.monthlyAmount / sub.seats / 100;
    po += 1;
    const { id: orderId } = records.save({
      type: 'salesOrder',
      sublists: 'replace',
      input: {
        entity: { id: entity },
        tranDate: sub.startedAt.slice(0, 10),
        memo: `Loomwise ${sub.plan} subscription`,
        ...(po % 3 === 0 ? { otherRefNum: `PO-${String(40000 + po)}` } : {}),
        currency: { id: currencyOf[sub.currency] },
        item: {
          items: [
            {
              item: { id: planItem[sub.plan] },
              quantity: sub.seats,
              rate,
              description: `${sub.plan} plan, ${sub.seats} seats`,
            },
          ],
        },
      },
      at: {
        createdMs: seconds(startMs),
        updatedMs: seconds(Math.min(asOf, startMs + spread(sub.key, 5) * day)),
      },
      systemFields: { status: findRef(salesOrderStatuses, orderStatus[sub.status]) },
    });
    for (const inv of invoices) {
      const issued = Date.parse(`${inv.issuedOn}T09:00:00Z`) + spread(inv.key, 3600) * 1000;
      const paid = inv.status === 'paid';
      const total = inv.total / 100;
      records.save({
        type: 'invoice',
        sublists: 'replace',
        input: {
          entity: { id: entity },
          createdFrom: { id: orderId },
          tranId: inv.number,
          tranDate: inv.issuedOn,
          dueDate: inv.dueOn,
          currency: { id: currencyOf[inv.currency] },
          item: {
            items: inv.lines.map((l) => ({
              item: { id: itemFor(l.description, sub.plan) },
              quantity: l.quantity,
              rate: l.unitAmount / 100,
              description: l.description,
            })),
          },
        },
        at: {
          createdMs: seconds(issued),
          updatedMs: seconds(Math.min(asOf, paid ? issued + (3 + spread(inv.number, 20)) * day : issued)),
        },
        systemFields: { amountPaid: paid ? total : 0 },
      });
    }
  }
}

/**
 * `POST /_sandbox/seed {customers: n, lastModifiedDate?}`: plain customers for paging tests,
 * created now, or all stamped with one `lastModifiedDate` (equal timestamps, on purpose).
 */
export function seedPlainCustomers(
  records: NetSuiteRecords,
  count: number,
  startAt: number,
  lastModifiedMs?: number,
): void {
  for (let i = 0; i < count; i++) {
    records.save({
      type: 'customer',
      sublists: 'replace',
      input: { companyName: `Sandbox Customer ${startAt + i}` },
      ...(lastModifiedMs === undefined
        ? {}
        : { at: { createdMs: lastModifiedMs, updatedMs: lastModifiedMs } }),
    });
  }
}
