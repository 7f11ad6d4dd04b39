import { createHash } from 'node:crypto';
import { afterEach, beforeEach, expect } from 'vitest';
import { type ErrorCode, WeftError } from '../../contract/errors.js';
import { Flow } from '../../contract/flow.js';
import { newId } from '../../contract/ids.js';
import type { AcceptEvent, AuditInput, ClaimedRun, Store } from '../port.js';
import type { EventSource, FlowVersionRecord } from '../records.js';

/** Shared set-up of the store conformance suite: a fresh store per test and small builders. */

/** A fixed epoch for tests: every time is explicit, nothing sleeps. */
export const T0 = 1_700_000_000_000;

export interface StoreContext {
  /** The fresh, migrated store of the running test. */
  readonly store: Store;
}

/** Opens and migrates a fresh store before each test and closes it after. */
export function useFreshStore(open: () => Promise<Store>): StoreContext {
  let current: Store | undefined;
  beforeEach(async () => {
    current = await open();
    await current.migrate();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get store(): Store {
      if (current === undefined) throw new Error('the store is only open inside a test');
      return current;
    },
  };
}

export function flowDefinition(
  name: string,
  trigger: 'webhook' | 'schedule' | 'manual' = 'manual',
  concurrency?: number,
): Flow {
  const triggers = {
    webhook: { kind: 'webhook', path: name },
    schedule: { kind: 'schedule', cron: '*/5 * * * *' },
    manual: { kind: 'manual' },
  } as const;
  return Flow.parse({
    name,
    trigger: triggers[trigger],
    ...(concurrency === undefined ? {} : { concurrency }),
    steps: [{ id: 'first', kind: 'map', set: { ok: 'true' } }],
  });
}

export function auditInput(action: string, at: number, data?: unknown): AuditInput {
  return {
    actor: 'user:tester',
    action,
    target: `test:${action}`,
    at,
    ...(data === undefined ? {} : { data }),
  };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Publishes `source` (default: one derived from the name) as the next version of flow `name`. */
export async function publish(
  store: Store,
  name: string,
  opts: {
    source?: string;
    at?: number;
    trigger?: 'webhook' | 'schedule' | 'manual';
    concurrency?: number;
  } = {},
): Promise<{ version: FlowVersionRecord; created: boolean }> {
  const at = opts.at ?? T0;
  const source = opts.source ?? `name: ${name}\n`;
  return store.publishFlowVersion({
    id: newId('fv', at),
    flowName: name,
    source,
    sourceHash: sha256(source),
    definition: flowDefinition(name, opts.trigger, opts.concurrency),
    createdAt: at,
    createdBy: 'user:tester',
    audit: auditInput('flow.publish', at, { flow: name }),
  });
}

export interface EventOptions {
  version: FlowVersionRecord;
  at: number;
  dedupeKey?: string | null;
  body?: unknown;
  source?: EventSource;
  runAt?: number;
  runId?: string;
  claim?: AcceptEvent['claim'];
  scheduleTick?: AcceptEvent['scheduleTick'];
  audit?: AuditInput;
}

/** An acceptEvent input for one event and its run. */
export function eventInput(o: EventOptions): AcceptEvent {
  return {
    event: {
      id: newId('evt', o.at),
      flowName: o.version.flowName,
      source: o.source ?? 'webhook',
      dedupeKey: o.dedupeKey ?? null,
      payload: { body: o.body ?? { at: o.at }, headers: { 'content-type': 'application/json' }, query: {} },
      receivedAt: o.at,
    },
    run: {
      id: o.runId ?? newId('run', o.at),
      flowVersionId: o.version.id,
      runAt: o.runAt ?? o.at,
      // As the engine does: a run carries its version's limit.
      ...(o.version.definition.concurrency === undefined
        ? {}
        : { concurrency: o.version.definition.concurrency }),
    },
    ...(o.claim === undefined ? {} : { claim: o.claim }),
    ...(o.scheduleTick === undefined ? {} : { scheduleTick: o.scheduleTick }),
    ...(o.audit === undefined ? {} : { audit: o.audit }),
  };
}

/** Accepts an event that must be new; returns its ids. */
export async function acceptRun(store: Store, o: EventOptions): Promise<{ eventId: string; runId: string }> {
  const result = await store.acceptEvent(eventInput(o));
  if (!result.accepted) throw new Error(`event unexpectedly deduplicated (${String(o.dedupeKey)})`);
  return { eventId: result.eventId, runId: result.runId };
}

/** Accepts one event and claims its run for `owner`; returns the claimed run. */
export async function runningRun(
  store: Store,
  o: EventOptions & { owner?: string; leaseMs?: number },
): Promise<ClaimedRun> {
  const { runId } = await acceptRun(store, o);
  const claimed = await store.claimRuns({
    owner: o.owner ?? 'w1',
    limit: 1,
    leaseMs: o.leaseMs ?? 60_000,
    now: o.at,
  });
  const run = claimed[0];
  if (run?.run.id !== runId) throw new Error('expected to claim the run just accepted');
  return run;
}

/** Asserts that `promise` rejects with a WeftError of `code`. */
export async function expectWeftError(promise: Promise<unknown>, code: ErrorCode): Promise<WeftError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeftError);
  expect((error as WeftError).code).toBe(code);
  return error as WeftError;
}
