import path from 'node:path';
import type { Config } from '../config.js';
import type { Store } from './port.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

/** Where reports about a store's connections go (PostgreSQL's dropped idle and LISTEN ones). */
export interface OpenStoreOptions {
  onConnectionError?: (error: Error, connection: 'pool' | 'listen') => void;
}

/** The SQLite database file of embedded mode. */
export function sqlitePath(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'weft.db');
}

/**
 * The Store the configuration asks for: PostgreSQL when `databaseUrl` is set (cluster mode),
 * otherwise SQLite at `<dataDir>/weft.db` (embedded). Opens lazily and changes no schema: call
 * `migrate()` before use.
 *
 * @example
 * const store = openStore(loadConfig({ env: process.env }));
 * await store.migrate();
 */
export function openStore(
  config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'databasePoolSize'>>,
  options: OpenStoreOptions = {},
): Store {
  if (config.databaseUrl !== undefined) {
    const report = options.onConnectionError;
    return PostgresStore.open({
      url: config.databaseUrl,
      ...(config.databasePoolSize === undefined ? {} : { poolSize: config.databasePoolSize }),
      ...(report
        ? { onIdleError: (e: Error) => report(e, 'pool'), onListenError: (e: Error) => report(e, 'listen') }
        : {}),
    });
  }
  return SqliteStore.open({ path: sqlitePath(config) });
}
