import Database from 'better-sqlite3';

/** One stored object of a sandbox: its type, id, timestamps and JSON body. */
export interface StoredRecord<T = Record<string, unknown>> {
  type: string;
  id: string;
  /** Insertion order: the stable tiebreak of every listing. */
  seq: number;
  createdMs: number;
  updatedMs: number;
  data: T;
}

/** A saved answer to an idempotent request, replayed for the same key. */
export interface SavedAnswer {
  fingerprint: string;
  status: number;
  body: string;
  createdMs: number;
}

interface Row {
  type: string;
  id: string;
  seq: number;
  created_ms: number;
  updated_ms: number;
  data: string;
}

/**
 * The SQLite persistence every sandbox shares: one table of typed JSON records (with the
 * timestamps delta queries need) and one of saved idempotent answers. Systems with richer
 * queries use `db` directly (`json_extract` on `data`).
 */
export class RecordStore {
  readonly db: Database.Database;
  readonly #stmts;
  #findBy: Database.Statement | undefined;

  constructor(path = ':memory:') {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (type, id)
      );
      CREATE INDEX IF NOT EXISTS records_by_update ON records (type, updated_ms, id);
      CREATE TABLE IF NOT EXISTS saved_answers (
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (account, key)
      );
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    this.#stmts = {
      insert: this.db.prepare(
        'INSERT INTO records (type, id, created_ms, updated_ms, data) VALUES (?, ?, ?, ?, ?) RETURNING seq',
      ),
      // RETURNING gives what the caller's record needs without reading the row (and its JSON) again.
      update: this.db.prepare(
        'UPDATE records SET data = ?, updated_ms = ? WHERE type = ? AND id = ? RETURNING seq, created_ms',
      ),
      get: this.db.prepare('SELECT * FROM records WHERE type = ? AND id = ?'),
      delete: this.db.prepare('DELETE FROM records WHERE type = ? AND id = ?'),
      count: this.db.prepare('SELECT count(*) AS n FROM records WHERE type = ?'),
      page: this.db.prepare('SELECT * FROM records WHERE type = ? AND seq > ? ORDER BY seq LIMIT ?'),
      changed: this.db.prepare(
        'SELECT * FROM records WHERE type = ? AND (updated_ms > ? OR (updated_ms = ? AND id > ?)) ORDER BY updated_ms, id LIMIT ?',
      ),
      all: this.db.prepare('SELECT * FROM records WHERE type = ? ORDER BY seq'),
      getAnswer: this.db.prepare(
        'SELECT fingerprint, status, body, created_ms AS createdMs FROM saved_answers WHERE account = ? AND key = ? AND created_ms >= ?',
      ),
      putAnswer: this.db.prepare(
        'INSERT OR REPLACE INTO saved_answers (account, key, fingerprint, status, body, created_ms) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      next: this.db.prepare(
        'INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value',
      ),
    };
  }

  insert<T>(
    type: string,
    id: string,
    data: T,
    at: { createdMs: number; updatedMs?: number },
  ): StoredRecord<T> {
    const updatedMs = at.updatedMs ?? at.createdMs;
    const { seq } = this.#stmts.insert.get(type, id, at.createdMs, updatedMs, JSON.stringify(data)) as {
      seq: number;
    };
    return { type, id, seq, createdMs: at.createdMs, updatedMs, data };
  }

  /** Replaces the body and moves the record's `updated` time, as every System's delta APIs see it. */
  update<T>(type: string, id: string, data: T, updatedMs: number): StoredRecord<T> | undefined {
    const row = this.#stmts.update.get(JSON.stringify(data), updatedMs, type, id) as
      | { seq: number; created_ms: number }
      | undefined;
    return row === undefined
      ? undefined
      : { type, id, seq: row.seq, createdMs: row.created_ms, updatedMs, data };
  }

  get<T = Record<string, unknown>>(type: string, id: string): StoredRecord<T> | undefined {
    const row = this.#stmts.get.get(type, id) as Row | undefined;
    return row ? fromRow<T>(row) : undefined;
  }

  delete(type: string, id: string): boolean {
    return this.#stmts.delete.run(type, id).changes > 0;
  }

  count(type: string): number {
    return (this.#stmts.count.get(type) as { n: number }).n;
  }

  /** Insertion-order page after `afterSeq` (0 for the first page). */
  page<T = Record<string, unknown>>(type: string, afterSeq: number, limit: number): StoredRecord<T>[] {
    return (this.#stmts.page.all(type, afterSeq, limit) as Row[]).map((r) => fromRow<T>(r));
  }

  /** Records changed after (`sinceMs`, `afterId`) in (updated, id) order: delta sync without gaps. */
  changedSince<T = Record<string, unknown>>(
    type: string,
    sinceMs: number,
    afterId: string,
    limit: number,
  ): StoredRecord<T>[] {
    return (this.#stmts.changed.all(type, sinceMs, sinceMs, afterId, limit) as Row[]).map((r) =>
      fromRow<T>(r),
    );
  }

  all<T = Record<string, unknown>>(type: string): StoredRecord<T>[] {
    return (this.#stmts.all.all(type) as Row[]).map((r) => fromRow<T>(r));
  }

  /** Records whose JSON field at `path` (e.g. `$.email`) equals `value`, case-sensitively. */
  findBy<T = Record<string, unknown>>(type: string, path: string, value: string | number): StoredRecord<T>[] {
    // One statement for every path: preparing per call cost more than most look-ups themselves.
    this.#findBy ??= this.db.prepare(
      'SELECT * FROM records WHERE type = ? AND json_extract(data, ?) = ? ORDER BY seq',
    );
    const rows = this.#findBy.all(type, path, value) as Row[];
    return rows.map((r) => fromRow<T>(r));
  }

  /** A per-name sequence (record numbers, ticket ids) that survives restarts. */
  nextNumber(name: string): number {
    return (this.#stmts.next.get(name) as { value: number }).value;
  }

  getAnswer(account: string, key: string, notBeforeMs: number): SavedAnswer | undefined {
    return this.#stmts.getAnswer.get(account, key, notBeforeMs) as SavedAnswer | undefined;
  }

  putAnswer(account: string, key: string, answer: SavedAnswer): void {
    this.#stmts.putAnswer.run(account, key, answer.fingerprint, answer.status, answer.body, answer.createdMs);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  isEmpty(): boolean {
    return this.db.prepare('SELECT 1 FROM records LIMIT 1').get() === undefined;
  }

  reset(): void {
    this.db.exec('DELETE FROM records; DELETE FROM saved_answers; DELETE FROM counters;');
  }

  close(): void {
    this.db.close();
  }
}

function fromRow<T>(r: Row): StoredRecord<T> {
  return {
    type: r.type,
    id: r.id,
    seq: r.seq,
    createdMs: r.created_ms,
    updatedMs: r.updated_ms,
    data: JSON.parse(r.data) as T,
  };
}
