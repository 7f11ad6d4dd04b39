import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { z } from 'zod';
import type { Connection, ConnectorClientFactory } from '../../connector/connector.js';
import type { ConnectorContext } from '../../connector/context.js';
import { WeftError } from '../../contract/errors.js';

const defaultHost = 'localhost';
const defaultPort = 5432;

/**
 * Where the database is: the Connection's non-secret `settings` (strings, as YAML gives them).
 * Credentials come from its `basic` auth, never from here.
 */
export const PostgresSettings = z.object({
  host: z.string().min(1).default(defaultHost),
  port: z.coerce.number().int().min(1).max(65_535).default(defaultPort),
  database: z.string().min(1),
  /**
   * libpq's names. `verify-full` (the default) checks the certificate and the host name;
   * `disable` is for a database on the same machine or a private network only.
   */
  sslmode: z.enum(['disable', 'require', 'verify-ca', 'verify-full']).default('verify-full'),
  /** Connections the pool may hold: the Connection's concurrency against the database. */
  poolSize: z.coerce.number().int().min(1).max(100).default(5),
  applicationName: z.string().min(1).max(63).default('weft'),
});
export type PostgresSettings = z.infer<typeof PostgresSettings>;

/** Default `statement_timeout` when the Connection sets no `limits.timeoutMs`. */
export const defaultStatementTimeoutMs = 30_000;
/** How long opening one database connection (TCP, TLS, login) may take. */
const connectTimeoutMs = 10_000;

/**
 * Types read as PostgreSQL's own text instead of JS objects: timestamps keep their microseconds
 * and offset, `date` does not shift to the local midnight, and intervals and bytea stay plain
 * strings, so every row is JSON as it stands (journals, payloads, JSONata).
 */
const keptAsText = new Set([
  1082, // date
  1083, // time
  1114, // timestamp
  1184, // timestamptz
  1186, // interval
  1266, // timetz
  17, // bytea (hex: \x…)
]);
const identity = (value: string): string => value;
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    keptAsText.has(oid)
      ? identity
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** The pg Pool options for a Connection. Exported for tests: nothing here connects. */
export function poolConfig(connection: Connection): pg.PoolConfig {
  const parsed = PostgresSettings.safeParse(connection.settings ?? {});
  if (!parsed.success) {
    throw new WeftError({
      code: 'invalid_input',
      message: `connection ${connection.id}: PostgreSQL settings are invalid`,
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  if (connection.auth.kind !== 'basic') {
    throw new WeftError({
      code: 'invalid_input',
      message: `connection ${connection.id}: PostgreSQL takes basic auth (user name and password)`,
    });
  }
  const s = parsed.data;
  const timeoutMs = connection.limits?.timeoutMs ?? defaultStatementTimeoutMs;
  return {
    host: s.host,
    port: s.port,
    database: s.database,
    user: connection.auth.username,
    password: connection.auth.password,
    ssl: sslOptions(s.sslmode),
    max: s.poolSize,
    application_name: s.applicationName,
    statement_timeout: timeoutMs,
    // A black-holed host would otherwise hang until the OS gives up on the TCP handshake.
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    types,
  };
}

function sslOptions(mode: PostgresSettings['sslmode']): false | ConnectionOptions {
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      // libpq's `require`: encrypted, certificate not checked.
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain must be trusted; the name in it may differ from the host dialled.
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/** One pg Pool per Connection, opened lazily (no I/O until the first statement). */
export const postgresClient: ConnectorClientFactory<pg.Pool> = {
  open: (connection) => {
    const pool = new pg.Pool(poolConfig(connection));
    // An idle client whose server went away emits here; without a listener Node would crash.
    // The pool has already dropped it, and the next statement opens a fresh one.
    pool.on('error', () => {});
    return pool;
  },
  close: (pool) => pool.end(),
};

/** The Connection's pool, from the context the SDK built. */
export function poolOf(ctx: ConnectorContext): pg.Pool {
  if (ctx.client instanceof pg.Pool) return ctx.client;
  throw new WeftError({
    code: 'internal',
    message: 'the PostgreSQL connector needs the pool its client factory opens; open it with connect()',
  });
}

/**
 * Where a Connection's database is, for messages: `host:port` from its settings (a PostgreSQL
 * Connection's base URL is not used), with the same defaults as the pool.
 */
export function postgresTarget(connection: Connection): string {
  const s = connection.settings ?? {};
  return `${s.host ?? defaultHost}:${s.port ?? defaultPort}`;
}
