import {
  accountNameIn,
  type Business,
  contactEmailIn,
  contactNameIn,
  type Deal,
  duplicatedAccountsIn,
  duplicatedContactsIn,
  duplicateNameIn,
  generateBusiness,
} from '../seed/index.js';
import type { Associations } from './associations.js';
import type { CrmRecords } from './records.js';

const day = 86_400_000;

/** HubSpot's default pipeline stage for each of the business's deal stages. */
const stageOf: Record<Deal['stage'], string> = {
  prospecting: 'appointmentscheduled',
  qualification: 'qualifiedtobuy',
  proposal: 'presentationscheduled',
  negotiation: 'decisionmakerboughtin',
  'closed-won': 'closedwon',
  'closed-lost': 'closedlost',
};

/** HubSpot's industry enum values for the business's industries. */
const industryOf: Record<string, string> = {
  Logistics: 'LOGISTICS_AND_SUPPLY_CHAIN',
  Healthcare: 'HOSPITAL_HEALTH_CARE',
  'Food & Beverage': 'FOOD_BEVERAGES',
  Manufacturing: 'MACHINERY',
  Technology: 'COMPUTER_SOFTWARE',
  Retail: 'RETAIL',
  Energy: 'OIL_ENERGY',
  'Financial Services': 'FINANCIAL_SERVICES',
  Media: 'MEDIA_PRODUCTION',
  Insurance: 'INSURANCE',
};

/**
 * HubSpot's view of the fictional business: every account as a company (names spelt HubSpot's
 * messy way, a few created twice by hand), its people as contacts (some under a personal email,
 * a few twice), deals on the default pipeline and follow-up tasks, all associated as a sales team
 * would have them and timestamped from the business.
 */
export function seedBusiness(
  records: CrmRecords,
  associations: Associations,
  business: Business = generateBusiness(),
): void {
  const asOf = Date.parse(business.asOf);
  const owners = business.employees.filter((e) => e.team === 'sales' || e.team === 'success');
  const ownerOf = (key: string) => String(70_000 + (hashIndex(key) % Math.max(1, owners.length)));
  const customers = new Set(
    business.subscriptions.filter((s) => s.status !== 'canceled').map((s) => s.accountKey),
  );
  const companyOf = new Map<string, string>();
  const contactOf = new Map<string, string>();

  for (const a of business.accounts) {
    const createdMs = Date.parse(a.createdAt);
    const properties = {
      name: accountNameIn('hubspot', a),
      domain: a.domain,
      website: `https://www.${a.domain}`,
      industry: industryOf[a.industry] ?? 'COMPUTER_SOFTWARE',
      city: a.city,
      country: a.country,
      numberofemployees: String(a.employees),
      annualrevenue: String(a.annualRevenue),
      lifecyclestage: customers.has(a.key) ? 'customer' : 'lead',
      hubspot_owner_id: ownerOf(a.key),
    };
    companyOf.set(a.key, records.load('companies', properties, { createdMs, updatedMs: createdMs }).id);
  }
  for (const a of duplicatedAccountsIn('hubspot', business)) {
    // Someone typed the company in again a month later, with the other spelling and no website.
    const createdMs = Math.min(asOf, Date.parse(a.createdAt) + 30 * day);
    records.load(
      'companies',
      {
        name: duplicateNameIn('hubspot', a),
        domain: a.domain,
        city: a.city,
        country: a.country,
        lifecyclestage: 'lead',
      },
      { createdMs, updatedMs: createdMs },
    );
  }

  const accountName = new Map(business.accounts.map((a) => [a.key, accountNameIn('hubspot', a)]));
  const usedEmails = new Set<string>();
  const addContact = (c: Business['contacts'][number], email: string | null, createdMs: number) => {
    const { firstName, lastName } = contactNameIn('hubspot', c);
    const lower = email?.toLowerCase() ?? null;
    if (lower !== null) usedEmails.add(lower);
    const rec = records.load(
      'contacts',
      {
        ...(lower !== null ? { email: lower } : {}),
        firstname: firstName,
        lastname: lastName,
        phone: c.phone,
        jobtitle: c.title,
        company: accountName.get(c.accountKey) ?? '',
        lifecyclestage: 'salesqualifiedlead',
        hubspot_owner_id: ownerOf(c.accountKey),
      },
      { createdMs, updatedMs: createdMs },
    );
    const company = companyOf.get(c.accountKey);
    if (company !== undefined) associations.associate('contacts', rec.id, 'companies', company, [279, 1]);
    return rec.id;
  };
  for (const c of business.contacts) {
    contactOf.set(c.key, addContact(c, contactEmailIn('hubspot', c), Date.parse(c.createdAt)));
  }
  for (const c of duplicatedContactsIn('hubspot', business)) {
    // The second record came from a form filled in privately: personal email, or none at all.
    const email =
      c.personalEmail !== null && !usedEmails.has(c.personalEmail.toLowerCase()) ? c.personalEmail : null;
    addContact(c, email, Math.min(asOf, Date.parse(c.createdAt) + 45 * day));
  }

  for (const d of business.deals) {
    const createdMs = Date.parse(d.createdAt);
    const closed = d.stage === 'closed-won' || d.stage === 'closed-lost';
    const updatedMs = closed ? Math.max(createdMs, Math.min(asOf, Date.parse(d.closeDate))) : createdMs;
    const deal = records.load(
      'deals',
      {
        dealname: d.name,
        amount: String(d.amount),
        closedate: new Date(Date.parse(d.closeDate)).toISOString(),
        pipeline: 'default',
        dealstage: stageOf[d.stage],
        dealtype: d.name.endsWith('New business') ? 'newbusiness' : 'existingbusiness',
        deal_currency_code: 'USD',
        hubspot_owner_id: ownerOf(d.accountKey),
      },
      { createdMs, updatedMs },
    ).id;
    const company = companyOf.get(d.accountKey);
    const contact = contactOf.get(d.contactKey);
    if (company !== undefined) associations.associate('deals', deal, 'companies', company, [341, 5]);
    if (contact !== undefined) associations.associate('deals', deal, 'contacts', contact, [3]);

    const due = Date.parse(d.closeDate) - 7 * day;
    const task = records.load(
      'tasks',
      {
        hs_timestamp: new Date(due).toISOString(),
        hs_task_subject: closed ? `Kick-off call: ${d.name}` : `Follow up: ${d.name}`,
        hs_task_body: closed ? 'Hand over to customer success.' : 'Confirm budget and timeline before close.',
        hs_task_status: closed || due < asOf ? 'COMPLETED' : 'NOT_STARTED',
        hs_task_priority: d.amount >= 100_000 ? 'HIGH' : 'MEDIUM',
        hs_task_type: closed ? 'CALL' : 'EMAIL',
        hubspot_owner_id: ownerOf(d.accountKey),
      },
      { createdMs, updatedMs },
    ).id;
    associations.associate('tasks', task, 'deals', deal, [216]);
    if (contact !== undefined) associations.associate('tasks', task, 'contacts', contact, [204]);
    if (company !== undefined) associations.associate('tasks', task, 'companies', company, [192]);
  }
}

function hashIndex(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return h;
}
