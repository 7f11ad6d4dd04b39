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
import { Associations } from './associations.js';
import { HubSpotAuth, type HubSpotOAuthApp, tokenPath } from './auth.js';
import { HubSpotRefusal, hubspotError } from './errors.js';
import { objectTypes } from './model.js';
import { ObjectRoutes } from './objects.js';
import { CrmRecords, toInstant } from './records.js';
import { seedBusiness } from './seed.js';
import { HubSpotWebhooks } from './webhooks.js';

export interface HubSpotSandboxOptions extends SandboxServerOptions {
  /** Private-app tokens accepted as `Authorization: Bearer` (default one fixed sandbox token). */
  privateAppTokens?: string[];
  /** The OAuth app whose refresh token `POST /oauth/v1/token` accepts. */
  oauth?: Partial<HubSpotOAuthApp>;
  portalId?: number;
  appId?: number;
  /** The portal's daily request allowance (HubSpot Professional: 650,000 with a private app). */
  dailyLimit?: number;
  /** Search has its own per-second limit at HubSpot (5/s), answered without rate-limit headers. */
  searchRequestsPerSecond?: number;
}

/** The running sandbox plus the credentials its tests and docs need. */
export interface HubSpotSandbox extends SystemSandbox {
  privateAppToken: string;
  oauth: HubSpotOAuthApp & { tokenUrl: string };
}

export const sandboxPrivateAppToken = 'pat-na1-weft-sandbox-0000-0000-000000000000';

/** HubSpot's burst limit for private apps on Professional/Enterprise portals: 190 per 10 s. */
const defaultRateLimit = { requests: 190, windowMs: 10_000 };

/**
 * Starts a HubSpot CRM sandbox on the shared kit: `/crm/v3/objects/{contacts|companies|deals|tasks}`
 * (CRUD, batch, upsert by `idProperty`, search), `/crm/v4` associations, `POST /oauth/v1/token`,
 * HubSpot's 429s with `X-HubSpot-RateLimit-*` headers, and webhooks signed with signature v3.
 *
 * @example
 * const hubspot = await startHubSpotSandbox({ port: 0, seedBusiness: true });
 * await fetch(`${hubspot.url}/crm/v3/objects/contacts?limit=5`, { headers: { authorization: `Bearer ${hubspot.privateAppToken}` } });
 */
export async function startHubSpotSandbox(opts: HubSpotSandboxOptions = {}): Promise<HubSpotSandbox> {
  const tokens = opts.privateAppTokens ?? [sandboxPrivateAppToken];
  const oauth: HubSpotOAuthApp = {
    clientId: opts.oauth?.clientId ?? 'weft-sandbox-client-id',
    clientSecret: opts.oauth?.clientSecret ?? 'weft-sandbox-client-secret',
    refreshToken: opts.oauth?.refreshToken ?? 'weft-sandbox-refresh-token',
    expiresInSeconds: opts.oauth?.expiresInSeconds ?? 1800,
  };
  const running = await startSandboxServer(
    (kit) => hubspotSystem(kit, { ...opts, tokens, oauth }),
    opts,
    defaultRateLimit,
  );
  return {
    ...running,
    system: 'hubspot',
    connection: {
      baseUrl: running.url,
      auth: { kind: 'bearer', token: tokens[0] ?? sandboxPrivateAppToken },
      // The sandbox's search sees a write at once, so poll triggers need no lag behind it.
      settings: { portalId: String(opts.portalId ?? 4_200_042), pollLagMs: '0' },
    },
    privateAppToken: tokens[0] ?? sandboxPrivateAppToken,
    oauth: { ...oauth, tokenUrl: `${running.url}${tokenPath}` },
  };
}

