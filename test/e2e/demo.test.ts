import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemSandbox } from '../../sandbox/common/server.js';
import type { SandboxSystemName } from '../../sandbox/fleet.js';
import { loadConfig } from '../../src/config.js';
import { connect } from '../../src/connector/connector.js';
import { hubspotConnector } from '../../src/connectors/hubspot/connector.js';
import { salesforceConnector } from '../../src/connectors/salesforce/connector.js';
import { zendeskConnector } from '../../src/connectors/zendesk/connector.js';
import { type RunningWeft, startWeft } from '../../src/main.js';
import { silentLogger } from '../../src/observability/logger.js';

/**
 * `weft start --demo` as a new user gets it: the seven seeded sandboxes, one Connection each, and
 * the flows of `flows/demo/`. Each flow is driven through the real sandboxes and checked where its
 * writes land, in the Systems themselves.
 */

const adminToken = 'demo-e2e-admin-token-000001';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-demo-'));
const config = loadConfig({
  env: {
    WEFT_DATA_DIR: path.join(dir, 'data'),
    WEFT_PORT: '0',
    WEFT_SANDBOX_PORT: '0',
    WEFT_ADMIN_TOKEN: adminToken,
  },
});

interface Run {
  id: string;
  status: string;
}

let weft: RunningWeft;

const sandbox = (system: SandboxSystemName): SystemSandbox => {
  const s = weft.sandboxes?.[system];
  if (s === undefined) throw new Error(`the demo did not start the ${system} sandbox`);
  return s;
};

async function api<T = Record<string, unknown>>(p: string): Promise<T> {
  const res = await fetch(`${weft.url}${p}`, { headers: { authorization: `Bearer ${adminToken}` } });
  expect(res.status, `GET ${p}`).toBe(200);
  return (await res.json()) as T;
}

/** Every run of a flow (the API pages by 500, newest first). */
async function runsOf(flow: string): Promise<Run[]> {
  const all: Run[] = [];
  let before = '';
  for (;;) {
    const { runs } = await api<{ runs: Run[] }>(`/api/runs?flow=${flow}&limit=500${before}`);
    all.push(...runs);
    if (runs.length < 500) return all;
    before = `&before=${runs[runs.length - 1]?.id}`;
  }
}

/** Polls `probe` until it returns a value, or fails naming what it waited for. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The runs of `flow` once none is queued, running or waiting any more. */
const settledRuns = (flow: string, atLeast: number, ms?: number) =>
  waitFor(
    `${atLeast} settled run(s) of ${flow}`,
    async () => {
      const runs = await runsOf(flow);
      const done = runs.filter((r) => r.status === 'succeeded' || r.status === 'failed');
      return runs.length >= atLeast && done.length === runs.length ? runs : undefined;
    },
    ms,
  );

const statuses = (runs: Run[]) => [...new Set(runs.map((r) => r.status))];

/** Messages in a Slack sandbox channel, by name. */
function slackMessages(channel: string): string[] {
  const store = sandbox('slack').kit.store;
  const id = store.findBy<{ id: string }>('channel', '$.name', channel)[0]?.data.id;
  return store
    .all<{ channel: string; message: { text?: string } }>('message')
    .filter((m) => m.data.channel === id)
    .map((m) => m.data.message.text ?? '');
}

const records = <T>(system: SandboxSystemName, type: string) =>
  sandbox(system)
    .kit.store.all<T>(type)
    .map((r) => r.data);

/** NetSuite customers the sync wrote (its external ids are `sf-<Account Id>`). */
const syncedCustomers = () =>
  records<{ externalId?: string; companyName?: string }>('netsuite', 'customer').filter((c) =>
    c.externalId?.startsWith('sf-'),
  );

