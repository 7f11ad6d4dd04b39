import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthConfig } from '../../src/connector/auth.js';
import type { SystemName } from '../seed/messy.js';
import { type FaultSettings, faultSettingsSchema, type RateWindow, SlidingWindowLimiter } from './faults.js';
import { RecordStore } from './record-store.js';
import { WebhookSender, WebhookTarget } from './webhook-sender.js';

/** One API request as a sandbox System sees it. */
export interface SandboxRequest {
  method: string;
  /** Path without the query string, e.g. `/crm/v3/objects/contacts`. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased names; repeated headers joined with `, `. */
  headers: Record<string, string | undefined>;
  /** The raw body (already size-checked). */
  body: string;
  /** The full URL as the client addressed it (OAuth 1.0a signs it). */
  url: URL;
}

/** A System's answer. Non-string bodies are sent as JSON. */
export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** What every System's sandbox gets from the shared kit. */
export interface SandboxKit {
  store: RecordStore;
  webhooks: WebhookSender;
  faults(): FaultSettings;
  now(): number;
}

/**
 * The part of a sandbox that is one System: its auth, its answers to rate limits and failures,
 * its routes, its seed. The shared server does the rest in the order real APIs do: auth, rate
 * limit, injected faults, route, and (for writes) a dropped answer when a test asks for one.
 */
export interface SandboxSystem {
  name: string;
  /** The caller's account (the rate-limit and idempotency scope) or the System's refusal. */
  authenticate(req: SandboxRequest): string | SandboxResponse;
  /** The System's answer over its rate limit (429 with its headers, Salesforce's 403, …). */
  rateLimited(req: SandboxRequest, window: RateWindow): SandboxResponse;
  /**
   * Concurrency governance (NetSuite): called after the rate window admits a request. Returns the
   * System's refusal, or a release function the kit calls once the answer (or fault) is ready, so
   * injected latency counts as time in flight. Absent: no concurrency limit.
   */
  admit?(req: SandboxRequest, account: string): SandboxResponse | (() => void);
  /** Headers the System adds to admitted requests (remaining budget etc.); none by default. */
  rateLimitHeaders?(window: RateWindow, req: SandboxRequest): Record<string, string>;
  /** The System's answer to an injected server failure. */
  serverError(req: SandboxRequest): SandboxResponse;
  handle(req: SandboxRequest, account: string): SandboxResponse | Promise<SandboxResponse>;
  /** Whether a request changes state (a dropped answer applies to these). Default: not GET/HEAD. */
  isWrite?(req: SandboxRequest): boolean;
  /** Fills an empty store: the fictional business, or nothing. */
  seed(opts: { business: boolean }): void;
  /**
   * Extra `/_sandbox/*` routes (e.g. `POST /_sandbox/seed` with counts); undefined = not mine.
   * May answer asynchronously (e.g. a route that calls a receiver and reports its answer).
   */
  admin?(
    method: string,
    path: string,
    body: unknown,
  ): SandboxResponse | undefined | Promise<SandboxResponse | undefined>;
  /** Object counts for `GET /_sandbox/stats`. */
  counts(): Record<string, number>;
}

export interface SandboxServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** SQLite file; `:memory:` (default). A file keeps data across restarts. */
  dbPath?: string;
  /** When set, `/_sandbox/*` requires `x-sandbox-admin: <token>`. */
  adminToken?: string;
  /** Seed the fictional business into an empty store (default false: tests seed what they need). */
  seedBusiness?: boolean;
  webhookTargets?: WebhookTarget[];
  now?: () => number;
}

export interface RunningSandbox {
  /** e.g. `http://127.0.0.1:54321`; the System's own base paths start here. */
  url: string;
  kit: SandboxKit;
  stats(): { requests: number; rateLimited: number; webhooks: { succeeded: number; failed: number } };
  close(): Promise<void>;
}

/** Request bodies above this are refused with 413, as the real APIs do. */
const maxBodyBytes = 4 * 1024 * 1024;

/**
 * Starts one System's sandbox on 127.0.0.1 with the shared admin surface:
 * `GET/POST /_sandbox/faults`, `GET /_sandbox/stats`, `GET/POST /_sandbox/webhooks`,
 * `POST /_sandbox/reset`, plus the System's own admin routes.
 *
 * @example
 * const sb = await startSandboxServer((kit) => hubspotSystem(kit), { port: 0 }, { requests: 100, windowMs: 10_000 });
 */
