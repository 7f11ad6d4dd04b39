import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxFleet } from '../sandbox/fleet.js';
import { createApi } from './api/app.js';
import { ensureBootstrapToken } from './api/auth.js';
import { createHealthApp } from './api/health.js';
import { type HttpServer, startHttpServer } from './api/server.js';
import { type Config, envSecrets, runtimeMode, type SecretSource } from './config.js';
import { applyConnectionFiles } from './connections/files.js';
import { ConnectionRegistry } from './connections/registry.js';
import { secretsKeySource } from './connections/secrets-key.js';
import { systemClock } from './contract/clock.js';
import { WeftError } from './contract/errors.js';
import { lockDataDir } from './data-dir-lock.js';
import { Engine } from './engine/engine.js';
import { stepExecutors } from './engine/steps/index.js';
import { Worker } from './engine/worker.js';
import type { ConnectorOf } from './flow/connection-check.js';
import { FlowRegistry } from './flow/registry.js';
import { allowAll, type Policy } from './governance/policy.js';
import { createLogger, type Logger } from './observability/logger.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/port.js';
import { Poller } from './trigger/poll.js';
import { Scheduler } from './trigger/schedule.js';

/**
 * What one process runs. `serve`: the API, webhooks and the scheduler, and an Engine that queues
 * runs (or starts them in this process when it also works). `work`: a worker that claims runs.
 * Embedded mode (SQLite) is one process and runs both; cluster mode (PostgreSQL) runs any mix
 * on any number of machines.
 */
export interface Roles {
  serve: boolean;
  work: boolean;
}

/** `weft start`: every role in one process. */
export const allRoles: Roles = { serve: true, work: true };

export interface StartOptions {
  /** Default {@link allRoles}. Anything less needs `databaseUrl` (cluster mode). */
  roles?: Roles;
  /** Deploy the sample flow(s) from `flows/` so a fresh install has something to run. */
  demo?: boolean;
  logger?: Logger;
  secrets?: SecretSource;
  policy?: Policy;
  /** Print the bootstrap token and the listening address (the CLI does; tests don't). */
  announce?: (line: string) => void;
}

export interface RunningWeft {
  roles: Roles;
  /** The HTTP port; undefined without the serve role. */
  port: number | undefined;
  /** `http://host:port`; undefined without the serve role. */
  url: string | undefined;
  /** The health-check port of a worker-only process (`healthPort`), if it has one. */
  healthPort?: number;
  /** With `demo`: the sandbox Systems it started (URL, Connection and kit of each), for tests and tools. */
  sandboxes: SandboxFleet['sandboxes'] | undefined;
  stop(): Promise<void>;
}

/** The folder holding package.json (and `flows/`), whether this runs from `src/` or `dist/src/`. */
const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

/**
 * Refuses a combination of roles and store that cannot work: SQLite belongs to one process (the
 * data-dir lock enforces it), so it runs every role there or none.
 */
export function checkRoles(config: Pick<Config, 'databaseUrl'>, roles: Roles): void {
  if (!roles.serve && !roles.work) {
    throw new WeftError({ code: 'invalid_input', message: 'nothing to run: choose serve, work or both' });
  }
  if (runtimeMode(config) === 'embedded' && !(roles.serve && roles.work)) {
    const command = roles.serve ? 'weft serve' : 'weft work';
    throw new WeftError({
      code: 'invalid_input',
      message:
        `${command} needs PostgreSQL: set WEFT_DATABASE_URL=postgres://user:password@host:5432/db. ` +
        'Embedded mode (SQLite in the data directory) runs every role in one process: use `weft start`.',
    });
  }
}

/**
 * The one composition root: config → deps → roles. Embedded mode (no `databaseUrl`) runs the API,
 * triggers, scheduler and a worker in this process on SQLite in the data directory, which it
 * locks. Cluster mode runs the roles asked for on PostgreSQL, shared with other processes: there is
 * no lock, and a dead process's runs come back when their leases expire.
 */
