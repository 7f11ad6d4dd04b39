import { WeftError } from '../../contract/errors.js';
import type { AuditInput, ExceptionFilter, NewException, ResolveException, RetryException } from '../port.js';
import type { ExceptionRecord } from '../records.js';
import type { Sql } from './connection.js';
import { appendAudit } from './queries-audit.js';
import { type ExceptionRow, sqlLimit, toException, toJson, where } from './rows.js';

/** The error queue: open → retrying → resolved (or open → resolved). */

/**
 * Opens the exception of a run's step, or re-opens it when the step failed again: the id,
 * `createdAt` and the count of retries survive, so the queue shows one item per failing step.
 */
export function openException(sql: Sql, e: NewException & { runId: string; flowName: string }): void {
  sql.run(
    `INSERT INTO exceptions (id, run_id, flow_name, step_id, status, error, error_code, input, attempts, retries,
       created_at, updated_at)
     VALUES (@id, @runId, @flowName, @stepId, 'open', @error, @errorCode, @input, @attempts, 0, @at, @at)
     ON CONFLICT (run_id, step_id) DO UPDATE SET status = 'open', error = excluded.error,
       error_code = excluded.error_code, input = excluded.input, attempts = excluded.attempts,
       updated_at = excluded.updated_at, resolved_at = NULL, resolved_by = NULL, resolution = NULL`,
    {
      id: e.id,
      runId: e.runId,
      flowName: e.flowName,
      stepId: e.stepId,
      error: toJson(e.error),
      errorCode: e.error.code,
      input: toJson(e.input),
      attempts: e.attempts,
      at: e.at,
    },
  );
}

/**
 * A retried step that now succeeded closes its exception, even when the run fails later at
 * another step (that failure opens its own). Without `stepIds`, a run that succeeded closes all
 * of its retried exceptions.
 */
export function resolveRetriedExceptions(sql: Sql, runId: string, now: number, stepIds?: string[]): void {
  sql.run(
    `UPDATE exceptions SET status = 'resolved', resolution = 'retried successfully', resolved_by = 'system',
       resolved_at = @now, updated_at = @now
     WHERE run_id = @runId AND status = 'retrying'
       AND (@steps IS NULL OR step_id IN (SELECT value FROM json_each(@steps)))`,
    { runId, now, steps: stepIds === undefined ? null : JSON.stringify(stepIds) },
  );
}

export function getException(sql: Sql, id: string): ExceptionRecord | null {
  const row = sql.get<ExceptionRow>('SELECT * FROM exceptions WHERE id = @id', { id });
  return row === undefined ? null : toException(row);
}

/** Exceptions, newest first; no `limit` means all. */
export function listExceptions(sql: Sql, filter: ExceptionFilter): ExceptionRecord[] {
  const { clause, params } = where({
    status: filter.status,
    flow_name: filter.flowName,
    error_code: filter.code,
    step_id: filter.stepId,
    before: filter.before,
  });
  return sql
    .all<ExceptionRow>(`SELECT * FROM exceptions ${clause} ORDER BY id DESC LIMIT @limit`, {
      ...params,
      limit: sqlLimit(filter.limit),
    })
    .map(toException);
}

function mustGet(sql: Sql, id: string): ExceptionRecord {
  const found = getException(sql, id);
  if (found === null) throw new WeftError({ code: 'not_found', message: `exception ${id} not found` });
  return found;
}

/**
 * Re-queues the run at the failed step: the exception becomes `retrying`, the step's journal entry
 * starts its attempts afresh (with the edited input, if any) and the run is due now. Any lease is
 * dropped, so a worker still holding the run is fenced off.
 */
function requeue(sql: Sql, exception: ExceptionRecord, input: { edited?: unknown; now: number }): void {
  const { runId, stepId } = exception;
  const editedInput = input.edited === undefined ? null : toJson(input.edited);
  sql.run(
    `UPDATE exceptions SET status = 'retrying', retries = retries + 1, updated_at = @now WHERE id = @id`,
    { id: exception.id, now: input.now },
  );
  // Upsert, not update: a step may have failed before its first journal write, and an edited
  // input must not be lost for want of a row to carry it.
  sql.run(
    `INSERT INTO journal (run_id, step_id, status, attempts, input, output, error, resume_at, edited_input,
       started_at, finished_at)
     VALUES (@runId, @stepId, 'retrying', 0, @input, 'null', NULL, @now, @editedInput, @now, NULL)
     ON CONFLICT (run_id, step_id) DO UPDATE SET status = 'retrying', attempts = 0, error = NULL,
       resume_at = @now, edited_input = COALESCE(@editedInput, journal.edited_input)`,
    { runId, stepId, input: toJson(exception.input), now: input.now, editedInput },
  );
  sql.run(
    `UPDATE runs SET status = 'queued', run_at = @now, error = NULL, finished_at = NULL, lease_owner = NULL,
       lease_expires_at = NULL, updated_at = @now
     WHERE id = @runId`,
    { runId, now: input.now },
  );
}

export function retryException(sql: Sql, input: RetryException): ExceptionRecord {
  const exception = mustGet(sql, input.id);
  if (exception.status !== 'open') {
    throw new WeftError({
      code: 'conflict',
      message: `exception ${input.id} is ${exception.status}; only open exceptions can be retried`,
      details: { status: exception.status },
    });
  }
  requeue(sql, exception, { edited: input.input, now: input.now });
  appendAudit(sql, input.audit);
  return mustGet(sql, input.id);
}

/** Retries every open exception that matches; one audit entry records the filter and the count. */
export function retryExceptions(
  sql: Sql,
  input: { filter: ExceptionFilter; audit: AuditInput; now: number },
): number {
  const matching =
    input.filter.status === undefined || input.filter.status === 'open'
      ? listExceptions(sql, { ...input.filter, status: 'open' })
      : [];
  for (const exception of matching) requeue(sql, exception, { now: input.now });
  // Only the store knows how many matched: it adds the count to whatever the caller recorded.
  const given = input.audit.data;
  const base = isRecord(given) ? given : given === undefined ? {} : { data: given };
  appendAudit(sql, { ...input.audit, data: { ...base, count: matching.length, filter: input.filter } });
  return matching.length;
}

export function resolveException(sql: Sql, input: ResolveException): ExceptionRecord {
  const exception = mustGet(sql, input.id);
  if (exception.status === 'resolved') {
    throw new WeftError({ code: 'conflict', message: `exception ${input.id} is already resolved` });
  }
  sql.run(
    `UPDATE exceptions SET status = 'resolved', resolution = @note, resolved_by = @actor, resolved_at = @now,
       updated_at = @now
     WHERE id = @id`,
    { id: input.id, note: input.note, actor: input.actor, now: input.now },
  );
  appendAudit(sql, input.audit);
  return mustGet(sql, input.id);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
