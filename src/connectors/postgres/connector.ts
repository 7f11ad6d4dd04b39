import { defineConnector } from '../../connector/connector.js';
import { settingsChangesTrigger } from './changes.js';
import { postgresClient } from './pool.js';
import { queryAction } from './query.js';
import { Row } from './schemas.js';
import { insertAction, upsertAction } from './writes.js';

/**
 * PostgreSQL: a parameterised read-only `query`, `insert` (ledger look-up by a key column) and
 * `upsert` (ON CONFLICT DO UPDATE), and a `changes` poll trigger on an updated-at column with a
 * (updated-at, key) keyset cursor. It speaks PostgreSQL's wire protocol through a pg Pool per
 * Connection (the SDK's `client` factory), not HTTP: `ctx.http` is unused and the Connection's
 * request limiter does not apply; the pool size bounds the load instead.
 *
 * @example
 * const db = connect(postgresConnector, {
 *   id: 'warehouse', connector: 'postgres',
 *   settings: { host: 'db.internal', database: 'app', sslmode: 'verify-full' },
 *   auth: { kind: 'basic', username: 'weft', password },
 * });
 * await db.run('upsert', { table: 'customers', rows: [{ email: 'ada@example.com', name: 'Ada' }], conflictColumns: ['email'] });
 * await db.close();
 */
export const postgresConnector = defineConnector({
  name: 'postgres',
  title: 'PostgreSQL',
  // Informational: a PostgreSQL Connection is located by its settings (host, port, database).
  defaultBaseUrl: 'postgres://localhost:5432',
  auth: ['basic'],
  objects: { row: Row },
  actions: { query: queryAction, insert: insertAction, upsert: upsertAction },
  pollTriggers: { changes: settingsChangesTrigger },
  client: postgresClient,
});
