import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, sqlitePath } from './open-store.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-open-store-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('openStore', () => {
  it('opens SQLite at <dataDir>/weft.db without a database URL', async () => {
    const dataDir = path.join(dir, 'embedded');
    const store = openStore({ dataDir, databaseUrl: undefined });
    try {
      expect(store).toBeInstanceOf(SqliteStore);
      expect(store.dialect).toBe('sqlite');
      await store.migrate();
      expect(fs.existsSync(path.join(dataDir, 'weft.db'))).toBe(true);
      expect(sqlitePath({ dataDir })).toBe(path.join(dataDir, 'weft.db'));
    } finally {
      await store.close();
    }
  });

  it('opens PostgreSQL with a database URL, connecting only when used', async () => {
    const dataDir = path.join(dir, 'cluster');
    // Nothing listens on port 1: opening must not connect, and must not touch the data dir.
    const store = openStore({ dataDir, databaseUrl: 'postgres://weft@127.0.0.1:1/weft' });
    try {
      expect(store).toBeInstanceOf(PostgresStore);
      expect(store.dialect).toBe('postgres');
      expect(fs.existsSync(dataDir)).toBe(false);
      await expect(store.countTokens()).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      await store.close();
    }
  });
});
