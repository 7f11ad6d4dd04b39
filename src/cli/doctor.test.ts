import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { acquirePostgres, TestDatabases } from '../../test/support/postgres.js';
import { PostgresStore } from '../store/postgres/postgres-store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { clockVerdict, diagnose } from './doctor.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-doctor-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const verdicts = (checks: { name: string; verdict: string }[]) =>
  Object.fromEntries(checks.map((c) => [c.name, c.verdict]));

describe('weft doctor', () => {
  it('judges clock skew: up to 1 s ok, up to 5 s a warning, beyond an error', () => {
    expect([0, 999, -1000, 1001, -4999, 5000, 5001, -60_000].map(clockVerdict)).toEqual([
      'ok',
      'ok',
      'ok',
      'warn',
      'warn',
      'warn',
      'error',
      'error',
    ]);
  });

  it('reports a fresh data directory without creating a database', async () => {
    const dataDir = path.join(dir, 'fresh');
    const checks = await diagnose({ WEFT_DATA_DIR: dataDir });
    expect(verdicts(checks)).toEqual({ config: 'ok', 'data dir': 'ok', lock: 'ok', database: 'ok' });
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('reports pending migrations and a lock left by a dead process as warnings', async () => {
    const dataDir = path.join(dir, 'stale');
    const store = SqliteStore.open({ path: path.join(dataDir, 'weft.db') });
    await store.close();
    // No process has this pid (the kernel's limit is far below it).
    fs.writeFileSync(path.join(dataDir, 'weft.lock'), '2147483646');
    const checks = await diagnose({ WEFT_DATA_DIR: dataDir });
    expect(verdicts(checks)).toEqual({
      config: 'ok',
      'data dir': 'ok',
      lock: 'warn',
      database: 'ok',
      migrations: 'warn',
    });
    expect(checks.find((c) => c.name === 'migrations')?.message).toContain('001_init');
  });

  it('is an error when the database cannot be reached or the URL is wrong', async () => {
    const unreachable = await diagnose({ WEFT_DATABASE_URL: 'postgres://weft@127.0.0.1:1/weft' });
    expect(verdicts(unreachable)).toEqual({ config: 'ok', database: 'error' });
    const wrong = await diagnose({ WEFT_DATABASE_URL: 'mysql://db/weft' });
    expect(verdicts(wrong)).toEqual({ config: 'error' });
  });
});

describe('weft doctor on PostgreSQL', () => {
  it('reports the server, pending migrations until migrated, and the clock', async () => {
    const server = await acquirePostgres(inject('weftPostgresUrl'));
    const databases = new TestDatabases(server.url, 'doctor');
    try {
      const url = await databases.create();
      const before = await diagnose({ WEFT_DATABASE_URL: url });
      expect(verdicts(before)).toEqual({ config: 'ok', database: 'ok', migrations: 'warn', clock: 'ok' });
      expect(before.find((c) => c.name === 'database')?.message).toMatch(/^postgres \d+/);
      const store = PostgresStore.open({ url });
      await store.migrate();
      await store.close();
      const after = await diagnose({ WEFT_DATABASE_URL: url });
      expect(verdicts(after)).toEqual({ config: 'ok', database: 'ok', migrations: 'ok', clock: 'ok' });
    } finally {
      await databases.dropAll();
      await server.stop();
    }
  }, 60_000);
});
