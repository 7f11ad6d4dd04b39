import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApi } from './api/app.js';
import { ensureBootstrapToken } from './api/auth.js';
import { startHttpServer } from './api/server.js';
import { type Config, envSecrets, type SecretSource } from './config.js';
import { systemClock } from './contract/clock.js';
import { lockDataDir } from './data-dir-lock.js';
import { Engine } from './engine/engine.js';
import { stepExecutors } from './engine/steps/index.js';
import { Worker } from './engine/worker.js';
import { FlowRegistry } from './flow/registry.js';
import { allowAll, type Policy } from './governance/policy.js';
import { createLogger, type Logger } from './observability/logger.js';
import { SqliteStore } from './store/sqlite/sqlite-store.js';
import { Scheduler } from './trigger/schedule.js';

export interface StartOptions {
  /** Deploy the sample flow(s) from `flows/` so a fresh install has something to run. */
  demo?: boolean;
  logger?: Logger;
  secrets?: SecretSource;
  policy?: Policy;
  /** Print the bootstrap token and the listening address (the CLI does; tests don't). */
  announce?: (line: string) => void;
}

export interface RunningWeft {
  port: number;
  url: string;
  stop(): Promise<void>;
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The one composition root: config → deps → roles. Embedded mode runs the API, the triggers, the
 * scheduler and a worker in this process, on SQLite in the data directory.
 */
export async function startWeft(config: Config, opts: StartOptions = {}): Promise<RunningWeft> {
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const announce = opts.announce ?? (() => undefined);
  const clock = systemClock;
  const lock = lockDataDir(config.dataDir);
  const store = SqliteStore.open({ path: path.join(config.dataDir, 'weft.db') });
  try {
    await store.migrate();
    // We hold the data-dir lock, so any lease in the database belongs to a dead process.
    const expired = await store.expireAllLeases();
    if (expired > 0) logger.info({ runs: expired }, 'resuming runs left by a previous process');

    const registry = new FlowRegistry({ store, clock, logger });
    await registry.load();
    const secrets = opts.secrets ?? envSecrets(process.env);
    const worker = new Worker(
      {
        store,
        flowVersion: (id) => registry.version(id),
        executor: {
          store,
          executors: stepExecutors,
          secrets,
          policy: opts.policy ?? allowAll,
          logger,
          now: () => clock.now(),
          random: Math.random,
        },
        logger,
      },
      {
        owner: Worker.ownerId('wkr'),
        concurrency: config.workerConcurrency,
        leaseMs: config.leaseMs,
        heartbeatMs: config.heartbeatMs,
        pollMs: config.pollMs,
      },
    );
    const engine = new Engine({
      store,
      currentFlow: (name) => registry.current(name),
      worker,
      now: () => clock.now(),
    });

    for (const file of flowFilesToDeploy(config, opts.demo === true)) {
      // The registry logs the outcome (deployed or unchanged).
      await registry.deploy({ source: fs.readFileSync(file, 'utf8'), file, actor: 'system:startup', now: clock.now() });
    }

    const bootstrap = await ensureBootstrapToken({ store, adminToken: config.adminToken, clock });
    const app = createApi({
      store,
      flows: registry,
      ingest: engine,
      wake: () => worker.wake(),
      clock,
      logger,
      secrets,
    });
    const server = await startHttpServer({ app, host: config.host, port: config.port });
    const scheduler = new Scheduler({ store, registry, ingest: engine, clock, logger });
    worker.start();
    scheduler.start();

    const url = `http://${config.host}:${server.port}`;
    logger.info({ url, dataDir: config.dataDir }, 'weft started');
    announce(`Weft is running at ${url} (data in ${config.dataDir})`);
    if (bootstrap.token) {
      announce(`Admin token (shown once, store it now): ${bootstrap.token}`);
    }

    let stopped = false;
    return {
      port: server.port,
      url,
      async stop() {
        if (stopped) return;
        stopped = true;
        scheduler.stop();
        await server.close();
        await worker.stop();
        await store.close();
        lock.release();
      },
    };
  } catch (err) {
    await store.close();
    lock.release();
    throw err;
  }
}

function flowFilesToDeploy(config: Config, demo: boolean): string[] {
  const files: string[] = [];
  if (demo) files.push(path.join(packageRoot, 'flows', 'sample-lead-router.yaml'));
  if (config.flowsDir !== undefined) {
    for (const name of fs.readdirSync(config.flowsDir).sort()) {
      if (/\.ya?ml$/.test(name)) files.push(path.join(config.flowsDir, name));
    }
  }
  return files;
}
