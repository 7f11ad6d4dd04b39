import { toGlideDateTime } from '../../src/connectors/servicenow/glide-time.js';
import type { RateWindow } from '../common/faults.js';
import {
  type SandboxKit,
  type SandboxRequest,
  type SandboxResponse,
  type SandboxServerOptions,
  type SandboxSystem,
  type SystemSandbox,
  startSandboxServer,
} from '../common/server.js';
import { generateBusiness } from '../seed/index.js';
import { defaultCredentials, SnAuth, type SnCredentials } from './auth.js';
import { snError } from './errors.js';
import { SnTables } from './records.js';
import { seedBusiness } from './seed.js';
import { handleTable } from './table-routes.js';
import { tables } from './tables.js';
import { incidentChangeSender } from './webhooks.js';

export interface ServiceNowSandboxOptions extends SandboxServerOptions {
  /** Users, OAuth clients and API keys the instance accepts (default: `defaultCredentials`). */
  credentials?: SnCredentials;
  /**
   * The rate-limit rule: requests per window per user. A real rule counts per hour; the sandbox's
   * default window is a minute so tests and demos can meet it (default 5,000 per 60 s).
   */
  rateLimit?: { requests: number; windowMs: number };
}

/** The sys_id a sandbox rate-limit rule reports in `X-RateLimit-Rule`. */
const rateLimitRule = '3f1dd0a0c0a8000b00f7a0e4d5b1a1c1';

/**
 * Starts a ServiceNow instance look-alike: the Table API (`incident`, `sys_user`,
 * `sys_user_group`, `core_company`) with encoded queries, display values, Link-header paging and
 * X-Total-Count; Basic, OAuth (`/oauth_token.do`) and API-key auth; ACL 403s for a read-only
 * user; 429 with Retry-After and X-RateLimit-*; and incident changes sent as Weft-signed webhooks,
 * as a customer's Business Rule would send them. Persisted in SQLite through the shared kit.
 *
 * @example
 * const sn = await startServiceNowSandbox({ port: 0, seedBusiness: true });
 * const c = connect(serviceNowConnector, { id: 'sn', connector: 'servicenow', ...sn.connection });
 */
export async function startServiceNowSandbox(opts: ServiceNowSandboxOptions = {}): Promise<SystemSandbox> {
  const credentials = opts.credentials ?? defaultCredentials;
  const running = await startSandboxServer(
    (kit) => serviceNowSystem(kit, credentials),
    opts,
    opts.rateLimit ?? { requests: 5_000, windowMs: 60_000 },
  );
  const user = credentials.users.find((u) => u.role === 'itil') ?? credentials.users[0];
  return {
    ...running,
    system: 'servicenow',
    connection: {
      baseUrl: running.url,
      auth: { kind: 'basic', username: user?.userName ?? '', password: user?.password ?? '' },
    },
  };
}

function serviceNowSystem(kit: SandboxKit, credentials: SnCredentials): SandboxSystem {
  const auth = new SnAuth(credentials, kit.store, kit.now);
  const snTables = new SnTables(kit.store, kit.now, incidentChangeSender(kit.webhooks));
  const windowHeaders = (w: RateWindow): Record<string, string> => ({
    'x-ratelimit-limit': String(w.limit),
    'x-ratelimit-reset': String(Math.ceil((kit.now() + w.resetMs) / 1000)),
    'x-ratelimit-rule': rateLimitRule,
  });
  return {
    name: 'servicenow',
    authenticate: (req) => auth.authenticate(req),
    rateLimited: (_req, w) =>
      snError(
        429,
        'Too Many Requests',
        `Rate limit rule ${rateLimitRule}: ${w.limit} requests per window exceeded`,
        {
          ...windowHeaders(w),
          'retry-after': String(Math.max(1, Math.ceil(w.resetMs / 1000))),
        },
      ),
    rateLimitHeaders: windowHeaders,
    serverError: () => snError(500, 'Internal Server Error', 'The sandbox was told to fail this request'),
    isWrite: (req) => !auth.isTokenRequest(req) && req.method !== 'GET' && req.method !== 'HEAD',
    handle: (req: SandboxRequest, account: string): SandboxResponse => {
      if (auth.isTokenRequest(req)) return auth.token(req);
      return handleTable(req, snTables, { name: account, canWrite: auth.roleOf(account) === 'itil' });
    },
    seed: ({ business }) => {
      if (business) seedBusiness(snTables, generateBusiness());
    },
    admin: (method, path, body) => {
      if (method === 'POST' && path === '/_sandbox/seed') return seedIncidents(snTables, body, kit.now);
      return undefined;
    },
    counts: () => Object.fromEntries(Object.keys(tables).map((t) => [t, snTables.count(t)])),
  };
}

/**
 * `POST /_sandbox/seed {"incidents": n, "updatedOn"?: "YYYY-MM-DD HH:mm:ss"}`: n incidents written
 * straight into the store (no webhooks), all sharing `updatedOn` when given, so tests can build the
 * equal-timestamp case the poll cursor must survive.
 */
function seedIncidents(t: SnTables, body: unknown, now: () => number): SandboxResponse {
  const b = (body ?? {}) as { incidents?: unknown; updatedOn?: unknown };
  const count = typeof b.incidents === 'number' && Number.isInteger(b.incidents) ? b.incidents : -1;
  const updatedMs = typeof b.updatedOn === 'string' ? Date.parse(`${b.updatedOn.replace(' ', 'T')}Z`) : now();
  if (count < 0 || count > 10_000 || Number.isNaN(updatedMs)) {
    return {
      status: 400,
      body: { error: 'give {"incidents": 0..10000, "updatedOn"?: "YYYY-MM-DD HH:mm:ss"}' },
    };
  }
  const stamp = toGlideDateTime(updatedMs);
  const created = [];
  for (let i = 0; i < count; i++) {
    const record = t.insert(
      tables.incident!,
      {
        short_description: `Seeded incident ${i + 1} at ${stamp}`,
        urgency: String((i % 3) + 1),
        impact: '2',
      },
      'admin',
      { createdMs: updatedMs, updatedMs },
    );
    created.push(record.sys_id);
  }
  return { status: 200, body: { created } };
}
