import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { acquirePostgres, type PostgresServer, TestDatabases } from '../test/support/postgres.js';
import { loadConfig } from './config.js';
import { checkRoles, startWeft } from './main.js';
import { silentLogger } from './observability/logger.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-main-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('roles', () => {
  const embedded = { databaseUrl: undefined };
  const cluster = { databaseUrl: 'postgres://db/weft' };

  it('allows every mix of roles on PostgreSQL, and only all of them on SQLite', () => {
    for (const roles of [
      { serve: true, work: true },
      { serve: true, work: false },
      { serve: false, work: true },
    ]) {
      expect(() => checkRoles(cluster, roles)).not.toThrow();
    }
    expect(() => checkRoles(embedded, { serve: true, work: true })).not.toThrow();
    expect(() => checkRoles(embedded, { serve: true, work: false })).toThrow(/weft serve needs PostgreSQL/);
    expect(() => checkRoles(embedded, { serve: false, work: true })).toThrow(/weft work needs PostgreSQL/);
    expect(() => checkRoles(cluster, { serve: false, work: false })).toThrow(/nothing to run/);
  });

  it('refuses `serve` on SQLite before touching the data directory', async () => {
    const dataDir = path.join(dir, 'untouched');
    const config = loadConfig({ env: { WEFT_DATA_DIR: dataDir } });
    await expect(
      startWeft(config, { roles: { serve: true, work: false }, logger: silentLogger }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('runs embedded with every role by default, and stops cleanly', async () => {
    const dataDir = path.join(dir, 'embedded');
    const config = loadConfig({ env: { WEFT_DATA_DIR: dataDir, WEFT_PORT: '0' } });
    const weft = await startWeft(config, { logger: silentLogger });
    try {
      expect(weft.roles).toEqual({ serve: true, work: true });
      expect(weft.port).toBeGreaterThan(0);
      const health = await fetch(`${weft.url}/health`);
      expect(health.status).toBe(200);
      expect(fs.existsSync(path.join(dataDir, 'weft.lock'))).toBe(true);
    } finally {
      await weft.stop();
    }
    expect(fs.existsSync(path.join(dataDir, 'weft.lock'))).toBe(false);
  });
});

describe('a worker-only process (weft work)', () => {
  let server: PostgresServer | undefined;
  let databases: TestDatabases | undefined;
  afterAll(async () => {
    await databases?.dropAll();
    await server?.stop();
  }, 60_000);

  it('serves its health checks on --health-port, and nothing else', async () => {
    server = await acquirePostgres(inject('weftPostgresUrl'));
    databases = new TestDatabases(server.url, 'main_health');
    const config = loadConfig({
      env: {
        WEFT_DATABASE_URL: await databases.create(),
        WEFT_SECRETS_KEY: randomBytes(32).toString('base64'),
        WEFT_HEALTH_PORT: '0',
      },
    });
    const weft = await startWeft(config, { roles: { serve: false, work: true }, logger: silentLogger });
    try {
      expect(weft.url).toBeUndefined();
      const base = `http://127.0.0.1:${weft.healthPort}`;
      expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${base}/health/ready`)).json()).toEqual({ status: 'ready' });
      expect((await fetch(`${base}/api/flows`)).status).toBe(404);
    } finally {
      await weft.stop();
    }
  }, 60_000);
});
