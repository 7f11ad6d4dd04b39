import { describe, expect, it } from 'vitest';
import { connectorCatalog } from './catalog.js';
import { probeOf, targetOf } from './catalog-entry.js';

describe('connector catalog', () => {
  it.each(Object.entries(connectorCatalog))(
    '%s: every probe is a read action whose input fits its schema',
    (name, entry) => {
      expect(entry.connector.name).toBe(name);
      const probes = [entry.probe, ...Object.values(entry.probeByAuth ?? {})].filter((p) => p !== undefined);
      for (const probe of probes) {
        const action = entry.connector.actions[probe.action];
        expect(action?.kind).toBe('read');
        expect(action?.input.safeParse(probe.input).success).toBe(true);
      }
    },
  );

  it.each(Object.entries(connectorCatalog))(
    '%s: without a probe action, it has no read action either (so the test checks reachability)',
    (_name, entry) => {
      const reads = Object.values(entry.connector.actions).filter((a) => a.kind === 'read');
      expect(entry.probe === undefined).toBe(reads.length === 0);
    },
  );

  it('knows the generic http connector, whose only action writes', () => {
    const entry = connectorCatalog.http;
    expect(entry?.connector.actions.request?.kind).toBe('write');
    expect(entry?.probe).toBeUndefined();
  });

  it('probes a Slack webhook URL without posting, and a bot token with auth.test', () => {
    const slack = connectorCatalog.slack;
    if (slack === undefined) throw new Error('slack is in the catalog');
    expect(probeOf(slack, 'webhook-url')?.action).toBe('incomingWebhook.check');
    expect(probeOf(slack, 'bearer')?.action).toBe('auth.test');
  });

  it('names the host a Connection reaches: a database from its settings, a webhook without its path', () => {
    const { postgres, slack } = connectorCatalog;
    if (postgres === undefined || slack === undefined) throw new Error('both are in the catalog');
    const pg = {
      id: 'db',
      connector: 'postgres',
      auth: { kind: 'basic' as const, username: 'u', password: 'p' },
    };
    expect(targetOf(postgres, { ...pg, settings: { host: 'db.internal', database: 'app' } })).toBe(
      'db.internal:5432',
    );
    expect(targetOf(postgres, { ...pg, settings: { database: 'app', port: '6543' } })).toBe('localhost:6543');
    const hook = { kind: 'webhook-url' as const, url: 'https://hooks.slack.com/services/T1/B1/s3cr3t' };
    expect(targetOf(slack, { id: 'alerts', connector: 'slack', auth: hook })).toBe('hooks.slack.com');
    expect(targetOf(slack, { id: 'bot', connector: 'slack', auth: { kind: 'bearer', token: 'xoxb' } })).toBe(
      'slack.com',
    );
  });
});