function hubspotSystem(
  kit: SandboxKit,
  opts: HubSpotSandboxOptions & { tokens: string[]; oauth: HubSpotOAuthApp },
): SandboxSystem {
  const records = new CrmRecords(kit.store, kit.now);
  const associations = new Associations(kit.store, records, kit.now);
  const webhooks = new HubSpotWebhooks(
    kit.webhooks,
    kit.store,
    { portalId: opts.portalId ?? 4_200_042, appId: opts.appId ?? 1_234_567 },
    kit.now,
  );
  const routes = new ObjectRoutes(kit.store, records, associations, webhooks);
  const auth = new HubSpotAuth(opts.tokens, opts.oauth, kit.now);
  const dailyLimit = opts.dailyLimit ?? 650_000;
  // HubSpot's daily allowance is the portal's, shared by every app and token.
  const daily = { day: '', used: 0 };
  const countToday = () => {
    const today = new Date(kit.now()).toISOString().slice(0, 10);
    if (daily.day !== today) Object.assign(daily, { day: today, used: 0 });
    return daily;
  };
  const searchWindow: number[] = [];
  const searchPerSecond = opts.searchRequestsPerSecond ?? 5;
  const liveCount = kit.store.db.prepare(
    "SELECT count(*) AS n FROM records WHERE type = ? AND json_extract(data, '$.archived') = 0",
  );

  const limitHeaders = (window: RateWindow): Record<string, string> => ({
    'X-HubSpot-RateLimit-Interval-Milliseconds': String(kit.faults().rateLimit.windowMs),
    'X-HubSpot-RateLimit-Max': String(window.limit),
    'X-HubSpot-RateLimit-Remaining': String(window.remaining),
    'X-HubSpot-RateLimit-Daily': String(dailyLimit),
    'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, dailyLimit - countToday().used)),
  });
  const rateLimitError = (policyName: string, message: string, headers: Record<string, string>) => {
    const base = hubspotError(429, 'RATE_LIMITS', message);
    const body = base.body as Record<string, unknown>;
    return {
      status: 429,
      headers,
      body: { ...body, errorType: 'RATE_LIMIT', policyName, requestId: body.correlationId },
    };
  };

  return {
    name: 'hubspot',
    authenticate: (req) => auth.authenticate(req),
    rateLimited: (_req, window) =>
      rateLimitError('TEN_SECONDLY_ROLLING', 'You have reached your ten_secondly_rolling limit.', {
        ...limitHeaders(window),
        'X-HubSpot-RateLimit-Remaining': '0',
      }),
    // HubSpot's search endpoints answer without the rate-limit headers (the spec summary says so).
    rateLimitHeaders: (window, req) => (req.path.endsWith('/search') ? {} : limitHeaders(window)),
    serverError: () => hubspotError(500, 'INTERNAL_ERROR', 'internal error'),
    isWrite: (req) =>
      req.method !== 'GET' &&
      req.method !== 'HEAD' &&
      req.path !== tokenPath &&
      !req.path.endsWith('/search') &&
      !req.path.endsWith('/batch/read'),
    handle: (req: SandboxRequest): SandboxResponse => {
      if (req.path === tokenPath) return auth.token(req);
      const today = countToday();
      if (today.used >= dailyLimit) {
        return rateLimitError('DAILY', 'You have reached your daily limit.', {
          'X-HubSpot-RateLimit-Daily': String(dailyLimit),
          'X-HubSpot-RateLimit-Daily-Remaining': '0',
        });
      }
      today.used += 1;
      if (req.path.endsWith('/search') && searchPerSecond > 0) {
        const t = kit.now();
        while (searchWindow.length > 0 && (searchWindow[0] ?? 0) <= t - 1000) searchWindow.shift();
        if (searchWindow.length >= searchPerSecond) {
          return rateLimitError('SECONDLY', 'You have reached your secondly limit.', {});
        }
        searchWindow.push(t);
      }
      try {
        return (
          routes.route(req) ??
          associations.route(req) ??
          hubspotError(404, 'OBJECT_NOT_FOUND', `No route for ${req.method} ${req.path}`)
        );
      } catch (err) {
        if (err instanceof HubSpotRefusal) return err.response;
        throw err;
      }
    },
    seed: ({ business }) => {
      if (business) seedBusiness(records, associations);
    },
    admin: (method, path, body) => {
      const b = (body ?? {}) as Record<string, unknown>;
      if (method === 'POST' && path === '/_sandbox/seed') {
        // Plain records for tests: `at` gives them all one timestamp (a delta-paging edge case).
        const at = typeof b.at === 'number' ? b.at : (toInstant(String(b.at ?? '')) ?? kit.now());
        const created: Record<string, string[]> = {};
        kit.store.transaction(() => {
          for (const type of objectTypes) {
            const n = Number(b[type] ?? 0);
            for (let i = 0; i < n; i++) {
              const no = kit.store.nextNumber(`hubspot:seed:${type}`);
              const props: Record<string, string> =
                type === 'contacts'
                  ? { email: `seed-${no}@sandbox.example`, firstname: 'Seed', lastname: `Contact ${no}` }
                  : type === 'companies'
                    ? { name: `Seed Company ${no}`, domain: `seed-${no}.example` }
                    : type === 'deals'
                      ? {
                          dealname: `Seed Deal ${no}`,
                          amount: '1000',
                          pipeline: 'default',
                          dealstage: 'appointmentscheduled',
                        }
                      : { hs_timestamp: new Date(at).toISOString(), hs_task_subject: `Seed Task ${no}` };
              const rec = records.load(type, props, { createdMs: at, updatedMs: at });
              created[type] = [...(created[type] ?? []), rec.id];
            }
          }
        });
        return { status: 200, body: { created } };
      }
      if (method === 'POST' && path === '/_sandbox/daily') {
        if (typeof b.used === 'number') countToday().used = b.used;
        return { status: 200, body: { limit: dailyLimit, used: countToday().used } };
      }
      return undefined;
    },
    counts: () => ({
      ...Object.fromEntries(objectTypes.map((t) => [t, (liveCount.get(t) as { n: number }).n])),
      associations: associations.count(),
    }),
  };
}