export async function startSandboxServer(
  build: (kit: SandboxKit) => SandboxSystem,
  opts: SandboxServerOptions,
  defaultRateLimit: { requests: number; windowMs: number },
): Promise<RunningSandbox> {
  const schema = faultSettingsSchema(defaultRateLimit);
  const now = opts.now ?? Date.now;
  const store = new RecordStore(opts.dbPath);
  const webhooks = new WebhookSender(now);
  webhooks.targets = [...(opts.webhookTargets ?? [])];
  let faults: FaultSettings = schema.parse({});
  const limiter = new SlidingWindowLimiter();
  let requests = 0;
  const kit: SandboxKit = { store, webhooks, faults: () => faults, now };
  const system = build(kit);
  if (store.isEmpty()) store.transaction(() => system.seed({ business: opts.seedBusiness ?? false }));

  const admin = async (method: string, path: string, raw: string): Promise<SandboxResponse> => {
    const body = parseJson(raw);
    if (path === '/_sandbox/faults' && method === 'GET') return { status: 200, body: faults };
    if (path === '/_sandbox/faults' && method === 'POST') {
      const parsed = schema.safeParse({ ...faults, ...(body as object) });
      if (!parsed.success) return { status: 400, body: { error: issues(parsed.error.issues) } };
      faults = parsed.data;
      limiter.clear();
      return { status: 200, body: faults };
    }
    if (path === '/_sandbox/stats' && method === 'GET') {
      return {
        status: 200,
        body: { requests, rateLimited: limiter.rejected, webhooks: webhooks.stats, objects: system.counts() },
      };
    }
    if (path === '/_sandbox/webhooks' && method === 'GET') {
      return { status: 200, body: webhooks.targets.map((t) => ({ url: t.url, events: t.events ?? [] })) };
    }
    if (path === '/_sandbox/webhooks' && method === 'POST') {
      const parsed = WebhookTarget.safeParse(body);
      if (!parsed.success) return { status: 400, body: { error: issues(parsed.error.issues) } };
      webhooks.targets = [...webhooks.targets.filter((t) => t.url !== parsed.data.url), parsed.data];
      return { status: 200, body: { url: parsed.data.url, events: parsed.data.events ?? [] } };
    }
    if (path === '/_sandbox/reset' && method === 'POST') {
      const seedBusiness = (body as { business?: unknown }).business === true;
      store.transaction(() => {
        store.reset();
        system.seed({ business: seedBusiness });
      });
      faults = schema.parse({});
      limiter.clear();
      requests = 0;
      return { status: 200, body: { reset: true, business: seedBusiness } };
    }
    return (
      (await system.admin?.(method, path, body)) ?? {
        status: 404,
        body: { error: `no admin route ${method} ${path}` },
      }
    );
  };

  const api = async (req: SandboxRequest): Promise<SandboxResponse | 'drop' | 'hang'> => {
    requests += 1;
    const account = system.authenticate(req);
    if (typeof account !== 'string') return account;
    const window = limiter.take(account, faults.rateLimit, now());
    if (!window.allowed) return system.rateLimited(req, window);
    const gate = system.admit?.(req, account);
    if (gate !== undefined && typeof gate !== 'function') return gate;
    try {
      return await admitted(req, account, window);
    } finally {
      gate?.();
    }
  };

  const admitted = async (
    req: SandboxRequest,
    account: string,
    window: RateWindow,
  ): Promise<SandboxResponse | 'drop' | 'hang'> => {
    const f = faults;
    if (f.latencyMs > 0) await new Promise((r) => setTimeout(r, f.latencyMs));
    if (f.timeoutRate > 0 && Math.random() < f.timeoutRate) return 'hang';
    if (f.failNext > 0 || (f.errorRate > 0 && Math.random() < f.errorRate)) {
      if (f.failNext > 0) f.failNext -= 1;
      return system.serverError(req);
    }
    const answer = await system.handle(req, account);
    const write = system.isWrite ? system.isWrite(req) : req.method !== 'GET' && req.method !== 'HEAD';
    if (write && f.dropNextResponses > 0 && answer.status < 400) {
      f.dropNextResponses -= 1;
      return 'drop';
    }
    const extra = system.rateLimitHeaders?.(window, req);
    return extra ? { ...answer, headers: { ...extra, ...answer.headers } } : answer;
  };

  const hung = new Set<IncomingMessage>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      if (raw === undefined) {
        res.writeHead(413).end();
        return;
      }
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      if (url.pathname.startsWith('/_sandbox/')) {
        if (opts.adminToken !== undefined && req.headers['x-sandbox-admin'] !== opts.adminToken) {
          send(res, { status: 401, body: { error: 'admin token required (x-sandbox-admin)' } });
          return;
        }
        send(res, await admin(req.method ?? 'GET', url.pathname, raw));
        return;
      }
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const out = await api({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers,
        body: raw,
        url,
      });
      if (out === 'drop') {
        req.socket.destroy();
        return;
      }
      if (out === 'hang') {
        hung.add(req);
        req.on('close', () => hung.delete(req));
        return;
      }
      send(res, out);
    })().catch((err: unknown) => {
      send(res, { status: 500, body: { error: `sandbox failure: ${String(err)}` } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    kit,
    stats: () => ({ requests, rateLimited: limiter.rejected, webhooks: { ...webhooks.stats } }),
    close: async () => {
      for (const req of hung) req.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}

function send(res: import('node:http').ServerResponse, out: SandboxResponse): void {
  if (res.headersSent) return;
  const body =
    out.body === undefined ? '' : typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
  const headers: Record<string, string> = { ...(out.headers ?? {}) };
  if (body !== '' && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  res.writeHead(out.status, headers).end(body);
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return {};
  }
}

function issues(list: readonly { path: PropertyKey[]; message: string }[]): string {
  return list.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A started System sandbox and what a Weft Connection needs to reach it. */
export interface SystemSandbox extends RunningSandbox {
  system: SystemName;
  /** Connection fields for this sandbox: base URL, working credentials, settings. */
  connection: {
    baseUrl: string;
    auth: AuthConfig;
    settings?: Record<string, string>;
  };
}
