/**
 * Test fixtures for the API: a real in-memory SQLite store, the real flow registry, and a small
 * Ingest that commits through `store.acceptEvent` (the engine's contract, without running steps).
 * Used only by `*.test.ts`.
 *
 * @module
 */
import { createHmac } from 'node:crypto';
import type { SecretSource } from '../config.js';
import { ConnectionRegistry } from '../connections/registry.js';
import { generateSecretsKey, SecretBox } from '../connections/secret-box.js';
import type { ConnectDeps } from '../connector/connector.js';
import { WeftError } from '../contract/errors.js';
import { newId } from '../contract/ids.js';
import type { Ingest, IngestRequest, IngestResult } from '../engine/ingest-port.js';
import { FlowRegistry } from '../flow/registry.js';
import { silentLogger } from '../observability/logger.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { createApi } from './app.js';
import { issueToken, type Role } from './auth.js';
import type { ApiDeps } from './deps.js';

export const webhookFlow = `name: signed-hook
trigger:
  kind: webhook
  path: crm/leads
  signature:
    secret: HOOK_SECRET
    prefix: "sha256="
  dedupe:
    header: x-delivery-id
  maxBodyBytes: 256
steps:
  - id: shape
    kind: map
    expression: event.body
`;

export const openHookFlow = `name: open-hook
trigger:
  kind: webhook
  path: open
  dedupe:
    expression: event.body.id
steps:
  - id: shape
    kind: map
    expression: event.body
`;

export const unsetSecretFlow = `name: unset-secret
trigger:
  kind: webhook
  path: unset
  signature:
    secret: NEVER_SET
steps:
  - id: shape
    kind: map
    expression: event.body
`;

export const manualFlow = `name: manual-flow
trigger:
  kind: manual
steps:
  - id: shape
    kind: map
    expression: event.body
`;

export const hookSecret = 'test-hook-secret-value';

/** The signature header value a sender would compute for `body`. */
export function sign(body: string, secret = hookSecret): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface Harness {
  deps: ApiDeps;
  store: SqliteStore;
  registry: FlowRegistry;
  app: ReturnType<typeof createApi>;
  /** Moves the fake clock. */
  clock: { now(): number; advance(ms: number): void };
  wakes: () => number;
  ingested: IngestRequest[];
  tokens: Record<Role, string>;
  /** `app.request` with a bearer token (admin unless `as` says otherwise) and JSON body. */
  call(
    path: string,
    init?: { method?: string; body?: unknown; as?: Role | null; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

/** An Ingest with the engine's commit contract: the Event and its Run are committed on return. */
export function storeIngest(deps: { store: SqliteStore; registry: FlowRegistry; now: () => number }): Ingest {
  return {
    async ingest(req: IngestRequest): Promise<IngestResult> {
      const flow = deps.registry.current(req.flowName);
      if (!flow) throw new WeftError({ code: 'not_found', message: `no flow named '${req.flowName}'` });
      const now = deps.now();
      const result = await deps.store.acceptEvent({
        event: {
          id: newId('evt', now),
          flowName: req.flowName,
          source: req.source,
          dedupeKey: req.dedupeKey,
          payload: req.payload,
          receivedAt: now,
        },
        run: { id: newId('run', now), flowVersionId: flow.version.id, runAt: now },
        ...(req.audit === undefined ? {} : { audit: req.audit }),
      });
      return { eventId: result.eventId, runId: result.runId, duplicate: !result.accepted };
    },
  };
}

/** Builds a store, registry (with the test flows deployed), tokens of each role and the app. */
export async function createHarness(
  opts: { ingest?: Ingest; secrets?: SecretSource; connectDeps?: ConnectDeps } = {},
): Promise<Harness> {
  let t = Date.UTC(2026, 0, 1);
  const clock = {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
  const store = SqliteStore.open({ path: ':memory:' });
  await store.migrate();
  const registry = new FlowRegistry({ store, clock, logger: silentLogger });
  await registry.load();
  for (const [i, source] of [webhookFlow, openHookFlow, unsetSecretFlow, manualFlow].entries()) {
    await registry.deploy({ source, file: `test-${i}.yaml`, actor: 'test', now: clock.now() });
  }
  let wakes = 0;
  const ingested: IngestRequest[] = [];
  const inner = opts.ingest ?? storeIngest({ store, registry, now: clock.now });
  const box = new SecretBox({ current: generateSecretsKey() });
  const connections = new ConnectionRegistry({
    store,
    keys: { box: () => box },
    clock,
    logger: silentLogger,
    ...(opts.connectDeps ? { connectDeps: opts.connectDeps } : {}),
  });
  const deps: ApiDeps = {
    store,
    flows: registry,
    ingest: {
      ingest: (req) => {
        ingested.push(req);
        return inner.ingest(req);
      },
    },
    wake: () => {
      wakes++;
    },
    clock,
    logger: silentLogger,
    secrets: opts.secrets ?? { get: (name) => (name === 'HOOK_SECRET' ? hookSecret : undefined) },
    connections,
  };
  const tokens = {} as Record<Role, string>;
  for (const role of ['admin', 'operator', 'viewer'] as const) {
    tokens[role] = (
      await issueToken({ store, name: `${role}-token`, role, actor: 'test', now: clock.now() })
    ).token;
  }
  const app = createApi(deps);
  return {
    deps,
    store,
    registry,
    app,
    clock,
    wakes: () => wakes,
    ingested,
    tokens,
    call(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const as = init.as === undefined ? 'admin' : init.as;
      if (as !== null) headers.authorization = `Bearer ${tokens[as]}`;
      if (init.body !== undefined) headers['content-type'] ??= 'application/json';
      return Promise.resolve(
        app.request(path, {
          method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
          headers,
          ...(init.body === undefined
            ? {}
            : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
        }),
      );
    },
    close: () => store.close(),
  };
}

/** Reads a JSON reply as a loose record for assertions. */
export async function bodyOf(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}
