import { WeftError } from '../../contract/errors.js';
import type { AuditInput, ExceptionFilter, NewException, ResolveException, RetryException } from '../port.js';
import type { ExceptionRecord } from '../records.js';
import { notifyChannel } from './notifier.js';
import { appendAudit } from './queries-audit.js';
import { type ExceptionRow, sqlLimit, toException, toJson, where } from './rows.js';
import type { Sql } from './sql.js';

/** The error queue: open → retrying → resolved (or open → resolved). */

/**
 * Opens the exception of a run's step, or re-opens it when the step failed again: the id,
 * `createdAt` and the count of retries survive, so the queue shows one item per failing step.
 */
export async function openException(
  sql: Sql,
  e: NewException & { runId: string; flowName: string },
): Promise<void> {
  await sql.run(
    `INSERT INTO exceptions (id, run_id, flow_name, step_id, status, error, error_code, input, attempts, retries,
       created_at, updated_at)
     VALUES ($1, $2, $3, $4, 'open', $5::jsonb, $6, $7::jsonb, $8, 0, $9, $9)
     ON CONFLICT (run_id, step_id) DO UPDATE SET status = 'open', error = excluded.error,
       error_code = excluded.error_code, input = excluded.input, attempts = excluded.attempts,
       updated_at = excluded.updated_at, resolved_at = NULL, resolved_by = NULL, resolution = NULL`,
    [e.id, e.runId, e.flowName, e.stepId, toJson(e.error), e.error.code, toJson(e.input), e.attempts, e.at],
  );
}

/**
 * A retried step that now succeeded closes its exception, even when the run fails later at
 * another step (that failure opens its own). Without `stepIds`, a run that succeeded closes all
 * of its retried exceptions.
 */
export async function resolveRetriedExceptions(
  sql: Sql,
  runId: string,
  now: number,
  stepIds?: string[],
): Promise<void> {
  await sql.run(
    `UPDATE exceptions SET status = 'resolved', resolution = 'retried successfully', resolved_by = 'system',
       resolved_at = $2, updated_at = $2
     WHERE run_id = $1 AND status = 'retrying' AND ($3::text[] IS NULL OR step_id = ANY($3::text[]))`,
    [runId, now, stepIds ?? null],
  );
}

export async function getException(sql: Sql, id: string): Promise<ExceptionRecord | null> {
  const row = await sql.get<ExceptionRow>('SELECT * FROM exceptions WHERE id = $1', [id]);
  return row === undefined ? null : toException(row);
}

/**
 * Exceptions, newest first; no `limit` means all. `forUpdate` locks the rows for the rest of the
 * transaction, so two operators acting on the same items at once cannot both act.
 */
export async function listExceptions(
  sql: Sql,
  filter: ExceptionFilter,
  opts: { forUpdate?: boolean } = {},
): Promise<ExceptionRecord[]> {
  const { clause, values } = where(
    {
      status: filter.status,
      flow_name: filter.flowName,
      error_code: filter.code,
      step_id: filter.stepId,
      before: filter.before,
    },
    1,
  );
  const lock = opts.forUpdate === true ? 'FOR UPDATE' : '';
  const rows = await sql.all<ExceptionRow>(
    `SELECT * FROM exceptions ${clause} ORDER BY id DESC LIMIT $1 ${lock}`,
    [sqlLimit(filter.limit), ...values],
  );
  return rows.map(toException);
}

/** The exception, locked for the rest of the transaction (status checks must hold until COMMIT). */
async function mustLock(sql: Sql, id: string): Promise<ExceptionRecord> {
  const row = await sql.get<ExceptionRow>('SELECT * FROM exceptions WHERE id = $1 FOR UPDATE', [id]);
  if (row === undefined) throw new WeftError({ code: 'not_found', message: `exception ${id} not found` });
  return toException(row);
}

async function mustGet(sql: Sql, id: string): Promise<ExceptionRecord> {
  const found = await getException(sql, id);
  if (found === null) throw new WeftError({ code: 'not_found', message: `exception ${id} not found` });
  return found;
}

