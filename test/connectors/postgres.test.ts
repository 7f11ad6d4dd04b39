import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/connector/connector.js';
import { postgresChangesTrigger, settingsChangesTrigger } from '../../src/connectors/postgres/changes.js';
import { postgresConnector } from '../../src/connectors/postgres/connector.js';
import type { WeftError } from '../../src/contract/errors.js';
import { acquirePostgres, type PostgresServer, TestDatabases } from '../support/postgres.js';

/**
 * The PostgreSQL connector against a real server (the suite's shared one), each file on a fresh
 * database: statements, error classes, idempotent writes and the changes cursor.
 */

let server: PostgresServer;
let databases: TestDatabases;
let url: URL;
let admin: pg.Client;
const opened: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  server = await acquirePostgres(inject('weftPostgresUrl'));
  databases = new TestDatabases(server.url, 'pgconn');
  url = new URL(await databases.create());
  admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  await admin.query(`
    CREATE TABLE customers (
      id bigserial PRIMARY KEY,
      email text NOT NULL UNIQUE,
      name text,
      tier text NOT NULL DEFAULT 'free',
      profile jsonb,
      created_on date,
      weft_key text UNIQUE,
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    CREATE TABLE "Odd ""Name""" ("Key" text PRIMARY KEY, v int);
    CREATE TABLE lines (order_no text, line int, qty int NOT NULL, PRIMARY KEY (order_no, line));
    CREATE TABLE events (id int PRIMARY KEY, updated_at timestamptz NOT NULL, note text);
  `);
});

afterAll(async () => {
  for (const c of opened) await c.close();
  await admin?.end();
  await databases?.dropAll();
  await server?.stop();
});

function db(
  over: { port?: string; password?: string; timeoutMs?: number; settings?: Record<string, string> } = {},
) {
  const c = connect(postgresConnector, {
    id: 'warehouse',
    connector: 'postgres',
    settings: {
      host: url.hostname,
      port: over.port ?? url.port,
      database: url.pathname.slice(1),
      sslmode: 'disable',
      ...over.settings,
    },
    auth: { kind: 'basic', username: decodeURIComponent(url.username), password: over.password ?? '' },
    ...(over.timeoutMs === undefined ? {} : { limits: { timeoutMs: over.timeoutMs } }),
  });
  opened.push(c);
  return c;
}

