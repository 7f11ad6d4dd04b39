import { WeftError } from '../../contract/errors.js';
import type { NewRunProgress, RunProgress, RunStateChange } from '../port.js';
import type { ActionRecord, JournalEntry } from '../records.js';
import type { Sql } from './connection.js';
import { openException, resolveRetriedExceptions } from './queries-exceptions.js';
import { toJson, toNullableJson } from './rows.js';

const upsertJournalSql = `INSERT INTO journal (run_id, step_id, status, attempts, input, output, error, resume_at,
    edited_input, started_at, finished_at)
  VALUES (@runId, @stepId, @status, @attempts, @input, @output, @error, @resumeAt, @editedInput, @startedAt,
    @finishedAt)
  ON CONFLICT (run_id, step_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
    input = excluded.input, output = excluded.output, error = excluded.error, resume_at = excluded.resume_at,
    edited_input = COALESCE(excluded.edited_input, journal.edited_input),
    started_at = excluded.started_at, finished_at = excluded.finished_at`;

const upsertActionSql = `INSERT INTO actions (idempotency_key, run_id, step_id, item_key, attempts, status, request,
    response_status, response, first_attempt_at, last_attempt_at)
  VALUES (@idempotencyKey, @runId, @stepId, @itemKey, @attempts, @status, @request, @responseStatus, @response,
    @firstAttemptAt, @lastAttemptAt)
  ON CONFLICT (idempotency_key) DO UPDATE SET attempts = excluded.attempts, status = excluded.status,
    request = excluded.request, response_status = excluded.response_status, response = excluded.response,
    last_attempt_at = excluded.last_attempt_at`;

// Optional fields of the change are applied only when present: @set* flags say which.
const updateRunSql = `UPDATE runs SET status = @status,
    run_at = COALESCE(@runAt, run_at),
    output = CASE WHEN @setOutput THEN @output ELSE output END,
    error = CASE WHEN @setError THEN @error ELSE error END,
    finished_at = CASE WHEN @setFinishedAt THEN @finishedAt ELSE finished_at END,
    lease_owner = CASE WHEN @release THEN NULL ELSE lease_owner END,
    lease_expires_at = CASE WHEN @release THEN NULL ELSE lease_expires_at END,
    updated_at = @now
  WHERE id = @id`;

/**
 * Writes a run's progress, fenced by its lease: only the current lease owner of a running run may
 * write, so a worker that lost its lease (expired and reclaimed) cannot overwrite the new owner.
 */
export function saveProgress(sql: Sql, progress: RunProgress): void {
  const run = sql.get<{ status: string; lease_owner: string | null; flow_name: string }>(
    'SELECT status, lease_owner, flow_name FROM runs WHERE id = @id',
    { id: progress.runId },
  );
  if (run === undefined) {
    throw new WeftError({ code: 'not_found', message: `run ${progress.runId} not found` });
  }
  if (run.lease_owner !== progress.owner || run.status !== 'running') {
    throw new WeftError({
      code: 'lease_lost',
      message: `run ${progress.runId} is no longer leased to ${progress.owner}`,
      details: { runId: progress.runId, status: run.status },
    });
  }
  writeJournalAndActions(sql, progress.runId, progress);
  const passed = progress.passedRetriedSteps ?? [];
  if (passed.length > 0) resolveRetriedExceptions(sql, progress.runId, progress.now, passed);
  if (progress.run !== undefined) {
    updateRun(sql, progress.runId, progress.run, progress.now);
    if (progress.run.status === 'succeeded') resolveRetriedExceptions(sql, progress.runId, progress.now);
  }
  if (progress.exception !== undefined) {
    openException(sql, { ...progress.exception, runId: progress.runId, flowName: run.flow_name });
  }
}

/**
 * The progress of a run inserted in the same transaction (`acceptEvent` with `progress`): what
 * `saveProgress` writes, minus the lease fence (the run was just created leased to its caller),
 * the run update (the row was inserted in its new state) and resolving retried exceptions (a new
 * run has none).
 */
export function writeNewRunProgress(
  sql: Sql,
  input: { runId: string; flowName: string; progress: NewRunProgress },
): void {
  const { runId, progress } = input;
  writeJournalAndActions(sql, runId, progress);
  if (progress.exception !== undefined) {
    openException(sql, { ...progress.exception, runId, flowName: input.flowName });
  }
}

function writeJournalAndActions(sql: Sql, runId: string, progress: NewRunProgress): void {
  for (const entry of progress.journal ?? []) {
    assertSameRun(runId, entry.runId, 'journal entry');
    upsertJournal(sql, entry);
  }
  for (const action of progress.actions ?? []) {
    assertSameRun(runId, action.runId, 'action');
    upsertAction(sql, action);
  }
}

/** The lease fences one run: a write for another run in the same call would slip past it. */
function assertSameRun(runId: string, other: string, what: string): void {
  if (other !== runId) {
    throw new WeftError({
      code: 'invalid_input',
      message: `${what} of run ${other} in the progress of run ${runId}`,
    });
  }
}

/**
 * Replaces the step's entry, except `editedInput`: only an edit-and-retry sets it, and it must
 * survive the engine rewriting the entry (e.g. a failed attempt of the edited step).
 */
export function upsertJournal(sql: Sql, e: JournalEntry): void {
  sql.run(upsertJournalSql, {
    runId: e.runId,
    stepId: e.stepId,
    status: e.status,
    attempts: e.attempts,
    input: toJson(e.input),
    output: toJson(e.output),
    error: toNullableJson(e.error),
    resumeAt: e.resumeAt,
    editedInput: e.editedInput === undefined ? null : toJson(e.editedInput),
    startedAt: e.startedAt,
    finishedAt: e.finishedAt,
  });
}

/** Upserts a write-ledger row; its first attempt time is kept. */
function upsertAction(sql: Sql, a: ActionRecord): void {
  sql.run(upsertActionSql, {
    idempotencyKey: a.idempotencyKey,
    runId: a.runId,
    stepId: a.stepId,
    itemKey: a.itemKey,
    attempts: a.attempts,
    status: a.status,
    request: toJson(a.request),
    responseStatus: a.responseStatus,
    response: toJson(a.response),
    firstAttemptAt: a.firstAttemptAt,
    lastAttemptAt: a.lastAttemptAt,
  });
}

function updateRun(sql: Sql, id: string, change: RunStateChange, now: number): void {
  sql.run(updateRunSql, {
    id,
    now,
    status: change.status,
    runAt: change.runAt ?? null,
    setOutput: change.output === undefined ? 0 : 1,
    output: toJson(change.output),
    setError: change.error === undefined ? 0 : 1,
    error: toNullableJson(change.error),
    setFinishedAt: change.finishedAt === undefined ? 0 : 1,
    finishedAt: change.finishedAt ?? null,
    release: change.releaseLease === true ? 1 : 0,
  });
}
