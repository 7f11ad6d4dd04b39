import type { RateWindow } from '../common/faults.js';
import type { SandboxKit, SandboxRequest, SandboxResponse, SandboxSystem } from '../common/server.js';
import { orgId, type SalesforceAuth } from './auth.js';
import { ChangeEventPublisher } from './change-events.js';
import { runComposite } from './composite.js';
import { notFound, SalesforceFault, sfError } from './errors.js';
import { objectNamed, sobjects } from './objects.js';
import { QueryCursors } from './query-routes.js';
import { SObjectRepository } from './records.js';
import { seedBusiness, syntheticFields } from './seed.js';
import { sobjectRoute } from './sobject-routes.js';

const tokenPath = '/services/oauth2/token';
/** The oldest version still served (v21–v30 were retired in 2025). */
const oldestVersion = 31;

export interface SalesforceSystemOptions {
  /** The newest API version served, e.g. `66.0`; older ones down to v31.0 answer too. */
  apiVersion: string;
  auth: SalesforceAuth;
}

/**
 * The Salesforce REST API on the sandbox kit: `/services/oauth2/token`, `/services/data`
 * (versions), and under `/services/data/vXX.X`: `sobjects`, `query`, `queryAll`, `composite`,
 * `limits`. Over the daily allocation it answers 403 REQUEST_LIMIT_EXCEEDED (never 429), and every
 * admitted answer carries `Sforce-Limit-Info: api-usage=used/max`.
 */
