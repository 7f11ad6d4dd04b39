import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../src/contract/clock.js';
import { Engine } from '../../src/engine/engine.js';
import { stepExecutors } from '../../src/engine/steps/index.js';
import { Worker } from '../../src/engine/worker.js';
import { FlowRegistry } from '../../src/flow/registry.js';
import { allowAll } from '../../src/governance/policy.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { ClaimRuns, Store } from '../../src/store/port.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { acquirePostgres, type PostgresServer, TestDatabases } from '../support/postgres.js';

/**
 * Cluster wake-ups, in one process: a worker on one PostgresStore (a `weft work` process) runs an
 * event that an Engine without a worker accepted through another PostgresStore (a `weft serve`
 * process). The worker polls once a minute, so only the NOTIFY can make it claim in time.
 */

const flow = `
name: wake
trigger: { kind: manual }
steps:
  - id: done
    kind: map
    set: { ok: 'true' }
`;

let server: PostgresServer | undefined;
let databases: TestDatabases | undefined;
const closers: (() => Promise<void>)[] = [];

/** Counts claims in flight and done, so the test acts only while the worker sleeps. */
function countingClaims(store: Store): { store: Store; idle(): Promise<void>; claims(): number } {
  let started = 0;
  let finished = 0;
  const counted = new Proxy(store, {
    get(target, prop) {
      if (prop === 'claimRuns') {
        return async (input: ClaimRuns) => {
          started++;
          try {
            return await target.claimRuns(input);
          } finally {
            finished++;
          }
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    store: counted,
    claims: () => finished,
    async idle() {
      const deadline = Date.now() + 5_000;
      while (started === 0 || started !== finished) {
        if (Date.now() > deadline) throw new Error('the worker never finished a claim');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

describe('cluster wake-ups', () => {
  beforeAll(async () => {
    server = await acquirePostgres(inject('weftPostgresUrl'));
    databases = new TestDatabases(server.url, 'engine_wake');
  }, 60_000);

  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await databases?.dropAll();
    await server?.stop();
  }, 60_000);

  it('wakes a sleeping worker with a NOTIFY from another store instance', async () => {
    const url = await databases!.create();
    const serveStore = PostgresStore.open({ url, poolSize: 4 });
    const workStore = PostgresStore.open({ url, poolSize: 4 });
    closers.push(
      () => serveStore.close(),
      () => workStore.close(),
    );
    await serveStore.migrate();

    const serveRegistry = new FlowRegistry({ store: serveStore, clock: systemClock, logger: silentLogger });
    await serveRegistry.load();
    await serveRegistry.deploy({ source: flow, file: 'wake.yaml', actor: 'test' });
    const engine = new Engine({
      store: serveStore,
      currentFlow: (name) => serveRegistry.current(name),
      worker: undefined,
      now: () => Date.now(),
    });

    const counting = countingClaims(workStore);
    const workRegistry = new FlowRegistry({ store: workStore, clock: systemClock, logger: silentLogger });
    const worker = new Worker(
      {
        store: counting.store,
        flowVersion: (id) => workRegistry.version(id),
        executor: {
          store: workStore,
          executors: stepExecutors,
          secrets: { get: () => undefined },
          policy: allowAll,
          logger: silentLogger,
          now: () => Date.now(),
          random: Math.random,
        },
        logger: silentLogger,
      },
      { owner: Worker.ownerId('test'), concurrency: 4, leaseMs: 30_000, heartbeatMs: 10_000, pollMs: 60_000 },
    );
    worker.start();
    closers.push(() => worker.stop(1_000));
    // The LISTEN is up (one connection per store, shared by every subscriber) and the worker
    // sleeps: the claims at start and on connecting found nothing.
    const probe = workStore.subscribe(() => undefined);
    await probe.ready;
    probe();
    await counting.idle();
    const claimsBefore = counting.claims();

    const { runId } = await engine.ingest({
      flowName: 'wake',
      source: 'manual',
      dedupeKey: null,
      payload: { body: {}, headers: {}, query: {} },
    });
    if (runId === null) throw new Error('the event was not accepted');
    const deadline = Date.now() + 10_000;
    let status = (await workStore.getRun(runId))?.status;
    while (status !== 'succeeded' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      status = (await workStore.getRun(runId))?.status;
    }
    expect(status).toBe('succeeded');
    expect(counting.claims()).toBeGreaterThan(claimsBefore);
  });
});
