import { SeededRandom } from './random.js';
import {
  cores,
  firstNames,
  incidentDescriptions,
  industries,
  lastNames,
  personalDomains,
  places,
  plans,
  prefixes,
  suffixes,
  ticketSubjects,
  titles,
} from './vocabulary.js';

/**
 * One coherent fictional business that every sandbox is seeded from: Loomwise, a B2B SaaS
 * vendor, and its customers. The canonical records here are the truth; each System holds its own
 * messy view of them (see `messy.ts`), so identity resolution across Systems has real work.
 */
export interface Account {
  /** Canonical id, never shown to a System: tests use it to check identity resolution. */
  key: string;
  name: string;
  /** Another name the account goes by (a brand, an abbreviation); some Systems use it. */
  alias: string | null;
  domain: string;
  industry: string;
  country: string;
  city: string;
  employees: number;
  annualRevenue: number;
  tier: 'smb' | 'mid-market' | 'enterprise';
  createdAt: string;
}

export interface Contact {
  key: string;
  accountKey: string;
  firstName: string;
  lastName: string;
  workEmail: string;
  /** Some people write to support from a personal address. */
  personalEmail: string | null;
  phone: string;
  title: string;
  createdAt: string;
}

export interface Deal {
  key: string;
  accountKey: string;
  contactKey: string;
  name: string;
  amount: number;
  stage: 'prospecting' | 'qualification' | 'proposal' | 'negotiation' | 'closed-won' | 'closed-lost';
  closeDate: string;
  createdAt: string;
}

export interface Subscription {
  key: string;
  accountKey: string;
  plan: 'starter' | 'growth' | 'scale';
  seats: number;
  /** Minor units (cents) per month. */
  monthlyAmount: number;
  currency: 'usd' | 'eur' | 'gbp';
  status: 'active' | 'past_due' | 'canceled' | 'trialing';
  startedAt: string;
}

export interface InvoiceLine {
  description: string;
  quantity: number;
  /** Minor units. */
  unitAmount: number;
}

export interface Invoice {
  key: string;
  accountKey: string;
  subscriptionKey: string;
  number: string;
  issuedOn: string;
  dueOn: string;
  currency: Subscription['currency'];
  status: 'paid' | 'open' | 'overdue' | 'void';
  lines: InvoiceLine[];
  /** Minor units: the sum of the lines. */
  total: number;
}

export interface Ticket {
  key: string;
  accountKey: string;
  requesterKey: string;
  subject: string;
  description: string;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  status: 'new' | 'open' | 'pending' | 'solved' | 'closed';
  createdAt: string;
}

export interface Incident {
  key: string;
  accountKey: string;
  callerKey: string;
  shortDescription: string;
  /** ServiceNow scale: 1 high … 3 low. */
  urgency: 1 | 2 | 3;
  impact: 1 | 2 | 3;
  state: 'new' | 'in_progress' | 'on_hold' | 'resolved' | 'closed';
  openedAt: string;
}

export interface Usage {
  accountKey: string;
  /** `YYYY-MM`. */
  month: string;
  apiCalls: number;
  activeSeats: number;
}

/** Loomwise's own people: Slack users and the owners of CRM records. */
export interface Employee {
  key: string;
  name: string;
  email: string;
  team: 'sales' | 'support' | 'success' | 'engineering' | 'finance';
}

export interface Business {
  seed: number;
  /** The "today" of the data set; dates are spread over the two years before it. */
  asOf: string;
  accounts: Account[];
  contacts: Contact[];
  deals: Deal[];
  subscriptions: Subscription[];
  invoices: Invoice[];
  tickets: Ticket[];
  incidents: Incident[];
  usage: Usage[];
  employees: Employee[];
}

export interface BusinessSize {
  accounts: number;
  contactsPerAccount: number;
}

const day = 86_400_000;

/**
 * Generates the business deterministically from `seed`. The default size is the one `weft sandbox`
 * seeds: 500 accounts and 2,000 contacts, with deals, subscriptions, invoices with line items,
 * tickets, incidents, monthly usage and Loomwise's own employees.
 *
 * @example
 * const biz = generateBusiness(); // same data on every machine
 */