export function salesforceSystem(kit: SandboxKit, opts: SalesforceSystemOptions): SandboxSystem {
  const repo = new SObjectRepository(kit.store, kit.now);
  const cursors = new QueryCursors(repo, kit.now);
  const events = new ChangeEventPublisher(kit.webhooks, opts.apiVersion);
  const newest = Number(opts.apiVersion);
  let usage: RateWindow | undefined;
  // Whether the request being answered is the org's (not the token endpoint's): only its window is the org's usage.
  let orgRequest = false;

  const versionOf = (path: string): { version: string; rest: string } | undefined => {
    const m = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(path);
    if (!m) return undefined;
    const n = Number(m[1]);
    if (n < oldestVersion || n > newest) return undefined;
    return { version: m[1] as string, rest: (m[2] ?? '/').replace(/\/+$/, '') };
  };

  /** One REST call, synchronous so a composite can run its subrequests inside one transaction. */
  const dispatch = (
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    headers: Record<string, string | undefined>,
  ): SandboxResponse => {
    if (path === '/services/data' || path === '/services/data/') {
      return { status: 200, body: versionList(newest) };
    }
    const v = versionOf(path);
    if (v === undefined) throw notFound();
    const { version, rest } = v;
    const segments = rest.split('/').filter((s) => s !== '');
    const [head, ...tail] = segments;
    if (head === undefined) return { status: 200, body: resources(version) };
    if (head === 'sobjects') return sobjectRoute({ repo, apiVersion: version }, method, tail, query, body);
    if (head === 'query' || head === 'queryAll') {
      if (method !== 'GET')
        throw new SalesforceFault(
          405,
          'METHOD_NOT_ALLOWED',
          `HTTP Method '${method}' not allowed. Allowed are GET`,
        );
      const includeDeleted = head === 'queryAll';
      if (tail.length === 1)
        return cursors.more({ apiVersion: version, locatorPath: tail[0] as string, headers });
      if (tail.length > 1) throw notFound();
      return cursors.query({ apiVersion: version, query, headers, includeDeleted });
    }
    if (head === 'composite' && tail.length === 0) {
      if (method !== 'POST')
        throw new SalesforceFault(
          405,
          'METHOD_NOT_ALLOWED',
          `HTTP Method '${method}' not allowed. Allowed are POST`,
        );
      return runComposite(body, {
        dispatch: (m, url, b, h) => {
          const u = new URL(url, 'http://composite.invalid');
          try {
            return dispatch(m, u.pathname, u.searchParams, b, lowerKeys(h));
          } catch (err) {
            if (err instanceof SalesforceFault) return err.toResponse();
            throw err;
          }
        },
        transaction: (fn) => kit.store.transaction(fn),
        discardChanges: () => {
          repo.pending = [];
        },
      });
    }
    if (head === 'limits' && tail.length === 0) {
      return { status: 200, body: limits(kit.faults().rateLimit.requests, usage) };
    }
    throw notFound();
  };

  return {
    name: 'salesforce',
    authenticate: (req) => {
      // The token endpoint and the version list need no session; the token endpoint has its own budget.
      if (req.path === tokenPath) return 'oauth-token-endpoint';
      if (req.path === '/services/data' || req.path === '/services/data/') return 'public';
      return opts.auth.session(req);
    },
    rateLimited: (_req, window) => ({
      ...sfError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'),
      headers: { 'sforce-limit-info': `api-usage=${window.limit}/${window.limit}` },
    }),
    rateLimitHeaders: (window) => {
      if (orgRequest) usage = window;
      return { 'sforce-limit-info': `api-usage=${window.limit - window.remaining}/${window.limit}` };
    },
    serverError: () =>
      sfError(
        500,
        'UNKNOWN_EXCEPTION',
        'An unexpected error occurred. Please include this ErrorId if you contact support: 1930468553-53417 (-1051487208)',
      ),
    isWrite: (req) => req.method !== 'GET' && req.method !== 'HEAD' && req.path !== tokenPath,
    handle: (req: SandboxRequest, account) => {
      orgRequest = account === orgId;
      if (req.path === tokenPath) return opts.auth.token(req);
      let body: unknown;
      if (req.body.trim() !== '') {
        try {
          body = JSON.parse(req.body) as unknown;
        } catch (err) {
          return sfError(
            400,
            'JSON_PARSER_ERROR',
            `Unexpected character in the request body: ${(err as Error).message}`,
          );
        }
      }
      try {
        const answer = dispatch(req.method, req.path, req.query, body, req.headers);
        events.publish(repo.pending);
        return answer;
      } catch (err) {
        if (err instanceof SalesforceFault) return err.toResponse();
        throw err;
      } finally {
        repo.pending = [];
      }
    },
    seed: ({ business }) => {
      if (business) seedBusiness(repo);
    },
    admin: (method, path, body) => {
      if (method !== 'POST' || path !== '/_sandbox/seed') return undefined;
      // `{"Account": 403, "Contact": 5}`: synthetic records, created through the same validation.
      const created: Record<string, number> = {};
      kit.store.transaction(() => {
        for (const [name, count] of Object.entries(body as Record<string, unknown>)) {
          const def = objectNamed(name);
          if (def === undefined || typeof count !== 'number') continue;
          const start = repo.count(def);
          for (let i = 1; i <= count; i++) repo.create(def, syntheticFields(def.name, start + i));
          created[def.name] = count;
        }
      });
      events.publish(repo.pending);
      repo.pending = [];
      return { status: 200, body: { created } };
    },
    counts: () => Object.fromEntries([...sobjects.values()].map((d) => [d.name, repo.count(d)])),
  };
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function versionList(newest: number) {
  const out: { label: string; url: string; version: string }[] = [];
  for (let v = oldestVersion; v <= newest; v++) {
    out.push({ label: `Weft sandbox v${v}.0`, url: `/services/data/v${v}.0`, version: `${v}.0` });
  }
  return out;
}

function resources(v: string) {
  const base = `/services/data/v${v}`;
  return {
    sobjects: `${base}/sobjects`,
    query: `${base}/query`,
    queryAll: `${base}/queryAll`,
    composite: `${base}/composite`,
    limits: `${base}/limits`,
  };
}

/** `usage` is the window after the previous admitted request; this request took one more. */
function limits(max: number, usage: RateWindow | undefined) {
  return {
    DailyApiRequests: { Max: max, Remaining: Math.max(0, (usage?.remaining ?? max) - 1) },
    ConcurrentPerOrgLongTxn: { Max: 10, Remaining: 10 },
  };
}
