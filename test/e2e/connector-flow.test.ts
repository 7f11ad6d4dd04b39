import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { SystemSandbox } from '../../sandbox/common/server.js';
import { startHubSpotSandbox } from '../../sandbox/hubspot/index.js';
import { startSalesforceSandbox } from '../../sandbox/salesforce/index.js';
import { loadConfig } from '../../src/config.js';
import { connect } from '../../src/connector/connector.js';
import { signWeftWebhook } from '../../src/connector/signed-webhook.js';
import { hubspotConnector } from '../../src/connectors/hubspot/connector.js';
import { type RunningWeft, startWeft } from '../../src/main.js';
import { silentLogger } from '../../src/observability/logger.js';

const adminToken = 'connector-flow-admin-token-0001';
const hookSecret = 'hubspot-app-client-secret-for-e2e';

/** A HubSpot contact created → a signed HubSpot webhook → a flow → a follow-up Task in Salesforce. */
const flow = `name: new-contact-follow-up
trigger:
  kind: connector-webhook
  connection: hubspot
  trigger: events
  types: [contact.creation]
steps:
  - id: contact
    kind: action
    connection: hubspot
    action: contacts.get
    input: '{ "id": $string(event.body.event.objectId), "properties": ["email", "firstname"] }'
  - id: task
    kind: action
    connection: salesforce
    action: tasks.create
    input: |
      { "fields": { "Subject": "Follow up with " & steps.contact.properties.email, "Priority": "High" } }
`;

describe('a flow triggered by a signed sandbox webhook writes to another System', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-connector-flow-'));
  let hubspot: SystemSandbox;
  let salesforce: SystemSandbox;
  let weft: RunningWeft;
  const api = (p: string) =>
    fetch(`${weft.url}${p}`, { headers: { authorization: `Bearer ${adminToken}` } }).then(
      (r) => r.json() as Promise<Record<string, unknown>>,
    );

  beforeAll(async () => {
    hubspot = await startHubSpotSandbox({ port: 0 });
    salesforce = await startSalesforceSandbox({ port: 0 });
    const connectionsDir = path.join(dir, 'connections');
    const flowsDir = path.join(dir, 'flows');
    fs.mkdirSync(connectionsDir);
    fs.mkdirSync(flowsDir);
    // Credentials by reference: the YAML holds no secret values.
    const specs = {
      hubspot: { ...hubspot.connection, auth: { kind: 'bearer', token: { secret: 'HUBSPOT_TOKEN' } } },
      salesforce: salesforce.connection,
    };
    fs.writeFileSync(
      path.join(connectionsDir, 'hubspot.yaml'),
      stringify({
        name: 'hubspot',
        connector: 'hubspot',
        ...specs.hubspot,
        webhookSecrets: [{ secret: 'HUBSPOT_HOOKS' }],
      }),
    );
    fs.writeFileSync(
      path.join(connectionsDir, 'salesforce.yaml'),
      stringify({
        name: 'salesforce',
        connector: 'salesforce',
        ...specs.salesforce,
        webhookSecrets: [{ secret: 'HUBSPOT_HOOKS' }],
      }),
    );
    fs.writeFileSync(path.join(flowsDir, 'follow-up.yaml'), flow);
    const hubspotToken = (hubspot.connection.auth as { token: string }).token;
    const config = loadConfig({
      env: { WEFT_DATA_DIR: path.join(dir, 'data'), WEFT_PORT: '0', WEFT_ADMIN_TOKEN: adminToken },
      flags: { connectionsDir, flowsDir },
    });
    weft = await startWeft(config, {
      logger: silentLogger,
      secrets: {
        get: (name) => ({ HUBSPOT_TOKEN: hubspotToken, HUBSPOT_HOOKS: hookSecret })[name],
      },
    });
    const target = await fetch(`${hubspot.url}/_sandbox/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${weft.url}/hooks/connections/hubspot/events`, secret: hookSecret }),
    });
    expect(target.status).toBe(200);
  });

  afterAll(async () => {
    await weft?.stop();
    await hubspot?.close();
    await salesforce?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the Salesforce task once the HubSpot contact exists', async () => {
    const crm = connect(hubspotConnector, { id: 'test', connector: 'hubspot', ...hubspot.connection });
    await crm.run('contacts.create', { properties: { email: 'grace@harbor.example', firstname: 'Grace' } });
    await hubspot.kit.webhooks.drain();

    const deadline = Date.now() + 10_000;
    let subjects: string[] = [];
    while (Date.now() < deadline) {
      subjects = salesforce.kit.store.all<{ Subject?: string }>('Task').map((t) => t.data.Subject ?? '');
      if (subjects.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(subjects).toEqual(['Follow up with grace@harbor.example']);
    const runs = (await api('/api/runs?flow=new-contact-follow-up')).runs as { status: string }[];
    expect(runs.map((r) => r.status)).toEqual(['succeeded']);
  });

  it('refuses a tampered delivery and stores nothing', async () => {
    const before = ((await api('/api/events?flow=new-contact-follow-up')).events as unknown[]).length;
    const body = JSON.stringify([
      { eventId: 1, subscriptionType: 'contact.creation', objectId: 99, occurredAt: Date.now() },
    ]);
    const res = await fetch(`${weft.url}/hooks/connections/hubspot/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': 'dGFtcGVyZWQ=',
        'x-hubspot-request-timestamp': String(Date.now()),
      },
      body,
    });
    expect(res.status).toBe(401);
    expect(((await api('/api/events?flow=new-contact-follow-up')).events as unknown[]).length).toBe(before);
  });

  it('acknowledges a genuine delivery no flow subscribes to, and stores nothing', async () => {
    const body = JSON.stringify([
      { ChangeEventHeader: { entityName: 'Account', changeType: 'UPDATE', recordIds: ['001'] } },
    ]);
    const post = (signature: string | undefined) =>
      fetch(`${weft.url}/hooks/connections/salesforce/changeEvents`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature ? { 'x-weft-signature': signature } : {}),
        },
        body,
      });
    const genuine = await post(signWeftWebhook(hookSecret, body, Date.now()));
    expect(genuine.status).toBe(200);
    expect(await genuine.json()).toMatchObject({ ignored: true, accepted: 0 });
    expect((await post(undefined)).status).toBe(401);
    const unknown = await fetch(`${weft.url}/hooks/connections/nowhere/events`, { method: 'POST', body });
    expect(unknown.status).toBe(404);
  });
});
