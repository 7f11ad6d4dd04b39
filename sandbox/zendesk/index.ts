import type { RateWindow } from '../common/faults.js';
import {
  type SandboxRequest,
  type SandboxResponse,
  type SandboxServerOptions,
  type SandboxSystem,
  type SystemSandbox,
  startSandboxServer,
} from '../common/server.js';
import { authenticate } from './auth.js';
import { IncrementalBudget, incrementalRoutes } from './incremental.js';
import { organizationRoutes } from './organizations.js';
import { invalidEndpoint, json } from './responses.js';
import { seedBusiness, seedReference } from './seed.js';
import type { Route, ZendeskState } from './state.js';
import { SyntheticSeed, seedSynthetic } from './synthetic.js';
import { ticketRoutes } from './tickets.js';
import { userRoutes } from './users.js';
import { emitEvent, webhookRoutes } from './webhooks.js';

export interface ZendeskSandboxOptions extends SandboxServerOptions {
  /** Shown in settings; the real base URL is `https://{subdomain}.zendesk.com`. Default `loomwise`. */
  subdomain?: string;
  /** The agent the API token belongs to (default `admin@loomwise.example`). */
  agentEmail?: string;
  apiToken?: string;
  /** Accepted as `Authorization: Bearer …` (an OAuth access token). */
  oauthToken?: string;
  accountId?: number;
  /** Incremental exports leave out changes younger than this (default 60 000 ms, as Zendesk). */
  exportLagMs?: number;
  /** Incremental export requests allowed per minute and account (default 10, as Zendesk). */
  incrementalRequestsPerMinute?: number;
  /** How long a ticket `Idempotency-Key` is remembered (default 2 h; Zendesk's figure is not verified). */
  idempotencyTtlMs?: number;
}

/** Zendesk's Enterprise plan budget: 700 requests a minute. */
const defaultRateLimit = { requests: 700, windowMs: 60_000 };

const routes: [string, RegExp, Route][] = [
  ...ticketRoutes,
  ...userRoutes,
  ...organizationRoutes,
  ...incrementalRoutes,
  ...webhookRoutes,
];

/**
 * Starts a local Zendesk Support API (`/api/v2`) on the shared sandbox kit: tickets, users and
 * organizations with cursor and offset paging, incremental exports, `create_or_update`, ticket
 * `Idempotency-Key`, webhooks signed as Zendesk signs them, and Zendesk's errors and rate limits.
 *
 * @example
 * const zd = await startZendeskSandbox({ port: 0, seedBusiness: true });
 * const c = connect(zendeskConnector, { id: 'zd', connector: 'zendesk', ...zd.connection });
 */
export async function startZendeskSandbox(opts: ZendeskSandboxOptions = {}): Promise<SystemSandbox> {
  const agentEmail = opts.agentEmail ?? 'admin@loomwise.example';
  const apiToken = opts.apiToken ?? 'zd-sandbox-api-token-0000000000000000';
  const oauthToken = opts.oauthToken ?? 'zd-sandbox-oauth-token-000000000000000';
  const subdomain = opts.subdomain ?? 'loomwise';
  const budget = new IncrementalBudget();

  const running = await startSandboxServer(
    (kit) => {
      const state: ZendeskState = {
        kit,
        agentEmail,
        accountId: opts.accountId ?? 10_042_001,
        subdomain,
        exportLagMs: opts.exportLagMs ?? 60_000,
        incrementalPerMinute: opts.incrementalRequestsPerMinute ?? 10,
        idempotencyTtlMs: opts.idempotencyTtlMs ?? 2 * 3_600_000,
        emit: (event) => emitEvent(state, event),
      };
      const system: SandboxSystem = {
        name: 'zendesk',
        authenticate: (req) => authenticate(req, { agentEmail, apiToken, oauthToken }),
        rateLimited: (_req, window) => rateLimited(window),
        rateLimitHeaders: (window) => rateHeaders(window),
        serverError: () =>
          json(503, { error: 'ServiceUnavailable', description: 'Service temporarily unavailable' }),
        handle: (req, account) => route(state, req, account, budget),
        // Also runs on `POST /_sandbox/reset`, after the store is emptied.
        seed: ({ business }) => {
          budget.clear();
          seedReference(state);
          if (business) seedBusiness(state);
        },
        admin: (method, path, body) => {
          if (method === 'POST' && path === '/_sandbox/seed') {
            const parsed = SyntheticSeed.safeParse(body);
            if (!parsed.success)
              return json(400, { error: parsed.error.issues.map((i) => i.message).join('; ') });
            return json(200, seedSynthetic(state, parsed.data));
          }
          return undefined;
        },
        counts: () => ({
          tickets: kit.store.count('ticket'),
          users: kit.store.count('user'),
          organizations: kit.store.count('organization'),
          webhooks: kit.store.count('webhook'),
        }),
      };
      return system;
    },
    opts,
    defaultRateLimit,
  );
  return {
    ...running,
    system: 'zendesk',
    connection: {
      baseUrl: running.url,
      auth: { kind: 'basic', username: `${agentEmail}/token`, password: apiToken },
      settings: { subdomain },
    },
  };
}

function rateHeaders(window: RateWindow): Record<string, string> {
  return {
    'x-rate-limit': String(window.limit),
    'x-rate-limit-remaining': String(window.remaining),
    'ratelimit-limit': String(window.limit),
    'ratelimit-remaining': String(window.remaining),
    'ratelimit-reset': String(Math.ceil(window.resetMs / 1000)),
  };
}

/** Over the account budget: 429 with Retry-After in whole seconds. */
function rateLimited(window: RateWindow): SandboxResponse {
  const seconds = Math.max(1, Math.ceil(window.resetMs / 1000));
  return json(
    429,
    { error: 'TooManyRequests', description: `Rate limit exceeded. Retry after ${seconds} seconds` },
    { 'retry-after': String(seconds), ...rateHeaders(window) },
  );
}

async function route(
  state: ZendeskState,
  req: SandboxRequest,
  account: string,
  budget: IncrementalBudget,
): Promise<SandboxResponse> {
  // Zendesk accepts every path with or without the `.json` suffix.
  const path = req.path.endsWith('.json') ? req.path.slice(0, -5) : req.path;
  if (path.startsWith('/api/v2/incremental/')) {
    const waitMs = budget.take(account, state.incrementalPerMinute, state.kit.now());
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      return json(
        429,
        {
          error: 'TooManyRequests',
          description: `Incremental export rate limit exceeded. Retry after ${seconds} seconds`,
        },
        { 'retry-after': String(seconds) },
      );
    }
  }
  let pathMatched = false;
  for (const [method, pattern, handler] of routes) {
    const m = pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (method !== req.method) continue;
    return handler(state, { ...req, path }, m.slice(1).map(String), account);
  }
  return pathMatched
    ? json(405, { error: 'MethodNotAllowed', description: `${req.method} is not allowed here` })
    : invalidEndpoint();
}

export type { SystemSandbox };
