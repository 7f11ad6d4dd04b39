import { type SandboxServerOptions, type SystemSandbox, startSandboxServer } from '../common/server.js';
import { SalesforceAuth, type SalesforceCredentials } from './auth.js';
import { salesforceSystem } from './system.js';

export type { SalesforceCredentials } from './auth.js';

export interface SalesforceSandboxOptions extends SandboxServerOptions {
  /** The newest REST API version served (default `66.0`, Spring '26); older ones down to v31.0 answer too. */
  apiVersion?: string;
  /** The connected app's credentials the token endpoint accepts (defaults: {@link salesforceSandboxCredentials}). */
  credentials?: Partial<SalesforceCredentials>;
  /** How long an issued session stays valid (default 2 hours, Salesforce's default timeout). */
  sessionTimeoutMs?: number;
  /** The org's rolling 24-hour API allocation (default 100,000, an Enterprise org's base). */
  dailyApiRequests?: number;
}

/** The sandbox org's connected app, unless options say otherwise. Not secrets: local only. */
export const salesforceSandboxCredentials: SalesforceCredentials = {
  clientId: 'weft-sandbox-consumer-key',
  clientSecret: 'weft-sandbox-consumer-secret',
  refreshToken: 'weft-sandbox-refresh-token',
};

const defaultApiVersion = '66.0';

/**
 * Starts a local Salesforce org: OAuth 2 token endpoint (client credentials and refresh token,
 * answering `instance_url`), sObject CRUD and upsert by external id for Lead, Contact, Account,
 * Opportunity, Task and Case, SOQL with `nextRecordsUrl` batches, composite with `allOrNone`,
 * Salesforce's error arrays, the daily API limit (403 REQUEST_LIMIT_EXCEEDED, `Sforce-Limit-Info`),
 * CDC-shaped change events signed with `X-Weft-Signature`, and the kit's fault injection.
 *
 * @example
 * const sf = await startSalesforceSandbox({ port: 0, seedBusiness: true });
 * const conn = connect(salesforceConnector, { id: 'sf', connector: 'salesforce', ...sf.connection });
 */
export async function startSalesforceSandbox(opts: SalesforceSandboxOptions = {}): Promise<SystemSandbox> {
  const apiVersion = opts.apiVersion ?? defaultApiVersion;
  if (!/^\d+\.0$/.test(apiVersion)) throw new Error(`apiVersion must look like 66.0, got ${apiVersion}`);
  const credentials = { ...salesforceSandboxCredentials, ...opts.credentials };
  const now = opts.now ?? Date.now;
  // The instance URL is known once the server listens; the token endpoint reads it then.
  let instanceUrl = '';
  const running = await startSandboxServer(
    (kit) =>
      salesforceSystem(kit, {
        apiVersion,
        auth: new SalesforceAuth(kit.store, credentials, {
          instanceUrl: () => instanceUrl,
          sessionTimeoutMs: opts.sessionTimeoutMs ?? 2 * 3_600_000,
          now,
        }),
      }),
    { ...opts, now },
    { requests: opts.dailyApiRequests ?? 100_000, windowMs: 24 * 3_600_000 },
  );
  instanceUrl = running.url;
  return {
    ...running,
    system: 'salesforce',
    connection: {
      baseUrl: running.url,
      auth: {
        kind: 'oauth2-client-credentials',
        tokenUrl: `${running.url}/services/oauth2/token`,
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
        clientAuth: 'body',
      },
      settings: { apiVersion },
    },
  };
}
