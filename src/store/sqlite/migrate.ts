import { WeftError } from '../../contract/errors.js';
import type { MigrationReport, StoreInspection } from '../port.js';
import type { Connection } from './connection.js';
import { migrations } from './migrations.js';

/**
 * Applies the migrations not yet recorded in `schema_migrations`, all in one write transaction
 * (so two processes starting together apply each one once). Idempotent.
 */
export function migrate(conn: Connection, now: number = Date.now()): MigrationReport {
  // Rebuilding a referenced table (SQLite cannot alter a constraint) needs foreign keys off, and
  // the pragma is a no-op inside a transaction; they are checked before the commit instead.
  conn.pragma('foreign_keys = OFF');
  try {
    return migrateWithinTransaction(conn, now);
  } finally {
    conn.pragma('foreign_keys = ON');
  }
}

function migrateWithinTransaction(conn: Connection, now: number): MigrationReport {
  return conn.write(() => {
    conn.exec(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY, id TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
    );
    const done = new Set(
      conn.sql.all<{ version: number }>('SELECT version FROM schema_migrations').map((r) => r.version),
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
      conn.exec(m.sql);
      conn.sql.run('INSERT INTO schema_migrations (version, id, applied_at) VALUES (@version, @id, @now)', {
        version: m.version,
        id: m.id,
        now,
      });
      applied.push(m.id);
    }
    const broken = conn.sql.all<{ table: string }>('PRAGMA foreign_key_check');
    if (broken.length > 0) {
      throw new WeftError({
        code: 'internal',
        message: `migration left ${broken.length} broken foreign key(s); nothing was applied`,
        details: { tables: [...new Set(broken.map((b) => b.table))] },
      });
    }
    return { applied, current: known };
  });
}

/** What `weft doctor` reports, read without changing anything. SQLite shares this machine's clock. */
export function inspect(conn: Connection): StoreInspection {
  return conn.read(() => {
    const version = conn.sql.get<{ v: string }>('SELECT sqlite_version() AS v')?.v ?? 'unknown';
    const table = conn.sql.get<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    );
    const done = new Set(
      table === undefined
        ? []
        : conn.sql.all<{ version: number }>('SELECT version FROM schema_migrations').map((r) => r.version),
    );
    return {
      dialect: 'sqlite',
      serverVersion: version,
      schemaVersion: Math.max(0, ...done),
      knownVersion: Math.max(0, ...migrations.map((m) => m.version)),
      pending: migrations.filter((m) => !done.has(m.version)).map((m) => m.id),
      clockSkewMs: null,
      clockUncertaintyMs: null,
    };
  });
}
