import Database from 'better-sqlite3';

/** Any Stripe object as stored: JSON with an id, a type and a creation second. */
export type StripeObject = Record<string, unknown> & { id: string; object: string; created: number };

/** A cached idempotent result (Stripe keeps them at least 24 h). */
export interface IdempotentResult {
  fingerprint: string;
  status: number;
  body: string;
  createdAt: number;
}

/**
 * The sandbox's SQLite persistence: objects (one table, JSON bodies, insertion order as the
 * tiebreak of "newest first") and idempotency results keyed by (API key, Idempotency-Key), as
 * Stripe scopes keys per account.
 */
export class SandboxStore {
  readonly #db: Database.Database;

  constructor(path = ':memory:') {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS objects (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        created INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS objects_type ON objects (type, created DESC, seq DESC);
      CREATE TABLE IF NOT EXISTS idempotency (
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (account, key)
      );
    `);
  }

  insert(obj: StripeObject): void {
    this.#db
      .prepare('INSERT INTO objects (id, type, created, data) VALUES (?, ?, ?, ?)')
      .run(obj.id, obj.object, obj.created, JSON.stringify(obj));
  }

  update(obj: StripeObject): void {
    this.#db.prepare('UPDATE objects SET data = ? WHERE id = ?').run(JSON.stringify(obj), obj.id);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM objects WHERE id = ?').run(id);
  }

  get(type: string, id: string): StripeObject | undefined {
    const row = this.#db.prepare('SELECT data FROM objects WHERE type = ? AND id = ?').get(type, id) as
      | { data: string }
      | undefined;
    return row ? (JSON.parse(row.data) as StripeObject) : undefined;
  }

  /** All objects of a type, newest first: Stripe's list order. */
  all(type: string): StripeObject[] {
    const rows = this.#db
      .prepare('SELECT data FROM objects WHERE type = ? ORDER BY created DESC, seq DESC')
      .all(type) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as StripeObject);
  }

  count(type: string): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM objects WHERE type = ?').get(type) as { n: number })
      .n;
  }

  getIdempotent(account: string, key: string, notBefore: number): IdempotentResult | undefined {
    const row = this.#db
      .prepare(
        'SELECT fingerprint, status, body, created_at AS createdAt FROM idempotency WHERE account = ? AND key = ? AND created_at >= ?',
      )
      .get(account, key, notBefore) as IdempotentResult | undefined;
    return row;
  }

  putIdempotent(account: string, key: string, result: IdempotentResult): void {
    this.#db
      .prepare(
        'INSERT OR REPLACE INTO idempotency (account, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(account, key, result.fingerprint, result.status, result.body, result.createdAt);
  }

  /** Drops everything: the admin endpoint's reset. */
  reset(): void {
    this.#db.exec('DELETE FROM objects; DELETE FROM idempotency;');
  }

  close(): void {
    this.#db.close();
  }
}
