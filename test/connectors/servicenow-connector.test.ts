import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemSandbox } from '../../sandbox/common/server.js';
import { startServiceNowSandbox } from '../../sandbox/servicenow/index.js';
import { connect } from '../../src/connector/connector.js';
import { decodeCursor, incidentChangesPollTrigger } from '../../src/connectors/servicenow/changes.js';
import { serviceNowConnector } from '../../src/connectors/servicenow/connector.js';

/**
 * The connector against the sandbox over real HTTP: OAuth, and the incident poll trigger. The sandbox clock runs `lag` ms
 * behind the real one, so what the API writes is stamped in an already-settled second unless a
 * test sets the lag to 0.
 */
describe('ServiceNow connector against the sandbox', () => {
  let sandbox: SystemSandbox;
  let lag = 10_000;
  beforeAll(async () => {
    sandbox = await startServiceNowSandbox({ port: 0, now: () => Date.now() - lag });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  const admin = (path: string, body: unknown) =>
    fetch(`${sandbox.url}/_sandbox/${path}`, { method: 'POST', body: JSON.stringify(body) });
  const connection = (settings: Record<string, string>) =>
    connect(serviceNowConnector, {
      id: 'sn-poll',
      connector: 'servicenow',
      baseUrl: sandbox.url,
      auth: sandbox.connection.auth,
      settings: { pollStartAt: '2025-01-01 00:00:00', pollSettleSeconds: '0', ...settings },
    });
  const poll = (c: ReturnType<typeof connection>, cursor: string | null) =>
    incidentChangesPollTrigger.fetchChanges(c.ctx, cursor);

  it('authenticates with an OAuth refresh token from /oauth_token.do (password grant done once by the admin)', async () => {
    const res = await fetch(`${sandbox.url}/oauth_token.do`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'weft-sandbox-client',
        client_secret: 'weft-sandbox-client-secret',
        username: 'weft.integration',
        password: 'weft-sandbox-password',
      }),
    });
    const { refresh_token } = (await res.json()) as { refresh_token: string };
    const c = connect(serviceNowConnector, {
      id: 'sn-oauth',
      connector: 'servicenow',
      baseUrl: sandbox.url,
      auth: {
        kind: 'oauth2-refresh-token',
        tokenUrl: `${sandbox.url}/oauth_token.do`,
        clientId: 'weft-sandbox-client',
        clientSecret: 'weft-sandbox-client-secret',
        refreshToken: refresh_token,
        clientAuth: 'body',
      },
    });
    await expect(c.run('incidents.list', { limit: 1 })).resolves.toHaveProperty('result');
  });

  it('hands over records sharing one sys_updated_on across page and poll boundaries exactly once', async () => {
    await admin('reset', {});
    await admin('seed', { incidents: 7, updatedOn: '2026-03-01 08:00:00' });
    await admin('seed', { incidents: 2, updatedOn: '2026-03-01 08:00:01' });
    // Two pages of 3 per poll: the first poll stops inside the shared second.
    const c = connection({ pollPageSize: '3', pollMaxPages: '2' });
    const seen: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const { changes, cursor: next } = await poll(c, cursor);
      sizes.push(changes.length);
      seen.push(...changes.map((ch) => ch.dedupeKey));
      cursor = next;
    }
    expect(sizes).toEqual([6, 3, 0, 0]);
    expect(new Set(seen).size).toBe(9);
    expect(seen.every((k) => /^incident:[0-9a-f]{32}:2026-03-01 08:00:0[01]$/.test(k))).toBe(true);
    expect(decodeCursor(cursor ?? '').t).toBe('2026-03-01 08:00:01');
  });

  it('loses nothing when a record is updated between two pages, and hands over its new version', async () => {
    await admin('reset', {});
    await admin('seed', { incidents: 6, updatedOn: '2026-03-01 09:00:00' });
    const c = connection({ pollPageSize: '2', pollMaxPages: '1' });
    const first = await poll(c, null);
    expect(first.changes).toHaveLength(2);
    // The third record in cursor order changes before the next page is read: it moves to the end.
    const all = await c.run('incidents.list', {
      query: 'ORDERBYsys_updated_on^ORDERBYsys_id',
      fields: ['sys_id'],
    });
    const moved = String(all.result[2]?.sys_id);
    await c.run('incidents.update', { sys_id: moved, state: '2' });
    const keys = first.changes.map((ch) => ch.dedupeKey);
    let cursor = first.cursor;
    for (let i = 0; i < 5; i++) {
      const next = await poll(c, cursor);
      keys.push(...next.changes.map((ch) => ch.dedupeKey));
      cursor = next.cursor;
    }
    const ids = keys.map((k) => k.split(':')[1]);
    expect(new Set(ids).size).toBe(6);
    expect(keys.filter((k) => k.includes(moved))).toHaveLength(1);
    expect(keys.at(-1)).toMatch(new RegExp(`^incident:${moved}:(?!2026-03-01 09:00:00)`));
  });

  it('holds back the second still in progress until it has ended', async () => {
    await admin('reset', {});
    const c = connection({});
    const start = await poll(c, null);
    lag = 0;
    try {
      const created = await c.run('incidents.create', { short_description: 'Written this second' });
      const early = await poll(c, start.cursor);
      expect(early.changes).toHaveLength(0);
      await new Promise((r) => setTimeout(r, 1100));
      const later = await poll(c, early.cursor);
      expect(later.changes.map((ch) => ch.type)).toEqual(['incident.created']);
      expect(later.changes[0]?.payload.sys_id).toBe(created.sys_id);
    } finally {
      lag = 10_000;
    }
  });
});
