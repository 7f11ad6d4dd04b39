import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemSandbox } from '../../sandbox/common/server.js';
import { salesforceSandboxCredentials, startSalesforceSandbox } from '../../sandbox/salesforce/index.js';
import type { ActionDefinition } from '../../src/connector/action.js';
import { type ConnectedConnector, connect } from '../../src/connector/connector.js';
import { salesforceConnector } from '../../src/connectors/salesforce/connector.js';
import { salesforceChangeEventTrigger } from '../../src/connectors/salesforce/webhook.js';
import type { WeftError } from '../../src/contract/errors.js';
import { startReceiver } from './support/salesforce-harness.js';

type Connected = ConnectedConnector<Record<string, ActionDefinition>>;

/** The connector against its sandbox: what the contract suite does not cover. */
describe('Salesforce connector against the sandbox', () => {
  let sb: SystemSandbox;
  let clock = Date.UTC(2026, 10, 5, 8, 0, 0);
  const open = (settings: Record<string, string> = {}): Connected =>
    connect(salesforceConnector, {
      id: 'sf',
      connector: 'salesforce',
      ...sb.connection,
      settings: { ...sb.connection.settings, ...settings },
    });
  beforeAll(async () => {
    sb = await startSalesforceSandbox({ port: 0, now: () => clock });
  });
  afterAll(async () => {
    await sb?.close();
  });
  const admin = (path: string, body: unknown) =>
    fetch(`${sb.url}/_sandbox/${path}`, { method: 'POST', body: JSON.stringify(body) });

  it('polls changes with a composite cursor: equal timestamps across the LIMIT are neither lost nor repeated', async () => {
    const c = open({ pollLimit: '2', pollFrom: '2026-11-05T00:00:00Z' });
    const trigger = salesforceConnector.pollTriggers?.contacts;
    if (!trigger) throw new Error('contacts poll trigger missing');
    await admin('seed', { Contact: 5 }); // five records, one SystemModstamp
    const seen: string[] = [];
    let cursor: string | null = null;
    const batches: number[] = [];
    for (let i = 0; i < 5; i++) {
      const out = await trigger.fetchChanges(c.ctx, cursor);
      batches.push(out.changes.length);
      seen.push(...out.changes.map((e) => e.dedupeKey));
      cursor = out.cursor;
    }
    expect(batches).toEqual([2, 2, 1, 0, 0]);
    expect(new Set(seen).size).toBe(5);
    expect(seen.every((k) => k.endsWith(`:${clock}`))).toBe(true);

    // A later edit of the first record shows up once, under a new dedupe key.
    clock += 1000;
    const firstId = seen[0]?.split(':')[1] as string;
    await c.run('contacts.update', { id: firstId, fields: { Title: 'CTO' } });
    const later = await trigger.fetchChanges(c.ctx, cursor);
    expect(later.changes.map((e) => e.dedupeKey)).toEqual([`Contact:${firstId}:${clock}`]);
  });

  it('creates through the ledger: a retry after a lost answer finds the record instead of duplicating it', async () => {
    const c = open();
    const count = async () =>
      ((await c.run('soql.query', { q: 'SELECT COUNT() FROM Lead' })) as { totalSize: number }).totalSize;
    const before = await count();
    await admin('faults', { dropNextResponses: 1 });
    const call = { idempotencyKey: 'run-7:step-2:0', attempt: 1 };
    const lost = await c
      .run('leads.create', { fields: { LastName: 'Ledger', Company: 'Ledger Ltd' } }, call)
      .catch((e: unknown) => e);
    expect((lost as WeftError).retryable).toBe(true);
    const retried = (await c.run(
      'leads.create',
      { fields: { LastName: 'Ledger', Company: 'Ledger Ltd' } },
      { ...call, attempt: 2 },
    )) as {
      id: string;
    };
    expect(retried.id).toMatch(/^00Q/);
    expect(await count()).toBe(before + 1);
  });

  it('deletes idempotently and reports a deleted record as not_found', async () => {
    const c = open();
    const { id } = (await c.run('cases.create', { fields: { Subject: 'Delete me' } })) as { id: string };
    await c.run('cases.delete', { id }, { idempotencyKey: 'd-1', attempt: 1 });
    // The retry looks first: the record is gone, so the earlier attempt landed.
    await expect(c.run('cases.delete', { id }, { idempotencyKey: 'd-1', attempt: 2 })).resolves.toEqual({
      id,
      deleted: true,
    });
    const err = (await c.run('cases.get', { id }).catch((e: unknown) => e)) as WeftError;
    expect([err.code, err.details.errorCode]).toEqual(['not_found', 'ENTITY_IS_DELETED']);
  });

  it('runs a composite of upserts with references; refuses POST subrequests before sending', async () => {
    const c = open();
    const out = (await c.run('composite.run', {
      compositeRequest: [
        {
          method: 'PATCH',
          url: '/sobjects/Account/Weft_External_Id__c/ACME-1',
          referenceId: 'acct',
          body: { Name: 'Acme' },
        },
        {
          method: 'PATCH',
          url: '/sobjects/Contact/Weft_External_Id__c/ACME-1-ada',
          referenceId: 'ada',
          body: { LastName: 'Lovelace', AccountId: '@{acct.id}' },
        },
      ],
    })) as { compositeResponse: { httpStatusCode: number }[] };
    expect(out.compositeResponse.map((r) => r.httpStatusCode)).toEqual([201, 201]);
    const post = (await c
      .run('composite.run', {
        compositeRequest: [
          { method: 'POST', url: '/sobjects/Account', referenceId: 'x', body: { Name: 'Dup risk' } },
        ],
      })
      .catch((e: unknown) => e)) as WeftError;
    expect(post.code).toBe('invalid_input');
  });

  it('classifies SOQL errors and follows nextRecordsUrl to the end', async () => {
    const c = open();
    await admin('seed', { Opportunity: 450 });
    const all = (await c.run('soql.query', { q: 'SELECT Id, Amount FROM Opportunity', batchSize: 200 })) as {
      done: boolean;
      records: unknown[];
      totalSize: number;
    };
    expect([all.done, all.records.length]).toEqual([true, all.totalSize]);
    const bad = (await c
      .run('soql.query', { q: 'SELECT Nope FROM Opportunity' })
      .catch((e: unknown) => e)) as WeftError;
    expect([bad.code, bad.retryable, bad.details.errorCode]).toEqual([
      'invalid_input',
      false,
      'INVALID_FIELD',
    ]);
  });

  it('authenticates with a refresh token as well', async () => {
    const c = connect(salesforceConnector, {
      id: 'sf-refresh',
      connector: 'salesforce',
      baseUrl: sb.url,
      auth: {
        kind: 'oauth2-refresh-token',
        tokenUrl: `${sb.url}/services/oauth2/token`,
        clientId: salesforceSandboxCredentials.clientId,
        clientSecret: salesforceSandboxCredentials.clientSecret,
        refreshToken: salesforceSandboxCredentials.refreshToken,
        clientAuth: 'body',
      },
    });
    await expect(c.run('limits.get', {})).resolves.toHaveProperty('DailyApiRequests');
  });

  it('parses a sandbox change event into the same dedupe key a poll gives', async () => {
    const receiver = await startReceiver();
    try {
      await admin('webhooks', { url: receiver.url, secret: 'k', events: ['AccountChangeEvent'] });
      const c = open();
      const next = receiver.next();
      const { id } = (await c.run('accounts.upsert', { externalId: 'HOOK-1', fields: { Name: 'Hook' } })) as {
        id: string;
      };
      const delivery = await next;
      expect(salesforceChangeEventTrigger.verify(delivery, ['k'], delivery.signedAt)).toEqual({ ok: true });
      const [event] = salesforceChangeEventTrigger.parse(delivery.rawBody);
      expect(event?.type).toBe('Account.created');
      expect(event?.dedupeKey).toBe(`Account:${id}:${clock}`);
    } finally {
      await sb.kit.webhooks.drain();
      await receiver.close();
    }
  });
});