export function generateBusiness(
  seed = 20261125,
  size: BusinessSize = { accounts: 500, contactsPerAccount: 4 },
): Business {
  const rnd = new SeededRandom(seed);
  const asOfMs = Date.UTC(2026, 10, 1);
  const dateIn = (fromDaysAgo: number, toDaysAgo: number) =>
    new Date(asOfMs - rnd.int(toDaysAgo, fromDaysAgo) * day - rnd.int(0, day - 1)).toISOString();
  const pad = (n: number, w = 4) => String(n).padStart(w, '0');

  const employees: Employee[] = [];
  const teams: Employee['team'][] = ['sales', 'support', 'success', 'engineering', 'finance'];
  for (let i = 1; i <= 25; i++) {
    const first = rnd.pick(firstNames);
    const last = rnd.pick(lastNames);
    employees.push({
      key: `emp-${pad(i, 3)}`,
      name: `${first} ${last}`,
      email: `${`${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '')}${i}@loomwise.example`,
      team: teams[i % teams.length] as Employee['team'],
    });
  }

  const accounts: Account[] = [];
  const usedNames = new Set<string>();
  for (let i = 1; i <= size.accounts; i++) {
    let base = `${rnd.pick(prefixes)} ${rnd.pick(cores)}`;
    while (usedNames.has(base))
      base = `${rnd.pick(prefixes)} ${rnd.pick(cores)} ${rnd.pick(['East', 'West', 'North', 'South', 'Global', 'One'])}${usedNames.has(base) ? ` ${i}` : ''}`;
    usedNames.add(base);
    const [country, city] = rnd.pick(places);
    const tier = rnd.chance(0.1) ? 'enterprise' : rnd.chance(0.35) ? 'mid-market' : 'smb';
    const employeesCount =
      tier === 'enterprise'
        ? rnd.int(2000, 50000)
        : tier === 'mid-market'
          ? rnd.int(200, 1999)
          : rnd.int(5, 199);
    const words = base.split(' ');
    accounts.push({
      key: `acct-${pad(i)}`,
      name: `${base} ${rnd.pick(suffixes)}`,
      alias: rnd.chance(0.25)
        ? words
            .map((w) => w[0])
            .join('')
            .toUpperCase() + (words.length > 2 ? '' : ` ${words[1]}`)
        : null,
      domain: `${base.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example`,
      industry: rnd.pick(industries),
      country,
      city,
      employees: employeesCount,
      annualRevenue: employeesCount * rnd.int(80, 300) * 1000,
      tier,
      createdAt: dateIn(730, 60),
    });
  }

  const contacts: Contact[] = [];
  let contactNo = 0;
  for (const account of accounts) {
    for (let j = 0; j < size.contactsPerAccount; j++) {
      contactNo += 1;
      const first = rnd.pick(firstNames);
      const last = rnd.pick(lastNames);
      const local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
      contacts.push({
        key: `cont-${pad(contactNo, 5)}`,
        accountKey: account.key,
        firstName: first,
        lastName: last,
        workEmail: `${local}@${account.domain}`,
        personalEmail: rnd.chance(0.3)
          ? `${local.replace('.', rnd.pick(['', '_', '.']))}${rnd.int(1, 99)}@${rnd.pick(personalDomains)}`
          : null,
        phone: `+1-555-${pad(rnd.int(0, 9999))}`,
        title: rnd.pick(titles),
        createdAt: dateIn(700, 30),
      });
    }
  }
  const contactsOf = (accountKey: string) => contacts.filter((c) => c.accountKey === accountKey);

  const deals: Deal[] = [];
  const subscriptions: Subscription[] = [];
  const invoices: Invoice[] = [];
  const tickets: Ticket[] = [];
  const incidents: Incident[] = [];
  const usage: Usage[] = [];
  const stages: Deal['stage'][] = [
    'prospecting',
    'qualification',
    'proposal',
    'negotiation',
    'closed-won',
    'closed-lost',
  ];
  let invoiceNo = 0;
  for (const account of accounts) {
    const people = contactsOf(account.key);
    const someone = () => rnd.pick(people);
    for (let d = rnd.int(0, 3); d > 0; d--) {
      deals.push({
        key: `deal-${pad(deals.length + 1, 5)}`,
        accountKey: account.key,
        contactKey: someone().key,
        name: `${account.name.split(' ').slice(0, 2).join(' ')} — ${rnd.pick(['Expansion', 'Renewal', 'New business', 'Pilot', 'Upsell'])}`,
        amount: rnd.int(5, 400) * 500,
        stage: rnd.pick(stages),
        closeDate: dateIn(200, -90).slice(0, 10),
        createdAt: dateIn(400, 10),
      });
    }
    if (rnd.chance(0.7)) {
      const plan =
        account.tier === 'enterprise'
          ? 'scale'
          : account.tier === 'mid-market'
            ? 'growth'
            : rnd.pick(['starter', 'growth'] as const);
      const seats = rnd.int(3, account.tier === 'enterprise' ? 400 : 60);
      const currency =
        account.country === 'GB' ? 'gbp' : ['DE', 'FR', 'NL'].includes(account.country) ? 'eur' : 'usd';
      const status = rnd.chance(0.85) ? 'active' : rnd.pick(['past_due', 'canceled', 'trialing'] as const);
      const months = rnd.int(1, 8);
      const sub: Subscription = {
        key: `sub-${pad(subscriptions.length + 1)}`,
        accountKey: account.key,
        plan,
        seats,
        monthlyAmount: plans[plan] * seats,
        currency,
        status,
        startedAt: new Date(asOfMs - months * 30 * day).toISOString(),
      };
      subscriptions.push(sub);
      for (let m = months; m >= 1; m--) {
        invoiceNo += 1;
        const issued = new Date(asOfMs - m * 30 * day);
        const lines: InvoiceLine[] = [
          { description: `Loomwise ${plan} plan — ${seats} seats`, quantity: seats, unitAmount: plans[plan] },
        ];
        if (rnd.chance(0.3))
          lines.push({
            description: 'API overage (per 10k calls)',
            quantity: rnd.int(1, 40),
            unitAmount: 250,
          });
        if (rnd.chance(0.1))
          lines.push({ description: 'Onboarding services', quantity: 1, unitAmount: 150000 });
        const total = lines.reduce((s, l) => s + l.quantity * l.unitAmount, 0);
        const invoiceStatus: Invoice['status'] =
          m > 1
            ? rnd.chance(0.95)
              ? 'paid'
              : 'overdue'
            : status === 'past_due'
              ? 'overdue'
              : rnd.chance(0.5)
                ? 'open'
                : 'paid';
        invoices.push({
          key: `inv-${pad(invoiceNo, 5)}`,
          accountKey: account.key,
          subscriptionKey: sub.key,
          number: `LW-${issued.getUTCFullYear()}-${pad(invoiceNo, 5)}`,
          issuedOn: issued.toISOString().slice(0, 10),
          dueOn: new Date(issued.getTime() + 30 * day).toISOString().slice(0, 10),
          currency,
          status: invoiceStatus,
          lines,
          total,
        });
        usage.push({
          accountKey: account.key,
          month: issued.toISOString().slice(0, 7),
          apiCalls: rnd.int(1_000, 2_000_000),
          activeSeats: rnd.int(1, seats),
        });
      }
    }
    for (let t = rnd.int(0, 6); t > 0; t--) {
      const subject = rnd.pick(ticketSubjects);
      tickets.push({
        key: `tick-${pad(tickets.length + 1, 5)}`,
        accountKey: account.key,
        requesterKey: someone().key,
        subject,
        description: `${subject}. Reported by the customer; see earlier conversation.`,
        priority: rnd.pick(['low', 'normal', 'normal', 'high', 'urgent'] as const),
        status: rnd.pick(['new', 'open', 'pending', 'solved', 'closed'] as const),
        createdAt: dateIn(180, 0),
      });
    }
    if (rnd.chance(0.4)) {
      incidents.push({
        key: `inc-${pad(incidents.length + 1)}`,
        accountKey: account.key,
        callerKey: someone().key,
        shortDescription: rnd.pick(incidentDescriptions),
        urgency: rnd.pick([1, 2, 3] as const),
        impact: rnd.pick([1, 2, 3] as const),
        state: rnd.pick(['new', 'in_progress', 'on_hold', 'resolved', 'closed'] as const),
        openedAt: dateIn(120, 0),
      });
    }
  }

  return {
    seed,
    asOf: new Date(asOfMs).toISOString(),
    accounts,
    contacts,
    deals,
    subscriptions,
    invoices,
    tickets,
    incidents,
    usage,
    employees,
  };
}
