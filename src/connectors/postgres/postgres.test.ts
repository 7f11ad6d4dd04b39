import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { classifiedFields } from '../../connector/classification.js';
import { connect } from '../../connector/connector.js';
import { WeftError } from '../../contract/errors.js';
import { changesConfigFromSettings, decodeCursor, encodeCursor } from './changes.js';
import { postgresConnector } from './connector.js';
import { classifyPgError } from './errors.js';
import { poolConfig } from './pool.js';
import { quoteIdent, tableRef } from './sql.js';
import { UpsertInput, upsertStatement } from './writes.js';

/** Pure parts of the PostgreSQL connector; test/connectors/postgres*.test.ts run it on a server. */

function serverError(code: string, message: string, extra: Partial<pg.DatabaseError> = {}): pg.DatabaseError {
  const err = new pg.DatabaseError(message, message.length, 'error');
  err.code = code;
  Object.assign(err, extra);
  return err;
}

const connection = {
  id: 'warehouse',
  connector: 'postgres',
  settings: { host: 'db.internal', database: 'app' },
  auth: { kind: 'basic' as const, username: 'weft', password: 'pw-123' },
};

describe('SQLSTATE classification', () => {
  it.each([
    ['28P01', 'auth', false],
    ['28000', 'auth', false],
    ['23505', 'conflict', false],
    ['23503', 'invalid_input', false],
    ['22P02', 'invalid_input', false],
    ['42601', 'invalid_input', false],
    ['42703', 'invalid_input', false],
    ['42P01', 'not_found', false],
    ['42501', 'forbidden', false],
    ['53300', 'unavailable', true],
    ['57P03', 'unavailable', true],
    ['08006', 'unavailable', true],
    ['40001', 'conflict', true],
    ['40P01', 'conflict', true],
    ['57014', 'timeout', true],
    ['XX000', 'unavailable', false],
  ] as const)('%s → %s (retryable %s)', (state, code, retryable) => {
    const err = classifyPgError(serverError(state, 'something failed'), 'testing');
    expect(err).toMatchObject({ code, retryable, details: { sqlstate: state } });
  });

  it("keeps the server's auth wording and the row values of `detail` out of the error", () => {
    const auth = classifyPgError(
      serverError('28P01', 'password authentication failed for user "weft"'),
      'running a query',
    );
    expect(JSON.stringify(auth.toJSON())).not.toMatch(/password|weft"/);
    const dupe = classifyPgError(
      serverError('23505', 'duplicate key value violates unique constraint "customers_email_key"', {
        detail: 'Key (email)=(ada@example.com) already exists.',
        table: 'customers',
        constraint: 'customers_email_key',
      }),
      'inserting',
    );
    expect(dupe.details).toEqual({
      sqlstate: '23505',
      table: 'customers',
      constraint: 'customers_email_key',
    });
    expect(JSON.stringify(dupe.toJSON())).not.toContain('ada@example.com');
  });

  it('treats a lost or refused connection as retryable, whatever the driver calls it', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(classifyPgError(refused, 'x')).toMatchObject({ code: 'unavailable', retryable: true });
    expect(classifyPgError(new Error('Connection terminated unexpectedly'), 'x')).toMatchObject({
      code: 'unavailable',
      retryable: true,
    });
    expect(classifyPgError(new Error('timeout expired'), 'x').retryable).toBe(true);
  });

  it('does not retry TLS misconfiguration', () => {
    const err = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(classifyPgError(err, 'x')).toMatchObject({ code: 'invalid_input', retryable: false });
  });
});

