import pg from 'pg';
import { connectorError } from '../../connector/connector-error.js';
import { WeftError } from '../../contract/errors.js';

/**
 * PostgreSQL failures as WeftErrors. Server errors are classified by SQLSTATE (class first, then
 * the exceptions inside a class); failures before any answer (refused, reset, terminated, timed
 * out) are `unavailable` and retryable: the statement may or may not have run, which the write
 * actions' idempotency covers.
 *
 * Kept out of every error: the row values of `detail` (personal data, often), the raw driver error
 * (its text can name the user and the word that fails auth checks), and, of course, the password,
 * which PostgreSQL never echoes.
 */
export function classifyPgError(err: unknown, doing: string): WeftError {
  if (err instanceof WeftError) return err;
  if (err instanceof pg.DatabaseError) return fromSqlState(err, doing);
  return fromClientFailure(err, doing);
}

/** Runs `fn`, turning anything it throws into a classified WeftError. */
export async function withPgErrors<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw classifyPgError(err, doing);
  }
}

type Verdict = { code: Parameters<typeof connectorError>[0]['code']; retryable: boolean };

/** Exact SQLSTATEs that differ from their class's verdict. */
const exact: Record<string, Verdict> = {
  '23505': { code: 'conflict', retryable: false }, // unique_violation
  '42P01': { code: 'not_found', retryable: false }, // undefined_table
  '3D000': { code: 'not_found', retryable: false }, // invalid_catalog_name: no such database
  '3F000': { code: 'not_found', retryable: false }, // invalid_schema_name
  '42501': { code: 'forbidden', retryable: false }, // insufficient_privilege
  '40001': { code: 'conflict', retryable: true }, // serialization_failure
  '40P01': { code: 'conflict', retryable: true }, // deadlock_detected
  '57014': { code: 'timeout', retryable: true }, // query_canceled: statement_timeout
  '57P01': { code: 'unavailable', retryable: true }, // admin_shutdown
  '57P02': { code: 'unavailable', retryable: true }, // crash_shutdown
  '57P03': { code: 'unavailable', retryable: true }, // cannot_connect_now: starting up
  '53300': { code: 'unavailable', retryable: true }, // too_many_connections
  '25006': { code: 'invalid_input', retryable: false }, // read_only_sql_transaction
  P0001: { code: 'invalid_input', retryable: false }, // raise_exception in a trigger or function
};

/** Verdicts by SQLSTATE class (the first two characters). */
const byClass: Record<string, Verdict> = {
  '08': { code: 'unavailable', retryable: true }, // connection exception
  '21': { code: 'invalid_input', retryable: false }, // cardinality: one upsert row twice
  '22': { code: 'invalid_input', retryable: false }, // data exception: bad value for the type
  '23': { code: 'invalid_input', retryable: false }, // integrity: not null, foreign key, check
  '28': { code: 'auth', retryable: false }, // invalid authorization: wrong password, no such role
  '40': { code: 'conflict', retryable: true }, // transaction rollback
  '42': { code: 'invalid_input', retryable: false }, // syntax error or access rule
  '53': { code: 'unavailable', retryable: true }, // insufficient resources: disk, memory
  '54': { code: 'invalid_input', retryable: false }, // program limit: too many columns, too complex
  '0A': { code: 'invalid_input', retryable: false }, // feature not supported
};

function fromSqlState(err: pg.DatabaseError, doing: string): WeftError {
  const state = err.code ?? 'XX000';
  const verdict = exact[state] ?? byClass[state.slice(0, 2)] ?? { code: 'unavailable', retryable: false };
  const details: Record<string, unknown> = { sqlstate: state };
  for (const key of ['schema', 'table', 'column', 'constraint'] as const) {
    if (err[key] !== undefined) details[key] = err[key];
  }
  // The server's auth messages name the failed check; a generic sentence says enough.
  const message =
    verdict.code === 'auth'
      ? `PostgreSQL refused the Connection's credentials while ${doing} (SQLSTATE ${state})`
      : `PostgreSQL: ${err.message} while ${doing} (SQLSTATE ${state})`;
  return connectorError({ code: verdict.code, message, retryable: verdict.retryable, details });
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function fromClientFailure(err: unknown, doing: string): WeftError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const text = err instanceof Error ? err.message : String(err);
  if (code !== undefined && networkCodes.has(code)) {
    return connectorError({
      code: 'unavailable',
      message: `PostgreSQL is unreachable while ${doing} (${code})`,
      retryable: true,
      details: { errno: code },
    });
  }
  // node-postgres reports a dropped or timed-out connection in prose, without a code.
  if (/connection terminated|timeout expired|connection timeout|server closed the connection/i.test(text)) {
    return connectorError({
      code: 'unavailable',
      message: `PostgreSQL connection lost while ${doing}: the statement may or may not have been applied`,
      retryable: true,
    });
  }
  // The driver's own SASL/SCRAM checks (an empty credential, a server asking for what is not there).
  if (/sasl|scram|password/i.test(text)) {
    return connectorError({
      code: 'auth',
      message: `PostgreSQL login failed while ${doing}: check the Connection's credentials`,
    });
  }
  if (/ssl|certificate|self[- ]signed/i.test(text) || (code?.includes('CERT') ?? false)) {
    return connectorError({
      code: 'invalid_input',
      message: `TLS with PostgreSQL failed while ${doing}: check the Connection's sslmode and the server certificate (${code ?? 'tls'})`,
    });
  }
  return new WeftError({ code: 'internal', message: `PostgreSQL client failed while ${doing}: ${text}` });
}