/**
 * Re-queues the run at the failed step: the exception becomes `retrying`, the step's journal entry
 * starts its attempts afresh (with the edited input, if any) and the run is due now. Any lease is
 * dropped, so a worker still holding the run is fenced off.
 */
async function requeue(
  sql: Sql,
  exception: ExceptionRecord,
  input: { edited?: unknown; now: number },
): Promise<void> {
  const { runId, stepId } = exception;
  const editedInput = input.edited === undefined ? null : toJson(input.edited);
  await sql.run(
    `UPDATE exceptions SET status = 'retrying', retries = retries + 1, updated_at = $2 WHERE id = $1`,
    [exception.id, input.now],
  );
  // Upsert, not update: a step may have failed before its first journal write, and an edited
  // input must not be lost for want of a row to carry it.
  await sql.run(
    `INSERT INTO journal (run_id, step_id, status, attempts, input, output, error, resume_at, edited_input,
       started_at, finished_at)
     VALUES ($1, $2, 'retrying', 0, $3::jsonb, 'null'::jsonb, NULL, $4, $5::jsonb, $4, NULL)
     ON CONFLICT (run_id, step_id) DO UPDATE SET status = 'retrying', attempts = 0, error = NULL,
       resume_at = excluded.resume_at, edited_input = COALESCE(excluded.edited_input, journal.edited_input)`,
    [runId, stepId, toJson(exception.input), input.now, editedInput],
  );
  await sql.run(
    `UPDATE runs SET status = 'queued', run_at = $2, error = NULL, finished_at = NULL, lease_owner = NULL,
       lease_expires_at = NULL, updated_at = $2
     WHERE id = $1`,
    [runId, input.now],
  );
}

export async function retryException(sql: Sql, input: RetryException): Promise<ExceptionRecord> {
  const exception = await mustLock(sql, input.id);
  if (exception.status !== 'open') {
    throw new WeftError({
      code: 'conflict',
      message: `exception ${input.id} is ${exception.status}; only open exceptions can be retried`,
      details: { status: exception.status },
    });
  }
  await requeue(sql, exception, { edited: input.input, now: input.now });
  await appendAudit(sql, input.audit);
  await notifyRunsDue(sql);
  return mustGet(sql, input.id);
}

/** Retries every open exception that matches; one audit entry records the filter and the count. */
export async function retryExceptions(
  sql: Sql,
  input: { filter: ExceptionFilter; audit: AuditInput; now: number },
): Promise<number> {
  const matching =
    input.filter.status === undefined || input.filter.status === 'open'
      ? await listExceptions(sql, { ...input.filter, status: 'open' }, { forUpdate: true })
      : [];
  for (const exception of matching) await requeue(sql, exception, { now: input.now });
  if (matching.length > 0) await notifyRunsDue(sql);
  // Only the store knows how many matched: it adds the count to whatever the caller recorded.
  const given = input.audit.data;
  const base = isRecord(given) ? given : given === undefined ? {} : { data: given };
  await appendAudit(sql, { ...input.audit, data: { ...base, count: matching.length, filter: input.filter } });
  return matching.length;
}

export async function resolveException(sql: Sql, input: ResolveException): Promise<ExceptionRecord> {
  const exception = await mustLock(sql, input.id);
  if (exception.status === 'resolved') {
    throw new WeftError({ code: 'conflict', message: `exception ${input.id} is already resolved` });
  }
  await sql.run(
    `UPDATE exceptions SET status = 'resolved', resolution = $2, resolved_by = $3, resolved_at = $4, updated_at = $4
     WHERE id = $1`,
    [input.id, input.note, input.actor, input.now],
  );
  await appendAudit(sql, input.audit);
  return mustGet(sql, input.id);
}

/** Wakes every process's workers at COMMIT: a re-queued run is due now, for any of them. */
async function notifyRunsDue(sql: Sql): Promise<void> {
  await sql.run(`SELECT pg_notify('${notifyChannel}', 'runs')`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
