import { describe, expect, it } from 'vitest';
import { connectorCatalog } from '../connectors/catalog.js';
import { ConnectionSourceError, parseConnectionSource } from './yaml.js';

const secrets = {
  get: (name: string) => ({ STRIPE_KEY: 'sk_test_from_env_123', HOOK: 'whsec_env_1' })[name],
};
const read = (source: string) =>
  parseConnectionSource({ source, file: 'conn/stripe.yaml', secrets, catalog: connectorCatalog });

function problemsOf(source: string) {
  try {
    read(source);
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectionSourceError);
    return (err as ConnectionSourceError).problems;
  }
  throw new Error('expected problems');
}

describe('Connection files', () => {
  it('reads a Slack webhook URL as a credential: from the environment, or with a warning', () => {
    const hookUrl = 'https://hooks.slack.com/services/T1/B1/yamlHookSecret';
    const fromEnv = parseConnectionSource({
      source:
        'name: slack-alerts\nconnector: slack\nauth:\n  kind: webhook-url\n  url: { secret: SLACK_HOOK }\n',
      file: 'conn/slack.yaml',
      secrets: { get: (name) => (name === 'SLACK_HOOK' ? hookUrl : undefined) },
      catalog: connectorCatalog,
    });
    expect(fromEnv).toEqual({
      spec: { name: 'slack-alerts', connector: 'slack', auth: { kind: 'webhook-url', url: hookUrl } },
      warnings: [],
    });
    const plain = read(
      `name: slack-alerts\nconnector: slack\nauth:\n  kind: webhook-url\n  url: ${hookUrl}\n`,
    );
    expect(plain.warnings.map((w) => w.path)).toEqual(['auth.url']);
    expect(JSON.stringify(plain.warnings)).not.toContain('yamlHookSecret');
  });

  it('resolves { secret: NAME } from WEFT_SECRET_<NAME>', () => {
    const { spec, warnings } = read(`name: stripe-main
connector: stripe
baseUrl: http://127.0.0.1:4010
auth:
  kind: bearer
  token: { secret: STRIPE_KEY }
settings:
  account: acct_1
limits: { requestsPerSecond: 5, burst: 10, timeoutMs: 5000 }
webhookSecrets:
  - { secret: HOOK }
`);
    expect(spec).toEqual({
      name: 'stripe-main',
      connector: 'stripe',
      baseUrl: 'http://127.0.0.1:4010',
      auth: { kind: 'bearer', token: 'sk_test_from_env_123' },
      settings: { account: 'acct_1' },
      limits: { requestsPerSecond: 5, burst: 10, timeoutMs: 5000 },
      webhookSecrets: ['whsec_env_1'],
    });
    expect(warnings).toEqual([]);
  });

  it('allows plain secrets, with a warning at their line', () => {
    const { spec, warnings } = read(`name: stripe-plain
connector: stripe
auth:
  kind: bearer
  token: sk_test_plain_in_file
webhookSecrets: [whsec_plain]
`);
    expect(spec.auth).toEqual({ kind: 'bearer', token: 'sk_test_plain_in_file' });
    expect(warnings.map((w) => [w.line, w.path])).toEqual([
      [5, 'auth.token'],
      [6, 'webhookSecrets[0]'],
    ]);
    expect(JSON.stringify(warnings)).not.toContain('sk_test_plain_in_file');
  });

  it('names file, line and field of every problem, never a value', () => {
    const problems = problemsOf(`name: Stripe_Main
connector: stripe
auth:
  kind: bearer
  token: { secret: MISSING_ONE }
`);
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'conn/stripe.yaml',
        line: 5,
        path: 'auth.token',
        message: expect.stringContaining('WEFT_SECRET_MISSING_ONE'),
      }),
    ]);
    const schema = problemsOf(`name: Stripe_Main
connector: stripe
baseUrl: not a url
auth:
  kind: bearer
  token: sk_test_x_secret
extra: 1
`);
    expect(schema.map((p) => [p.line, p.path])).toEqual([
      [1, 'name'],
      [3, 'baseUrl'],
      [7, 'extra'],
    ]);
    expect(JSON.stringify(schema)).not.toContain('sk_test_x_secret');
    const catalog = problemsOf(`name: crm
connector: nosuch
auth: { kind: bearer, token: x }
`);
    expect(catalog).toEqual([expect.objectContaining({ line: 2, path: 'connector' })]);
    expect(problemsOf('name: [unclosed\n')[0]).toMatchObject({
      file: 'conn/stripe.yaml',
      line: expect.any(Number),
    });
  });
});
