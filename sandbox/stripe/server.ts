import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminRoute } from './admin.js';
import { handleApi } from './api-handler.js';
import { SandboxState } from './state.js';

export interface StripeSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** SQLite file; `:memory:` (default) for tests. */
  dbPath?: string;
  /** Secret keys the sandbox accepts (default `sk_test_weft_sandbox`). */
  apiKeys?: string[];
  /** The version answered when a request pins none: the account default. */
  apiVersion?: string;
  /** When set, `/_sandbox/*` requires `x-sandbox-admin: <token>`. */
  adminToken?: string;
  now?: () => number;
}

export interface StripeSandbox {
  /** Base URL, e.g. `http://127.0.0.1:54321`; Stripe paths start with `/v1`. */
  url: string;
  apiKey: string;
  state: SandboxState;
  close(): Promise<void>;
}

/** Request bodies above this are refused, as any real API would. */
const maxBodyBytes = 1024 * 1024;

/**
 * Starts a local Stripe-compatible server: the `/v1` API for customers, invoices, charges,
 * subscriptions, events and webhook endpoints, persisted in SQLite, plus the `/_sandbox` admin
 * surface for fault injection.
 *
 * @example
 * const sandbox = await startStripeSandbox({ port: 0 });
 * // point a Stripe Connection's baseUrl at sandbox.url, token sandbox.apiKey
 */
export async function startStripeSandbox(opts: StripeSandboxOptions = {}): Promise<StripeSandbox> {
  const apiKeys = opts.apiKeys ?? ['sk_test_weft_sandbox'];
  const apiVersion = opts.apiVersion ?? '2026-07-29.dahlia';
  const state = new SandboxState({
    ...(opts.dbPath ? { dbPath: opts.dbPath } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const hung = new Set<IncomingMessage>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (body === undefined) {
        res.writeHead(413).end();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://sandbox');
      if (url.pathname.startsWith('/_sandbox/')) {
        if (opts.adminToken !== undefined && req.headers['x-sandbox-admin'] !== opts.adminToken) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"admin token required"}');
          return;
        }
        const out = adminRoute(req.method ?? 'GET', url.pathname, body, state);
        res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
        return;
      }
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const outcome = await handleApi(
        { method: req.method ?? 'GET', path: url.pathname, search: url.search, headers, body },
        state,
        { apiKeys, apiVersion },
      );
      if (outcome.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (outcome.kind === 'hang') {
        hung.add(req);
        req.on('close', () => hung.delete(req));
        return;
      }
      res.writeHead(outcome.status, outcome.headers).end(outcome.body);
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: `sandbox failure: ${String(err)}` } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    apiKey: apiKeys[0] ?? '',
    state,
    close: async () => {
      for (const req of hung) req.socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      state.store.close();
    },
  };
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