describe('weft start --demo: the demo flows between the sandbox Systems', () => {
  beforeAll(async () => {
    weft = await startWeft(config, { demo: true, logger: silentLogger });
  });

  afterAll(async () => {
    await weft?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('deploys the demo flows next to the sample', async () => {
    const { flows } = await api<{ flows: { name: string }[] }>('/api/flows');
    expect(flows.map((f) => f.name).sort()).toEqual(
      expect.arrayContaining([
        'crm-accounts-to-erp',
        'hubspot-new-contact',
        'sample-lead-router',
        'stripe-payment-failed',
        'zendesk-urgent-ticket',
      ]),
    );
  });

  it('hubspot-new-contact: a HubSpot contact becomes a normalised Salesforce Lead and a #sales message', async () => {
    const hubspot = connect(hubspotConnector, {
      id: 'demo-test',
      connector: 'hubspot',
      ...sandbox('hubspot').connection,
    });
    const contact = (await hubspot.run('contacts.create', {
      properties: {
        email: 'Ada.Lovelace@Analytical-Engines.example',
        firstname: '  ADA ',
        lastname: 'lovelace',
        jobtitle: 'Chief  Engineer',
      },
    })) as { id: string };
    await sandbox('hubspot').kit.webhooks.drain();

    const [run] = await settledRuns('hubspot-new-contact', 1);
    expect(run?.status).toBe('succeeded');
    const leads = records<Record<string, unknown>>('salesforce', 'Lead').filter(
      (l) => l.Weft_External_Id__c === `hubspot-${contact.id}`,
    );
    expect(leads).toHaveLength(1);
    expect(leads[0]).toMatchObject({
      FirstName: 'Ada',
      LastName: 'Lovelace',
      Email: 'ada.lovelace@analytical-engines.example',
      // HubSpot had no company; Salesforce requires one, so the email's domain stands in.
      Company: 'analytical-engines.example',
      Title: 'Chief Engineer',
      LeadSource: 'HubSpot',
    });
    expect(slackMessages('sales').filter((t) => t.includes('Ada Lovelace'))).toEqual([
      `New lead from HubSpot: Ada Lovelace (analytical-engines.example, ada.lovelace@analytical-engines.example) is Salesforce Lead ${leads[0]?.Id}.`,
    ]);
  });

  it('zendesk-urgent-ticket: an urgent ticket opens one ServiceNow incident and pages #support; a normal one does nothing', async () => {
    const zendesk = connect(zendeskConnector, {
      id: 'demo-test',
      connector: 'zendesk',
      ...sandbox('zendesk').connection,
    });
    const incidentsBefore = records('servicenow', 'incident').length;
    const normal = (await zendesk.run('tickets.create', {
      subject: 'How do I export a report?',
      comment: { body: 'Where is the export button?' },
      priority: 'normal',
      requester: { email: 'lin.park@example.org', name: 'Lin Park' },
    })) as { id: number };
    const urgent = (await zendesk.run('tickets.create', {
      subject: 'Production sync is down',
      comment: { body: 'Nothing has synced since 9:00; our invoicing is blocked.' },
      priority: 'urgent',
      requester: { email: 'Grace.Hopper@Harbor.example', name: 'Grace Hopper' },
    })) as { id: number };
    await sandbox('zendesk').kit.webhooks.drain();

    const runs = await settledRuns('zendesk-urgent-ticket', 2);
    expect(statuses(runs)).toEqual(['succeeded']);
    const incidents = records<Record<string, string>>('servicenow', 'incident');
    expect(incidents).toHaveLength(incidentsBefore + 1);
    const incident = incidents.find((i) => i.correlation_id === `zendesk-${urgent.id}`);
    expect(incident).toMatchObject({
      short_description: `[Zendesk #${urgent.id}] Production sync is down`,
      urgency: '1',
      correlation_display: 'Zendesk',
    });
    expect(incidents.some((i) => i.correlation_id === `zendesk-${normal.id}`)).toBe(false);
    const pages = slackMessages('support').filter((t) => t.includes(`Zendesk ticket #`));
    expect(pages).toEqual([
      `:rotating_light: urgent Zendesk ticket #${urgent.id} from Grace Hopper: Production sync is down → ServiceNow ${incident?.number}.`,
    ]);

    // Escalated again (urgent → high): the ticket already has its incident, so nothing new opens.
    await zendesk.run('tickets.update', { id: urgent.id, priority: 'high' });
    await sandbox('zendesk').kit.webhooks.drain();
    expect(statuses(await settledRuns('zendesk-urgent-ticket', 3))).toEqual(['succeeded']);
    expect(records('servicenow', 'incident')).toHaveLength(incidentsBefore + 1);
  });

  it('stripe-payment-failed: a declined invoice payment becomes a Task for the account owner and a #finance message', async () => {
    const stripe = sandbox('stripe');
    const key = (stripe.connection.auth as { token: string }).token;
    const call = (p: string, body?: string) =>
      fetch(`${stripe.url}${p}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-www-form-urlencoded' },
        ...(body === undefined ? {} : { body }),
      });
    // An open invoice whose billing email is on a domain the CRM knows (the flow's matching rule).
    const accounts = records<{ Id: string; Name: string; OwnerId: string; Website?: string }>(
      'salesforce',
      'Account',
    );
    const { data } = (await (await call('/v1/invoices?status=open&limit=100')).json()) as {
      data: { id: string; number: string; customer_email: string | null }[];
    };
    const matchOf = (email: string | null) => {
      const domain = email?.toLowerCase().split('@')[1];
      return domain === undefined
        ? undefined
        : accounts.find((a) => a.Website?.toLowerCase().includes(domain));
    };
    const invoice = data.find((i) => matchOf(i.customer_email) !== undefined);
    if (invoice === undefined) throw new Error('no open Stripe invoice matches a Salesforce account');
    const tasksBefore = records('salesforce', 'Task').length;

    const declined = await call(`/v1/invoices/${invoice.id}/pay`, 'payment_method=pm_card_chargeDeclined');
    expect(declined.status).toBe(402);
    await stripe.kit.webhooks.drain();

    const [run] = await settledRuns('stripe-payment-failed', 1);
    expect(run?.status).toBe('succeeded');
    const tasks = records<Record<string, unknown>>('salesforce', 'Task');
    expect(tasks).toHaveLength(tasksBefore + 1);
    const task = tasks.find((t) => String(t.Subject).includes(invoice.number));
    // The oldest matching account: what the flow's SOQL orders by.
    const domain = invoice.customer_email?.toLowerCase().split('@')[1] ?? '';
    expect(task).toMatchObject({ Priority: 'High', Status: 'Not Started' });
    const account = accounts.find((a) => a.Id === task?.WhatId);
    expect(account?.Website?.toLowerCase()).toContain(domain);
    expect(task?.OwnerId).toBe(account?.OwnerId);
    expect(slackMessages('finance').filter((t) => t.includes(invoice.number))).toEqual([
      expect.stringMatching(
        new RegExp(`^Payment failed: Stripe invoice ${invoice.number} .*Follow-up Task ${task?.Id} is with`),
      ),
    ]);
  });

  it('crm-accounts-to-erp: the first poll syncs every seeded Salesforce account into NetSuite, without errors', async () => {
    const accounts = records<{ Id: string }>('salesforce', 'Account');
    expect(accounts.length).toBeGreaterThan(400);
    // Started with Weft; at the demo's pace (50 requests/s to NetSuite) it takes about 10 s.
    const runs = await settledRuns('crm-accounts-to-erp', accounts.length, 40_000);
    expect(runs).toHaveLength(accounts.length);
    expect(statuses(runs)).toEqual(['succeeded']);
    const synced = syncedCustomers();
    expect(synced).toHaveLength(accounts.length);
    expect(new Set(synced.map((c) => c.externalId))).toEqual(new Set(accounts.map((a) => `sf-${a.Id}`)));
    for (const c of synced) expect(c.companyName).toBe(c.companyName?.trim().replace(/\s+/g, ' '));
    // Ten runs at once never reached NetSuite's 15 requests in flight: not one 429.
    const governance = await fetch(`${sandbox('netsuite').url}/_sandbox/governance`).then(
      (r) => r.json() as Promise<{ concurrencyLimit: number; rejected: number }>,
    );
    expect(governance).toMatchObject({ concurrencyLimit: 15, rejected: 0 });
  }, 45_000);

  it('crm-accounts-to-erp: after a restart, polling again brings only the change and updates the same customer', async () => {
    const salesforce = connect(salesforceConnector, {
      id: 'demo-test',
      connector: 'salesforce',
      ...sandbox('salesforce').connection,
    });
    const accounts = records<{ Id: string }>('salesforce', 'Account');
    const renamed = accounts[0]?.Id as string;
    await salesforce.run('accounts.update', { id: renamed, fields: { Name: '  Loomwise   Test  Account ' } });

    // A new process polls at once, from the cursor the first one stored.
    await weft.stop();
    weft = await startWeft(config, { demo: true, logger: silentLogger });
    const runs = await settledRuns('crm-accounts-to-erp', accounts.length + 1);
    expect(runs).toHaveLength(accounts.length + 1);
    expect(statuses(runs)).toEqual(['succeeded']);
    const synced = syncedCustomers();
    expect(synced).toHaveLength(accounts.length);
    expect(synced.find((c) => c.externalId === `sf-${renamed}`)?.companyName).toBe('Loomwise Test Account');
  }, 45_000);

  it('has no open exceptions', async () => {
    const { exceptions } = await api<{ exceptions: unknown[] }>('/api/exceptions?status=open');
    expect(exceptions).toEqual([]);
  });
});
