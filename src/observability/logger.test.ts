import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ConnectionSpec } from '../connections/spec.js';
import { createLoggerTo } from './logger.js';

/** A logger whose lines are kept, parsed, for the test to read. */
function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLoggerTo({ level: 'info' }, sink), lines };
}

const secrets = {
  token: 'tok_never_logged_1',
  url: 'https://hooks.slack.com/services/T1/B1/hookPathSecret',
  clientSecret: 'cs_never_logged_2',
  refreshToken: 'rt_never_logged_3',
  password: 'pw_never_logged_4',
  webhook: 'whsec_never_logged_5',
  apiKey: 'ak_never_logged_6',
  consumerSecret: 'cons_never_logged_7',
  tokenSecret: 'toks_never_logged_8',
};

describe('logger redaction', () => {
  it('shows no secret of a logged Connection spec, but keeps its auth kind', () => {
    const { logger, lines } = capture();
    const specs: ConnectionSpec[] = [
      { name: 'slack-alerts', connector: 'slack', auth: { kind: 'webhook-url', url: secrets.url } },
      {
        name: 'crm',
        connector: 'http',
        baseUrl: 'https://api.example.com',
        auth: {
          kind: 'oauth2-refresh-token',
          tokenUrl: 'https://login.example.com/token',
          clientId: 'client',
          clientSecret: secrets.clientSecret,
          refreshToken: secrets.refreshToken,
        },
        webhookSecrets: [secrets.webhook],
      },
      {
        name: 'erp',
        connector: 'netsuite',
        auth: {
          kind: 'netsuite-tba',
          accountId: '123',
          consumerKey: 'ck',
          consumerSecret: secrets.consumerSecret,
          tokenId: 'tid',
          tokenSecret: secrets.tokenSecret,
        },
      },
    ];
    for (const spec of specs) {
      logger.info({ spec }, 'connection applied');
      logger.info(spec, 'connection applied, flat');
      logger.info({ change: { spec } }, 'connection applied, nested');
    }
    logger.info({ auth: { kind: 'basic', username: 'weft', password: secrets.password } }, 'auth');
    logger.info({ target: { apiKey: secrets.apiKey, token: secrets.token } }, 'keys');
    logger.info({ request: { headers: { Authorization: `Bearer ${secrets.token}` } } }, 'headers');

    const text = lines.join('');
    for (const value of Object.values(secrets)) expect(text).not.toContain(value);
    const first = JSON.parse(lines[0] ?? '{}') as { spec: { auth: Record<string, string> } };
    expect(first.spec.auth).toEqual({ kind: 'webhook-url', url: '[redacted]' });
    expect(text).toContain('"kind":"oauth2-refresh-token"');
    expect(text).toContain('"kind":"netsuite-tba"');
  });
});