export async function startWeft(config: Config, opts: StartOptions = {}): Promise<RunningWeft> {
  const roles = opts.roles ?? allRoles;
  checkRoles(config, roles);
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const announce = opts.announce ?? (() => undefined);
  const clock = systemClock;
  const embedded = runtimeMode(config) === 'embedded';
  // Before anything is opened: a cluster process without the shared secrets key must not start.
  const keys = secretsKeySource({ config, logger });
  const lock = embedded ? lockDataDir(config.dataDir) : undefined;
  const store = openStore(config, {
    // Never the URL: it may carry a password.
    onConnectionError: (error, connection) =>
      logger.warn({ connection, err: { message: error.message } }, 'database connection lost; reconnecting'),
  });
  // Undone in reverse: intake (HTTP, scheduler) first, then the worker, the store, and the lock
  // last, once the store has committed what it had queued.
  const cleanup: (() => unknown)[] = [() => lock?.release(), () => store.close()];
  const stopAll = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };
  try {
    // Every role migrates at boot; on PostgreSQL concurrent boots queue on an advisory lock.
    const migrated = await store.migrate();
    if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'database migrated');
    if (embedded) {
      // We hold the data-dir lock, so any lease in the database belongs to a dead process.
      const expired = await store.expireAllLeases();
      if (expired > 0) logger.info({ runs: expired }, 'resuming runs left by a previous process');
    }

    const secrets = opts.secrets ?? envSecrets(process.env);
    const connections = new ConnectionRegistry({ store, keys, clock, logger });
    // Every process drops its decrypted Connections when any process changes one.
    // Closed after the worker, poller and server (cleanup runs in reverse): ends database pools.
    cleanup.push(() => connections.close());
    cleanup.push(connections.follow());
    // The demo's Systems are local sandboxes, each reached through a Connection named after it.
    const sandboxes =
      opts.demo === true && roles.serve
        ? // Loaded only for the demo: the sandboxes and their seed stay out of other processes.
          await (await import('./demo/sandbox-systems.js')).startSandboxSystems({
            dir: path.join(config.dataDir, 'sandbox'),
            basePort: config.sandboxPort,
          })
        : undefined;
    if (sandboxes !== undefined) {
      cleanup.push(() => sandboxes.close());
      for (const spec of sandboxes.specs) {
        await connections.put({ spec, actor: 'system:demo', now: clock.now() });
      }
    }
    if (config.connectionsDir !== undefined) {
      await applyConnectionFiles({
        dir: config.connectionsDir,
        registry: connections,
        secrets,
        logger,
        now: clock.now(),
      });
    }
    // Deploys check what flows name through Connections against the ones declared above.
    const registry = new FlowRegistry({ store, clock, logger, connectorOf: connectorLookup(connections) });
    // Before the first load, so a deploy by another process in between is not missed.
    const unsubscribe = store.subscribe((topic) => {
      if (topic !== 'flows') return;
      registry.refresh().catch((err: unknown) => logger.error({ err }, 'reloading flows failed'));
    });
    cleanup.push(unsubscribe);
    await registry.load();
    for (const file of flowFilesToDeploy(config, opts.demo === true && roles.serve)) {
      // The registry logs the outcome (deployed or unchanged); unchanged source publishes nothing.
      await registry.deploy({
        source: fs.readFileSync(file, 'utf8'),
        file,
        actor: 'system:startup',
        now: clock.now(),
      });
    }
    const worker = roles.work
      ? createWorker({ config, store, registry, connections, secrets, logger, policy: opts.policy })
      : undefined;
    if (worker) cleanup.push(() => worker.stop());

    let server: HttpServer | undefined;
    let bootstrapToken: string | undefined;
    if (roles.serve) {
      // Without a worker in this process, runs wait in the queue and the store wakes the workers.
      const engine = new Engine({
        store,
        currentFlow: (name) => registry.current(name),
        worker,
        now: () => clock.now(),
      });
      bootstrapToken = await bootstrap(store, config);
      server = await serve({
        config,
        store,
        registry,
        connections,
        engine,
        wake: () => worker?.wake(),
        secrets,
        logger,
      });
      cleanup.push(() => server?.close());
      const scheduler = new Scheduler({ store, registry, ingest: engine, clock, logger });
      scheduler.start();
      cleanup.push(() => scheduler.stop());
      const poller = new Poller({
        store,
        registry,
        connections,
        ingest: engine,
        clock,
        logger,
        owner: Worker.ownerId('poll'),
        ...(worker ? { reserveSlot: () => worker.reserveSlot() } : {}),
      });
      poller.start();
      cleanup.push(() => poller.stop());
    }
    worker?.start();
    // A worker-only process has no API; its health routes get a port of their own when asked.
    let health: HttpServer | undefined;
    if (!roles.serve && config.healthPort !== undefined) {
      health = await startHttpServer({
        app: createHealthApp(store),
        host: config.host,
        port: config.healthPort,
      });
      cleanup.push(() => health?.close());
    }

    const url = server === undefined ? undefined : `http://${config.host}:${server.port}`;
    if (sandboxes !== undefined && url !== undefined) {
      sandboxes.attach(url);
      announce('Sandbox Systems (seeded with the fictional business Loomwise):');
      for (const line of sandboxes.describe()) announce(`  ${line}`);
    }
    const where = embedded ? `data in ${config.dataDir}` : 'database: PostgreSQL';
    if (url !== undefined) {
      logger.info({ url, roles, mode: runtimeMode(config) }, 'weft started');
      announce(`Weft is running at ${url} (${roles.work ? 'serving and working' : 'serving'}; ${where})`);
    } else {
      logger.info(
        { owner: worker?.options.owner, concurrency: config.workerConcurrency },
        'weft worker started',
      );
      announce(`Weft worker started (${config.workerConcurrency} runs at once; ${where})`);
      if (health !== undefined) announce(`Health checks at http://${config.host}:${health.port}/health`);
    }
    if (bootstrapToken) announce(`Admin token (shown once, store it now): ${bootstrapToken}`);

    let stopped = false;
    return {
      roles,
      port: server?.port,
      url,
      ...(health !== undefined ? { healthPort: health.port } : {}),
      sandboxes: sandboxes?.fleet.sandboxes,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * Creates the bootstrap admin token unless one exists. Several `serve` processes booting at once
 * may race to create it: the loser's insert fails with `conflict`, and asking again finds the
 * winner's token.
 */
async function bootstrap(store: Store, config: Config): Promise<string | undefined> {
  const ensure = () => ensureBootstrapToken({ store, adminToken: config.adminToken, clock: systemClock });
  try {
    return (await ensure()).token;
  } catch (err) {
    if (!(err instanceof WeftError && err.code === 'conflict')) throw err;
    return (await ensure()).token;
  }
}

/** The serve role's HTTP side: the API and webhooks, in front of the Engine. */
function serve(deps: {
  config: Config;
  store: Store;
  registry: FlowRegistry;
  connections: ConnectionRegistry;
  engine: Engine;
  wake: () => void;
  secrets: SecretSource;
  logger: Logger;
}): Promise<HttpServer> {
  const app = createApi({
    store: deps.store,
    flows: deps.registry,
    ingest: deps.engine,
    wake: deps.wake,
    clock: systemClock,
    logger: deps.logger,
    secrets: deps.secrets,
    connections: deps.connections,
    connectionAccess: deps.connections,
  });
  return startHttpServer({ app, host: deps.config.host, port: deps.config.port });
}

function createWorker(deps: {
  config: Config;
  store: Store;
  registry: FlowRegistry;
  connections: ConnectionRegistry;
  secrets: SecretSource;
  logger: Logger;
  policy: Policy | undefined;
}): Worker {
  const { config, store, registry, logger } = deps;
  return new Worker(
    {
      store,
      flowVersion: (id) => registry.version(id),
      executor: {
        store,
        executors: stepExecutors,
        secrets: deps.secrets,
        connections: deps.connections,
        policy: deps.policy ?? allowAll,
        logger,
        now: () => systemClock.now(),
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
}

function flowFilesToDeploy(config: Config, demo: boolean): string[] {
  const files: string[] = [];
  if (demo) {
    files.push(path.join(packageRoot, 'flows', 'sample-lead-router.yaml'));
    // The demo's flows between the sandbox Systems (see flows/demo/README.md).
    files.push(...yamlFiles(path.join(packageRoot, 'flows', 'demo')));
  }
  if (config.flowsDir !== undefined) files.push(...yamlFiles(config.flowsDir));
  return files;
}

function yamlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => path.join(dir, name));
}

/** The connector behind a Connection's name, for deploy-time checks; null when there is none. */
function connectorLookup(connections: ConnectionRegistry): ConnectorOf {
  return async (name) => {
    try {
      return (await connections.resolve(name)).entry.connector;
    } catch (err) {
      if (err instanceof WeftError && err.code === 'not_found') return null;
      throw err;
    }
  };
}
