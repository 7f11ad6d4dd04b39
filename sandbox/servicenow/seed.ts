import { createHash } from 'node:crypto';
import { toGlideDateTime } from '../../src/connectors/servicenow/glide-time.js';
import {
  accountNameIn,
  type Business,
  contactEmailIn,
  contactNameIn,
  duplicatedAccountsIn,
  duplicatedContactsIn,
  duplicateNameIn,
  type Incident,
} from '../seed/index.js';
import type { SnTables } from './records.js';
import { tables } from './tables.js';

const day = 86_400_000;
const hour = 3_600_000;

/** Stable 32-hex sys_ids from canonical keys: every restart seeds the same ids. */
export function seededSysId(key: string): string {
  return createHash('md5').update(`servicenow:${key}`).digest('hex');
}

function hash(text: string): number {
  return createHash('md5').update(text).digest().readUInt32BE(0);
}

const states: Record<Incident['state'], string> = {
  new: '1',
  in_progress: '2',
  on_hold: '3',
  resolved: '6',
  closed: '7',
};
const categories: [RegExp, string, string][] = [
  [/VPN|Latency/, 'network', 'Network Operations'],
  [/Disk/, 'hardware', 'Service Desk'],
  [/ERP export/, 'database', 'Database Administration'],
  [/./, 'software', 'Application Support'],
];
const groups = ['Service Desk', 'Network Operations', 'Database Administration', 'Application Support'];
/** A nightly job closed a batch of incidents in one second: equal sys_updated_on is common. */
const bulkCloseAt = Date.UTC(2026, 9, 31, 23, 0, 0);

/**
 * Maps the fictional business into the instance: customers as `core_company` (names as a service
 * desk types them, a few duplicates), their people as `sys_user` callers (work or personal email,
 * names with stray casing, a few duplicates), Loomwise's staff as users and assignment groups, and
 * the incidents with caller, company, impact/urgency/priority, state and monitoring correlation ids.
 */
