import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { netsuiteRealm } from '../../src/connector/oauth1.js';
import {
  type SandboxServerOptions,
  type SandboxSystem,
  type SystemSandbox,
  startSandboxServer,
} from '../common/server.js';
import { invalidLogin, nsError } from './errors.js';
import { ConcurrencyGovernor, tooManyRequests } from './governance.js';
import { type OAuth2Client, OAuth2Tokens } from './oauth2.js';
import { recordTypes } from './record-input.js';
import { NetSuiteRecords } from './records.js';
import { routeApi, suiteQlPath } from './routes.js';
import { seedNetSuiteBusiness, seedPlainCustomers } from './seed.js';
import { SuiteQlEngine } from './suiteql.js';
import { type TbaCredentials, TbaVerifier } from './tba.js';
import { sendRecordChange } from './webhooks.js';

export interface NetSuiteSandboxOptions extends SandboxServerOptions {
  /** Account id as in the URL (`1234567-sb1`); the TBA realm is derived from it. Default `1234567-sb1`. */
  accountId?: string;
  /** Integration + access-token pairs accepted for TBA. Default: {@link defaultTbaCredentials}. */
  tba?: TbaCredentials[];
  /** OAuth 2.0 clients with an issued refresh token. Default: {@link defaultOAuth2Client}. */
  oauth2Clients?: OAuth2Client[];
  /** Requests in flight at once before a 429 (default 15, a Tier 1 account without SuiteCloud Plus). */
  concurrencyLimit?: number;
  /** The kit's request window on top of concurrency (default 2,000 per 100 ms: no practical limit). */
  rateLimit?: { requests: number; windowMs: number };
  /** TBA timestamp freshness (default 5 minutes either way). */
  tbaToleranceMs?: number;
}

/** Sandbox credentials: not secrets, the sandbox's fixed integration record and token. */
export const defaultTbaCredentials: TbaCredentials = {
  consumerKey: 'ns-sandbox-consumer-key',
  consumerSecret: 'ns-sandbox-consumer-secret',
  tokenId: 'ns-sandbox-token-id',
  tokenSecret: 'ns-sandbox-token-secret',
};

export const defaultOAuth2Client: OAuth2Client = {
  clientId: 'ns-sandbox-client-id',
  clientSecret: 'ns-sandbox-client-secret',
  refreshToken: 'ns-sandbox-refresh-token',
};

const tokenPath = '/services/rest/auth/oauth2/v1/token';

/**
 * Starts a NetSuite sandbox: SuiteTalk REST record service (`/services/rest/record/v1/customer`,
 * `salesOrder`, `invoice`) and SuiteQL (`/services/rest/query/v1/suiteql`), TBA (OAuth 1.0a
 * HMAC-SHA256, verified for real, nonces remembered) and OAuth 2.0 bearer tokens, concurrency
 * governance (429), record-change webhooks signed with `X-Weft-Signature`, on the shared kit.
 *
 * @example
 * const ns = await startNetSuiteSandbox({ seedBusiness: true });
 * const client = connect(netsuiteConnector, { id: 'ns', connector: 'netsuite', ...ns.connection });
 */
export async function startNetSuiteSandbox(opts: NetSuiteSandboxOptions = {}): Promise<SystemSandbox> {
  const accountId = (opts.accountId ?? '1234567-sb1').toLowerCase().replace(/_/g, '-');
  const realm = netsuiteRealm(accountId);
  const tba = opts.tba ?? [defaultTbaCredentials];
  const clients = opts.oauth2Clients ?? [defaultOAuth2Client];
  const governor = new ConcurrencyGovernor(opts.concurrencyLimit ?? 15);
  let plainSeeds = 0;

  const running = await startSandboxServer(
    (kit): SandboxSystem => {
      const records = new NetSuiteRecords(kit.store, kit.now, (change) =>
        sendRecordChange(kit.webhooks, change, realm, kit.now()),
      );
      const suiteql = new SuiteQlEngine(kit.store.db);
      const verifier = new TbaVerifier({
        realm,
        credentials: () => tba,
        now: kit.now,
        ...(opts.tbaToleranceMs !== undefined ? { toleranceMs: opts.tbaToleranceMs } : {}),
      });
      const tokens = new OAuth2Tokens(() => clients, kit.now);
      return {
        name: 'netsuite',
        authenticate: (req) => {
          if (req.path === tokenPath) return `${realm}:oauth2`;
          const authorization = req.headers.authorization;
          if (/^Bearer\s/i.test(authorization ?? ''))
            return tokens.accepts(authorization) ? realm : invalidLogin();
          const verdict = verifier.verify({ method: req.method, url: req.url, authorization });
          if (verdict.ok) return realm;
          const refusal = invalidLogin();
          // Real NetSuite puts the reason in the Login Audit Trail; the sandbox says it in a header.
          return { ...refusal, headers: { ...refusal.headers, 'x-sandbox-auth-failure': verdict.reason } };
        },
        rateLimited: () => tooManyRequests(),
        admit: () => governor.admit(),
        serverError: () =>
          nsError(
            500,
            'UNEXPECTED_ERROR',
            `An unexpected error occurred. Error ID: ${randomUUID().slice(0, 18)}`,
          ),
        // SuiteQL is a POST that reads; a dropped answer must only ever follow a write.
        isWrite: (req) => req.method !== 'GET' && req.path !== suiteQlPath && req.path !== tokenPath,
        handle: (req) =>
          req.path === tokenPath ? tokens.tokenEndpoint(req) : routeApi(req, { records, suiteql }),
        seed: ({ business }) => {
          if (business) seedNetSuiteBusiness(records);
        },
        admin: (method, path, body) => {
          if (path === '/_sandbox/seed' && method === 'POST') {
            const parsed = z
              .object({
                customers: z.number().int().min(0).max(100_000),
                lastModifiedDate: z.iso.datetime().optional(),
              })
              .safeParse(body);
            if (!parsed.success) return { status: 400, body: { error: parsed.error.issues[0]?.message } };
            const at = parsed.data.lastModifiedDate ? Date.parse(parsed.data.lastModifiedDate) : undefined;
            kit.store.transaction(() =>
              seedPlainCustomers(records, parsed.data.customers, plainSeeds + 1, at),
            );
            plainSeeds += parsed.data.customers;
            return { status: 200, body: { customers: kit.store.count('customer') } };
          }
          if (path === '/_sandbox/governance') {
            if (method === 'POST') {
              const parsed = z.object({ concurrencyLimit: z.number().int().positive() }).safeParse(body);
              if (!parsed.success) return { status: 400, body: { error: parsed.error.issues[0]?.message } };
              governor.limit = parsed.data.concurrencyLimit;
            }
            return {
              status: 200,
              body: {
                concurrencyLimit: governor.limit,
                inFlight: governor.inFlight,
                rejected: governor.rejected,
              },
            };
          }
          if (path === '/_sandbox/oauth2/token' && method === 'POST') {
            const t = tokens.issue();
            return { status: 200, body: { access_token: t.accessToken, expires_at: t.expiresAt } };
          }
          return undefined;
        },
        counts: () => Object.fromEntries(recordTypes.map((t) => [t, kit.store.count(t)])),
      };
    },
    opts,
    opts.rateLimit ?? { requests: 2_000, windowMs: 100 },
  );
  const cred = tba[0] ?? defaultTbaCredentials;
  return {
    ...running,
    system: 'netsuite',
    connection: {
      baseUrl: `${running.url}/services/rest`,
      auth: { kind: 'netsuite-tba', accountId, ...cred },
      settings: { accountId },
    },
  };
}
