import type pg from 'pg';
import { WeftError } from '../../contract/errors.js';
import type { MigrationReport, StoreInspection } from '../port.js';
import { rollback } from './group-commit.js';
import { migrations } from './migrations.js';

/**
 * Session advisory lock key of migrations (a single bigint: a different key space from the
 * two-int transaction locks in queries-flows.ts). "weftmigr" in ASCII.
 */
const migrationLockKey = '8603395313399064434';

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction,
 * while holding a session advisory lock: several processes starting at once queue on the lock,
 * and the later ones find the work done. Idempotent.
 *
 * The lock is taken before anything else, even `CREATE TABLE IF NOT EXISTS`, which is not safe
 * to run concurrently in PostgreSQL (both sessions may pass the "not exists" check).
 */
export async function migrate(client: pg.PoolClient, now: number = Date.now()): Promise<MigrationReport> {
  await client.query('SELECT pg_advisory_lock($1::bigint)', [migrationLockKey]);
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY, id TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
    );
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const known = Math.max(0, ...migrations.map((m) => m.version));
    const newest = Math.max(0, ...done);
    if (newest > known) {
      // A newer Weft wrote this database; running old code on it could corrupt it.
      throw new WeftError({
        code: 'conflict',
        message: `database schema version ${newest} is newer than this Weft knows (${known})`,
        details: { schemaVersion: newest, knownVersion: known },
      });
    }
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      // DDL is transactional in PostgreSQL: a failed migration leaves no half-built schema.
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, id, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.id,
          now,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await rollback(client);
        throw error;
      }
      applied.push(m.id);
    }
    return { applied, current: known };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [migrationLockKey]);
  }
}

/**
 * What `weft doctor` reports, read on one connection without changing anything: the server's
 * version, which migrations are pending, and the database clock against this machine's. The clock
 * is read three times and the reading with the shortest round trip kept (the first one may also
 * pay for connection set-up); the skew is the server time minus this machine's time at the middle
 * of that round trip.
 */
export async function inspect(client: pg.PoolClient): Promise<StoreInspection> {
  const version = await client.query<{ server_version: string }>('SHOW server_version');
  const table = await client.query<{ exists: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS exists",
  );
  const done = new Set<number>();
  if (table.rows[0]?.exists === true) {
    const rows = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    for (const row of rows.rows) done.add(row.version);
  }
  let best: { skew: number; roundTrip: number } | undefined;
  for (let i = 0; i < 3; i++) {
    const sent = Date.now();
    const { rows } = await client.query<{ ms: number }>(
      'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms',
    );
    const received = Date.now();
    const roundTrip = received - sent;
    const skew = Math.round((rows[0]?.ms ?? Number.NaN) - (sent + received) / 2);
    if (best === undefined || roundTrip < best.roundTrip) best = { skew, roundTrip };
  }
  return {
    dialect: 'postgres',
    serverVersion: version.rows[0]?.server_version ?? 'unknown',
    schemaVersion: Math.max(0, ...done),
    knownVersion: Math.max(0, ...migrations.map((m) => m.version)),
    pending: migrations.filter((m) => !done.has(m.version)).map((m) => m.id),
    clockSkewMs: best?.skew ?? null,
    clockUncertaintyMs: best === undefined ? null : Math.ceil(best.roundTrip / 2),
  };
}