describe('Connection settings', () => {
  it('defaults to port 5432 and verify-full TLS, and takes the login from basic auth', () => {
    const config = poolConfig(connection);
    expect(config).toMatchObject({
      host: 'db.internal',
      port: 5432,
      database: 'app',
      user: 'weft',
      password: 'pw-123',
      ssl: { rejectUnauthorized: true },
      max: 5,
      statement_timeout: 30_000,
    });
  });

  it('maps sslmode like libpq', () => {
    const ssl = (sslmode: string) =>
      poolConfig({ ...connection, settings: { ...connection.settings, sslmode } }).ssl;
    expect(ssl('disable')).toBe(false);
    expect(ssl('require')).toEqual({ rejectUnauthorized: false });
    expect(ssl('verify-ca')).toMatchObject({ rejectUnauthorized: true });
  });

  it('rejects a Connection without a database, or with other auth than basic, before connecting', () => {
    expect(() => poolConfig({ ...connection, settings: { host: 'db' } })).toThrow(WeftError);
    expect(() => connect(postgresConnector, { ...connection, auth: { kind: 'bearer', token: 't' } })).toThrow(
      /does not accept auth kind bearer/,
    );
  });

  it('opens its pool as the context client and closes it with the Connection', async () => {
    const c = connect(postgresConnector, connection);
    expect(c.ctx.client).toBeInstanceOf(pg.Pool);
    await c.close();
    expect((c.ctx.client as pg.Pool).ended).toBe(true);
  });
});

describe('SQL building', () => {
  it('quotes identifiers so that any name stays one identifier', () => {
    expect(quoteIdent('orders')).toBe('"orders"');
    expect(quoteIdent('a"; DROP TABLE x; --')).toBe('"a""; DROP TABLE x; --"');
    expect(tableRef({ schema: 'sales', table: 'Orders' })).toBe('"sales"."Orders"');
    expect(() => quoteIdent('x'.repeat(64))).toThrow();
    expect(() => quoteIdent('a\0b')).toThrow();
  });

  it('builds one parameterised upsert for a batch', () => {
    const statement = upsertStatement(
      UpsertInput.parse({
        table: 'lines',
        rows: [
          { order_no: 'A', line: 1, qty: 2 },
          { order_no: 'A', line: 2, qty: 3 },
        ],
        conflictColumns: ['order_no', 'line'],
      }),
    );
    expect(statement.text).toBe(
      'INSERT INTO "lines" ("order_no", "line", "qty") VALUES ($1, $2, $3), ($4, $5, $6)' +
        ' ON CONFLICT ("order_no", "line") DO UPDATE SET "qty" = EXCLUDED."qty" RETURNING *',
    );
    expect(statement.values).toEqual(['A', 1, 2, 'A', 2, 3]);
  });

  it('refuses a batch that would bind more values than PostgreSQL allows', () => {
    const row = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`c${i}`, i]));
    const input = UpsertInput.parse({
      table: 't',
      rows: Array.from({ length: 1_000 }, () => row),
      conflictColumns: ['c0'],
    });
    expect(() => upsertStatement(input)).toThrow(/PostgreSQL allows 65535/);
  });
});

describe('changes cursor and settings', () => {
  it('round-trips the cursor and rejects one it did not write', () => {
    const text = encodeCursor({ u: '2025-03-01T12:00:00.123456+00:00', k: '7' });
    expect(decodeCursor(text)).toEqual({ v: 1, u: '2025-03-01T12:00:00.123456+00:00', k: '7' });
    expect(() => decodeCursor('1700000000')).toThrow(WeftError);
  });

  it('reads the watched table from `changes.*` settings', () => {
    expect(
      changesConfigFromSettings({ host: 'db', 'changes.table': 'orders', 'changes.pageSize': '50' }),
    ).toMatchObject({ table: 'orders', updatedAtColumn: 'updated_at', keyColumn: 'id', pageSize: 50 });
    expect(() => changesConfigFromSettings({ host: 'db' })).toThrow(/changes.table/);
  });
});

describe('schemas', () => {
  it('classify rows and bound values as confidential, in and out', () => {
    const { query, insert, upsert } = postgresConnector.actions;
    expect(classifiedFields(query.output)).toEqual({ 'rows[]': ['confidential'] });
    expect(classifiedFields(query.input)).toEqual({ params: ['confidential'] });
    expect(classifiedFields(insert.input)).toEqual({ row: ['confidential'] });
    expect(classifiedFields(upsert.input)).toEqual({ 'rows[]': ['confidential'] });
  });
});
