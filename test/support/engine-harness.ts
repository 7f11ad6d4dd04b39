import { systemClock } from '../../src/contract/clock.js';
import type { ConnectionAccess } from '../../src/engine/connection-access.js';
import { Engine } from '../../src/engine/engine.js';
import { stepExecutors } from '../../src/engine/steps/index.js';
import { Worker } from '../../src/engine/worker.js';
import { FlowRegistry } from '../../src/flow/registry.js';
import { allowAll, type Policy } from '../../src/governance/policy.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Store } from '../../src/store/port.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

export interface Harness {
  store: Store;
  registry: FlowRegistry;
  engine: Engine;
  worker: Worker;
  deploy(source: string): Promise<void>;
  /** Sends a manual event with this body to the flow; resolves with the new run's id. */
  send(flowName: string, body: unknown): Promise<string>;
  /** Waits until the run reaches one of the statuses (polling the store, bounded). */
  waitForRun(runId: string, statuses: string[], timeoutMs?: number): Promise<void>;
  /** A second worker on the same store, as if another process had started. */
  startWorker(): Worker;
  close(): Promise<void>;
}

export interface HarnessOptions {
  store?: Store;
  secrets?: Record<string, string>;
  policy?: Policy;
  connections?: ConnectionAccess;
  leaseMs?: number;
  concurrency?: number;
}

/** Embedded Weft minus HTTP: a real SQLite store, registry, engine and worker in this process. */
export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const store = opts.store ?? SqliteStore.open({ path: ':memory:' });
  await store.migrate();
  const registry = new FlowRegistry({ store, clock: systemClock, logger: silentLogger });
  await registry.load();
  const workers: Worker[] = [];
  const makeWorker = () => {
    const w = new Worker(
      {
        store,
        flowVersion: (id) => registry.version(id),
        executor: {
          store,
          executors: stepExecutors,
          secrets: { get: (name) => opts.secrets?.[name] },
          policy: opts.policy ?? allowAll,
          ...(opts.connections ? { connections: opts.connections } : {}),
          logger: silentLogger,
          now: () => Date.now(),
          random: Math.random,
        },
        logger: silentLogger,
      },
      {
        owner: Worker.ownerId('test'),
        concurrency: opts.concurrency ?? 16,
        leaseMs: opts.leaseMs ?? 5_000,
        heartbeatMs: 1_000,
        pollMs: 50,
      },
    );
    workers.push(w);
    return w;
  };
  const worker = makeWorker();
  worker.start();
  const engine = new Engine({
    store,
    currentFlow: (n) => registry.current(n),
    worker,
    now: () => Date.now(),
  });
  return {
    store,
    registry,
    engine,
    worker,
    async deploy(source) {
      await registry.deploy({ source, file: 'test.yaml', actor: 'test', now: Date.now() });
    },
    async send(flowName, body) {
      const result = await engine.ingest({
        flowName,
        source: 'manual',
        payload: { body, headers: {}, query: {} },
        dedupeKey: null,
      });
      if (result.runId === null) throw new Error(`no run was created for ${flowName}`);
      return result.runId;
    },
    async waitForRun(runId, statuses, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = await store.getRun(runId);
        if (run && statuses.includes(run.status)) return;
        if (Date.now() > deadline) {
          throw new Error(`run ${runId} is ${run?.status ?? 'missing'}, expected ${statuses.join('|')}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    startWorker() {
      const w = makeWorker();
      w.start();
      return w;
    },
    async close() {
      for (const w of workers) await w.stop(2_000);
      await store.close();
    },
  };
}