const errorOf = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e as WeftError);
const count = async (table: string) =>
  Number((await admin.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

describe('query', () => {
  it('binds parameters as values, never as SQL', async () => {
    await admin.query(
      `INSERT INTO customers (email, name, created_on) VALUES ('q@example.com', 'Q', '2024-02-29')`,
    );
    const hostile = "q@example.com' OR '1'='1";
    const none = await db().run('query', {
      sql: 'SELECT * FROM customers WHERE email = $1',
      params: [hostile],
    });
    expect(none.rows).toEqual([]);
    const one = await db().run('query', {
      sql: 'SELECT email, created_on, updated_at FROM customers WHERE email = $1;',
      params: ['q@example.com'],
    });
    expect(one.fields).toEqual(['email', 'created_on', 'updated_at']);
    // Dates and timestamps come back as PostgreSQL's text: no local-midnight shift, microseconds kept.
    expect(one.rows[0]?.created_on).toBe('2024-02-29');
    expect(one.rows[0]?.updated_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?[+-]\d\d/);
  });

  it('returns at most maxRows and says it truncated', async () => {
    const out = await db().run('query', { sql: 'SELECT g FROM generate_series(1, 50) AS g', maxRows: 7 });
    expect(out.rows.map((r) => r.g)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(out).toMatchObject({ rowCount: 7, truncated: true });
    const all = await db().run('query', { sql: 'SELECT g FROM generate_series(1, 7) AS g', maxRows: 7 });
    expect(all.truncated).toBe(false);
  });

  it('is read-only: a write hidden in a query fails and changes nothing', async () => {
    const before = await count('customers');
    const err = await errorOf(
      db().run('query', {
        sql: 'WITH w AS (INSERT INTO customers (email) VALUES ($1) RETURNING id) SELECT * FROM w',
        params: ['sneaky@example.com'],
      }),
    );
    expect(err?.code).toBe('invalid_input');
    expect(await count('customers')).toBe(before);
  });

  it('accepts one statement only', async () => {
    const err = await errorOf(db().run('query', { sql: 'SELECT 1; DROP TABLE customers' }));
    expect(err?.code).toBe('invalid_input');
    await expect(count('customers')).resolves.toBeGreaterThan(0);
  });

  it('stops a statement at its timeout, as a retryable timeout, and the pool stays usable', async () => {
    const c = db();
    const err = await errorOf(c.run('query', { sql: 'SELECT pg_sleep(5)', timeoutMs: 100 }));
    expect(err?.code).toBe('timeout');
    expect(err?.retryable).toBe(true);
    await expect(c.run('query', { sql: 'SELECT 1 AS ok' })).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });

  it("applies the Connection's statement timeout by default", async () => {
    const err = await errorOf(db({ timeoutMs: 100 }).run('query', { sql: 'SELECT pg_sleep(5)' }));
    expect(err?.code).toBe('timeout');
  });
});

describe('insert', () => {
  it('fills the key column with the idempotency key, and a retry finds the row instead of inserting it again', async () => {
    const c = db();
    const first = await c.run(
      'insert',
      {
        table: 'customers',
        row: { email: 'ins@example.com', profile: { plan: 'pro' } },
        keyColumn: 'weft_key',
      },
      { idempotencyKey: 'run-ins:step', attempt: 1 },
    );
    expect(first.row).toMatchObject({
      email: 'ins@example.com',
      weft_key: 'run-ins:step',
      profile: { plan: 'pro' },
    });
    const before = await count('customers');
    const retry = await c.run(
      'insert',
      {
        table: 'customers',
        row: { email: 'ins@example.com', profile: { plan: 'pro' } },
        keyColumn: 'weft_key',
      },
      { idempotencyKey: 'run-ins:step', attempt: 2 },
    );
    expect(retry.row?.id).toBe(first.row?.id);
    expect(await count('customers')).toBe(before);
  });

  it('uses a natural key the row sets itself', async () => {
    const c = db();
    const input = {
      table: 'customers',
      row: { email: 'natural@example.com' },
      keyColumn: 'email',
      returning: ['id'],
    };
    const first = await c.run('insert', input, { idempotencyKey: 'k1', attempt: 1 });
    const again = await c.run('insert', input, { idempotencyKey: 'k1', attempt: 2 });
    expect(Object.keys(first.row ?? {})).toEqual(['id']);
    expect(again.row).toEqual(first.row);
  });

  it('answers a duplicate on a first attempt as a non-retryable conflict naming the constraint', async () => {
    const input = { table: 'customers', row: { email: 'dupe@example.com' }, keyColumn: 'email' };
    await db().run('insert', input, { idempotencyKey: 'd1', attempt: 1 });
    const err = await errorOf(db().run('insert', input, { idempotencyKey: 'd2', attempt: 1 }));
    expect(err?.code).toBe('conflict');
    expect(err?.retryable).toBe(false);
    expect(err?.details).toMatchObject({ sqlstate: '23505', constraint: 'customers_email_key' });
    // The duplicate value sits in the server's `detail`, which is personal data and kept out.
    expect(JSON.stringify(err?.toJSON())).not.toContain('dupe@example.com');
  });

  it('quotes identifiers: odd names work and cannot break out of the statement', async () => {
    const c = db();
    const out = await c.run('insert', { table: 'Odd "Name"', row: { Key: 'a', v: 1 }, keyColumn: 'Key' });
    expect(out.row).toEqual({ Key: 'a', v: 1 });
    const err = await errorOf(
      c.run('insert', { table: 'customers"; DROP TABLE lines; --', row: { email: 'x' }, keyColumn: 'email' }),
    );
    expect(err?.code).toBe('not_found');
    expect(await count('lines')).toBe(0);
    const nul = await errorOf(
      c.run('insert', { table: 'cust\0omers', row: { email: 'x' }, keyColumn: 'email' }),
    );
    expect(nul?.code).toBe('invalid_input');
  });

  it('classifies bad values and unknown columns as invalid input', async () => {
    const badType = await errorOf(
      db().run('insert', {
        table: 'lines',
        row: { order_no: 'o', line: 'one', qty: 1 },
        keyColumn: 'order_no',
      }),
    );
    expect(badType).toMatchObject({ code: 'invalid_input', retryable: false });
    expect(badType?.details.sqlstate).toBe('22P02');
    const noColumn = await errorOf(
      db().run('insert', { table: 'lines', row: { order_no: 'o', nope: 1 }, keyColumn: 'order_no' }),
    );
    expect(noColumn?.details.sqlstate).toBe('42703');
    const notNull = await errorOf(
      db().run('insert', { table: 'lines', row: { order_no: 'o', line: 1 }, keyColumn: 'order_no' }),
    );
    expect(notNull).toMatchObject({ code: 'invalid_input' });
    expect(notNull?.details).toMatchObject({ sqlstate: '23502', column: 'qty' });
  });
});

describe('upsert', () => {
  it('inserts, then updates where the conflict columns match, and a repeat converges', async () => {
    const c = db();
    const input = {
      table: 'lines',
      rows: [
        { order_no: 'A-1', line: 1, qty: 2 },
        { order_no: 'A-1', line: 2, qty: 5 },
      ],
      conflictColumns: ['order_no', 'line'],
    };
    const first = await c.run('upsert', input, { idempotencyKey: 'u1', attempt: 1 });
    expect(first.rowCount).toBe(2);
    const changed = { ...input, rows: [{ order_no: 'A-1', line: 2, qty: 9 }] };
    await c.run('upsert', changed, { idempotencyKey: 'u2', attempt: 1 });
    await c.run('upsert', changed, { idempotencyKey: 'u2', attempt: 2 });
    const rows = await admin.query(`SELECT line, qty FROM lines WHERE order_no = 'A-1' ORDER BY line`);
    expect(rows.rows).toEqual([
      { line: 1, qty: 2 },
      { line: 2, qty: 9 },
    ]);
  });

  it('updates only the listed columns and still returns the row when there is nothing to update', async () => {
    const c = db();
    await c.run('upsert', {
      table: 'customers',
      rows: [{ email: 'up@example.com', name: 'Up', tier: 'gold' }],
      conflictColumns: ['email'],
    });
    const out = await c.run('upsert', {
      table: 'customers',
      rows: [{ email: 'up@example.com', name: 'Renamed', tier: 'free' }],
      conflictColumns: ['email'],
      updateColumns: ['name'],
      returning: ['email', 'name', 'tier'],
    });
    expect(out.rows).toEqual([{ email: 'up@example.com', name: 'Renamed', tier: 'gold' }]);
    const keyOnly = await c.run('upsert', {
      table: 'customers',
      rows: [{ email: 'up@example.com' }],
      conflictColumns: ['email'],
    });
    expect(keyOnly.rows[0]).toMatchObject({ email: 'up@example.com', name: 'Renamed' });
  });

  it('refuses rows that set different columns, before sending anything', async () => {
    const err = await errorOf(
      db().run('upsert', {
        table: 'lines',
        rows: [
          { order_no: 'B', line: 1, qty: 1 },
          { order_no: 'B', line: 2 },
        ],
        conflictColumns: ['order_no', 'line'],
      }),
    );
    expect(err?.code).toBe('invalid_input');
    expect(await count(`lines WHERE order_no = 'B'`)).toBe(0);
  });

  it('answers the same key twice in one batch as invalid input', async () => {
    const err = await errorOf(
      db().run('upsert', {
        table: 'lines',
        rows: [
          { order_no: 'C', line: 1, qty: 1 },
          { order_no: 'C', line: 1, qty: 2 },
        ],
        conflictColumns: ['order_no', 'line'],
      }),
    );
    expect(err).toMatchObject({ code: 'invalid_input', details: { sqlstate: '21000' } });
  });
});

describe('connection failures', () => {
  it('is a retryable unavailable when nothing listens', async () => {
    const err = await errorOf(db({ port: '1' }).run('query', { sql: 'SELECT 1' }));
    expect(err).toMatchObject({ code: 'unavailable', retryable: true });
  });

  it('is not_found for a database that does not exist', async () => {
    const err = await errorOf(
      db({ settings: { database: 'no_such_db_here' } }).run('query', { sql: 'SELECT 1' }),
    );
    expect(err).toMatchObject({ code: 'not_found', retryable: false, details: { sqlstate: '3D000' } });
  });

  it('a closed Connection ends its pool', async () => {
    const c = connect(postgresConnector, {
      id: 'short',
      connector: 'postgres',
      settings: { host: url.hostname, port: url.port, database: url.pathname.slice(1), sslmode: 'disable' },
      auth: { kind: 'basic', username: decodeURIComponent(url.username), password: '' },
    });
    await c.run('query', { sql: 'SELECT 1' });
    await c.close();
    await c.close();
    expect((c.ctx.client as pg.Pool).ended).toBe(true);
  });
});

describe('changes trigger', () => {
  const at = '2025-03-01 12:00:00.123456+00';
  const later = '2025-03-01 12:00:00.123457+00';

  beforeAll(async () => {
    // Seven rows share one timestamp to the microsecond; two come a microsecond later.
    await admin.query(
      `INSERT INTO events (id, updated_at, note)
       SELECT g, CASE WHEN g <= 7 THEN $1::timestamptz ELSE $2::timestamptz END, 'n' || g
       FROM generate_series(1, 9) AS g`,
      [at, later],
    );
  });

  async function drain(trigger: ReturnType<typeof postgresChangesTrigger>, start: string | null) {
    const c = db();
    const ids: unknown[] = [];
    const keys: string[] = [];
    let cursor = start;
    for (let polls = 0; polls < 20; polls++) {
      const page = await trigger.fetchChanges(c.ctx, cursor);
      ids.push(...page.changes.map((ch) => (ch.payload as { id: number }).id));
      keys.push(...page.changes.map((ch) => ch.dedupeKey));
      cursor = page.cursor;
      if (page.changes.length === 0) break;
    }
    return { ids, keys, cursor };
  }

  it('loses and repeats nothing at equal timestamps across page boundaries', async () => {
    const trigger = postgresChangesTrigger({ table: 'events', pageSize: 3, maxPages: 1 });
    const { ids, keys, cursor } = await drain(trigger, null);
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(keys).size).toBe(9);
    expect(keys[0]).toBe('events:1:2025-03-01T12:00:00.123456+00:00');

    // An update moves the row past the cursor: the next poll sees it once, with a new dedupe key.
    await admin.query(
      `UPDATE events SET note = 'edited', updated_at = '2025-03-02 00:00:00+00' WHERE id = 4`,
    );
    const next = await drain(trigger, cursor);
    expect(next.ids).toEqual([4]);
    expect(next.keys).toEqual(['events:4:2025-03-02T00:00:00+00:00']);
  });

  it('reads several pages per poll up to maxPages, and the payload is the row alone', async () => {
    const c = db();
    const trigger = postgresChangesTrigger({ table: 'events', pageSize: 2, maxPages: 3 });
    const first = await trigger.fetchChanges(c.ctx, null);
    expect(first.changes).toHaveLength(6);
    expect(first.changes[0]?.payload).toEqual({
      id: 1,
      updated_at: '2025-03-01 12:00:00.123456+00',
      note: 'n1',
    });
    expect(first.changes[0]?.type).toBe('events.changed');
  });

  it("starts from now with initial 'new', and reads its table from the Connection settings", async () => {
    const c = db({ settings: { 'changes.table': 'events', 'changes.initial': 'new' } });
    const trigger = settingsChangesTrigger;
    expect(postgresConnector.pollTriggers?.changes).toBe(trigger);
    const start = await trigger.fetchChanges(c.ctx, null);
    expect(start.changes).toEqual([]);
    await admin.query(`INSERT INTO events VALUES (10, '2030-01-01 00:00:00+00', 'new one')`);
    const next = await trigger.fetchChanges(c.ctx, start.cursor);
    expect(next.changes.map((ch) => (ch.payload as { id: number }).id)).toEqual([10]);
  });

  it('refuses a cursor it did not write', async () => {
    const trigger = postgresChangesTrigger({ table: 'events' });
    const err = await errorOf(trigger.fetchChanges(db().ctx, '{"u":"x"}'));
    expect(err?.code).toBe('invalid_input');
  });
});
