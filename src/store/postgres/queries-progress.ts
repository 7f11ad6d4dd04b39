import { WeftError } from '../../contract/errors.js';
import type { RunProgress, RunStateChange } from '../port.js';
import type { ActionRecord, JournalEntry } from '../records.js';
import { openException, resolveRetriedExceptions } from './queries-exceptions.js';
import { toJson, toNullableJson } from './rows.js';
import type { Sql, SqlValue } from './sql.js';

const upsertJournalSql = `INSERT INTO journal (run_id, step_id, status, attempts, input, output, error, resume_at,
    edited_input, started_at, finished_at)
  VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9::jsonb, $10, $11)
  ON CONFLICT (run_id, step_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
    input = excluded.input, output = excluded.output, error = excluded.error, resume_at = excluded.resume_at,
    edited_input = COALESCE(excluded.edited_input, journal.edited_input),
    started_at = excluded.started_at, finished_at = excluded.finished_at`;

const upsertActionSql = `INSERT INTO actions (idempotency_key, run_id, step_id, item_key, attempts, status, request,
    response_status, response, first_attempt_at, last_attempt_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::jsonb, $10, $11)
  ON CONFLICT (idempotency_key) DO UPDATE SET attempts = excluded.attempts, status = excluded.status,
    request = excluded.request, response_status = excluded.response_status, response = excluded.response,
    last_attempt_at = excluded.last_attempt_at`;

/**
 * Writes a run's progress, fenced by its lease: only the current lease owner of a running run may
 * write, so a worker that lost its lease (expired and reclaimed) cannot overwrite the new owner.
 * The run row is locked first (FOR UPDATE), so no claim can take the run over between the check
 * and the COMMIT: a concurrent claimer skips it (SKIP LOCKED).
 */
export async function saveProgress(sql: Sql, progress: RunProgress): Promise<void> {
  // Checked before any write, so a rejected call costs one round trip and writes nothing.
  for (const entry of progress.journal ?? []) assertSameRun(progress.runId, entry.runId, 'journal entry');
  for (const action of progress.actions ?? []) assertSameRun(progress.runId, action.runId, 'action');
  const run = await sql.get<{ status: string; lease_owner: string | null; flow_name: string }>(
    'SELECT status, lease_owner, flow_name FROM runs WHERE id = $1 FOR UPDATE',
    [progress.runId],
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
  for (const entry of progress.journal ?? []) await upsertJournal(sql, entry);
  for (const action of progress.actions ?? []) await upsertAction(sql, action);
  const passed = progress.passedRetriedSteps ?? [];
  if (passed.length > 0) await resolveRetriedExceptions(sql, progress.runId, progress.now, passed);
  if (progress.run !== undefined) {
    await updateRun(sql, progress.runId, progress.run, progress.now);
    if (progress.run.status === 'succeeded')
      await resolveRetriedExceptions(sql, progress.runId, progress.now);
  }
  if (progress.exception !== undefined) {
    await openException(sql, { ...progress.exception, runId: progress.runId, flowName: run.flow_name });
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
async function upsertJournal(sql: Sql, e: JournalEntry): Promise<void> {
  await sql.run(upsertJournalSql, [
    e.runId,
    e.stepId,
    e.status,
    e.attempts,
    toJson(e.input),
    toJson(e.output),
    toNullableJson(e.error),
    e.resumeAt,
    e.editedInput === undefined ? null : toJson(e.editedInput),
    e.startedAt,
    e.finishedAt,
  ]);
}

/** Upserts a write-ledger row; its first attempt time is kept. */
async function upsertAction(sql: Sql, a: ActionRecord): Promise<void> {
  await sql.run(upsertActionSql, [
    a.idempotencyKey,
    a.runId,
    a.stepId,
    a.itemKey,
    a.attempts,
    a.status,
    toJson(a.request),
    a.responseStatus,
    toJson(a.response),
    a.firstAttemptAt,
    a.lastAttemptAt,
  ]);
}

/** Applies the change; optional fields are written only when present. */
async function updateRun(sql: Sql, id: string, change: RunStateChange, now: number): Promise<void> {
  const values: SqlValue[] = [id, change.status, now];
  const sets = ['status = $2', 'updated_at = $3'];
  const set = (column: string, value: SqlValue, cast = ''): void => {
    values.push(value);
    sets.push(`${column} = $${values.length}${cast}`);
  };
  if (change.runAt !== undefined) set('run_at', change.runAt);
  if (change.output !== undefined) set('output', toJson(change.output), '::jsonb');
  if (change.error !== undefined) set('error', toNullableJson(change.error), '::jsonb');
  if (change.finishedAt !== undefined) set('finished_at', change.finishedAt);
  if (change.releaseLease === true) sets.push('lease_owner = NULL', 'lease_expires_at = NULL');
  await sql.run(`UPDATE runs SET ${sets.join(', ')} WHERE id = $1`, values);
}