export function seedBusiness(t: SnTables, business: Business): void {
  const at = (iso: string, laterMs = 0) => ({
    createdMs: Date.parse(iso),
    updatedMs: Date.parse(iso) + laterMs,
  });
  const companyOf = new Map<string, string>();
  const userOf = new Map<string, { sysId: string; name: string }>();
  const loomwise = seededSysId('company:loomwise');
  t.insert(
    tables.core_company!,
    {
      sys_id: loomwise,
      name: 'Loomwise',
      customer: 'false',
      vendor: 'true',
      website: 'https://loomwise.example',
    },
    'system',
    at('2023-01-02T09:00:00Z'),
  );
  for (const account of business.accounts) {
    const sysId = seededSysId(account.key);
    companyOf.set(account.key, sysId);
    const company = {
      city: account.city,
      country: account.country,
      website: `https://www.${account.domain}`,
      customer: 'true',
      vendor: 'false',
    };
    t.insert(
      tables.core_company!,
      { ...company, sys_id: sysId, name: accountNameIn('servicenow', account) },
      'admin',
      at(account.createdAt),
    );
  }
  for (const account of duplicatedAccountsIn('servicenow', business)) {
    t.insert(
      tables.core_company!,
      {
        sys_id: seededSysId(`${account.key}:dup`),
        name: duplicateNameIn('servicenow', account),
        city: account.city,
        country: account.country,
        customer: 'true',
      },
      'admin',
      at(account.createdAt, 40 * day),
    );
  }

  const staff: string[] = [];
  for (const e of business.employees) {
    const [first = '', ...last] = e.name.split(' ');
    const sysId = seededSysId(e.key);
    staff.push(sysId);
    t.insert(
      tables.sys_user!,
      {
        sys_id: sysId,
        user_name: e.email.split('@')[0],
        first_name: first,
        last_name: last.join(' '),
        email: e.email,
        title: e.team,
        department: e.team,
        company: loomwise,
        active: 'true',
      },
      'admin',
      at('2023-01-02T09:00:00Z'),
    );
  }
  const groupIds = new Map<string, string>();
  groups.forEach((name, i) => {
    const sysId = seededSysId(`group:${name}`);
    groupIds.set(name, sysId);
    t.insert(
      tables.sys_user_group!,
      {
        sys_id: sysId,
        name,
        description: `${name} (Loomwise)`,
        manager: staff[i] ?? '',
        email: `${name.toLowerCase().replaceAll(' ', '-')}@loomwise.example`,
        active: 'true',
      },
      'admin',
      at('2023-01-02T09:00:00Z'),
    );
  });

  for (const c of business.contacts) {
    const { firstName, lastName } = contactNameIn('servicenow', c);
    const email = contactEmailIn('servicenow', c);
    const sysId = seededSysId(c.key);
    userOf.set(c.key, { sysId, name: `${firstName} ${lastName}`.trim() });
    t.insert(
      tables.sys_user!,
      {
        sys_id: sysId,
        user_name: email.toLowerCase(),
        first_name: firstName,
        last_name: lastName,
        email,
        phone: c.phone,
        title: c.title,
        company: companyOf.get(c.accountKey),
        active: 'true',
      },
      'admin',
      at(c.createdAt),
    );
  }
  for (const c of duplicatedContactsIn('servicenow', business)) {
    // Someone created the caller again from a phone call: personal address or none, name as heard.
    const email = c.personalEmail ?? '';
    t.insert(
      tables.sys_user!,
      {
        sys_id: seededSysId(`${c.key}:dup`),
        user_name: email || `${c.firstName}.${c.lastName}`.toLowerCase(),
        first_name: c.firstName.toUpperCase(),
        last_name: c.lastName,
        email,
        phone: c.phone,
        company: companyOf.get(c.accountKey),
        active: 'true',
      },
      'admin',
      at(c.createdAt, 20 * day),
    );
  }

  const accountName = new Map(business.accounts.map((a) => [a.key, accountNameIn('servicenow', a).trim()]));
  const asOf = Date.parse(business.asOf);
  for (const inc of business.incidents) {
    const h = hash(inc.key);
    const [, category, group] = categories.find(([re]) => re.test(inc.shortDescription)) ?? categories[3]!;
    const opened = Date.parse(inc.openedAt);
    const state = states[inc.state];
    const done = state === '6' || state === '7';
    const worked = inc.state === 'new' ? 0 : (1 + (h % 72)) * hour;
    let updated = Math.min(asOf - hour, opened + worked);
    if (inc.state === 'closed' && h % 4 === 0) updated = bulkCloseAt;
    const caller = userOf.get(inc.callerKey);
    const monitored = h % 2 === 0;
    t.insert(
      tables.incident!,
      {
        sys_id: seededSysId(inc.key),
        short_description: inc.shortDescription,
        description: `${inc.shortDescription}. Reported by ${caller?.name ?? 'a caller'} of ${accountName.get(inc.accountKey) ?? 'a customer'}.`,
        caller_id: caller?.sysId ?? '',
        company: companyOf.get(inc.accountKey) ?? '',
        impact: String(inc.impact),
        urgency: String(inc.urgency),
        state,
        hold_reason: state === '3' ? '1' : '',
        category,
        assignment_group: groupIds.get(group ?? '') ?? '',
        assigned_to: inc.state === 'new' ? '' : (staff[h % staff.length] ?? ''),
        opened_at: toGlideDateTime(opened),
        contact_type: ['email', 'phone', 'self-service', 'chat'][h % 4],
        resolved_at: done ? toGlideDateTime(Math.min(updated, opened + worked)) : '',
        closed_at: state === '7' ? toGlideDateTime(updated) : '',
        close_code: done ? 'Solved (Permanently)' : '',
        close_notes: done ? 'Fixed and confirmed with the caller.' : '',
        correlation_id: monitored ? `LWMON-${String(h % 1_000_000).padStart(6, '0')}` : '',
        correlation_display: monitored ? 'Loomwise Monitoring' : '',
      },
      monitored ? 'monitoring.integration' : 'admin',
      { createdMs: opened, updatedMs: updated },
    );
  }
}
