import { WeftError } from '../../contract/errors.js';
import type { NewRunProgress, RunProgress, RunStateChange } from '../port.js';
import type { ActionRecord, JournalEntry } from '../records.js';
import { openException, resolveRetriedExceptions } from './queries-exceptions.js';
import { toJson, toNullableJson } from './rows.js';
import type { Sql, SqlValue } from './sql.js';

/**
 * The journal entries of one run, upserted in one statement from parallel arrays (one per column,
 * parameters `$first`…`$first+9`), for the run of a CTE named `run` (its `id`): no row in `run`,
 * nothing written. Rows are inserted in array order, so `seq` keeps the order of first writes.
 * Use as a CTE: `journal AS (${journalUpsert(n)})`.
 */
export function journalUpsert(first: number): string {
  const p = (i: number): string => `$${first + i}`;
  return `INSERT INTO journal (run_id, step_id, status, attempts, input, output, error, resume_at,
      edited_input, started_at, finished_at)
    SELECT run.id, j.step_id, j.status, j.attempts, j.input, j.output, j.error, j.resume_at, j.edited_input,
      j.started_at, j.finished_at
    FROM run CROSS JOIN unnest(${p(0)}::text[], ${p(1)}::text[], ${p(2)}::int[], ${p(3)}::jsonb[],
      ${p(4)}::jsonb[], ${p(5)}::jsonb[], ${p(6)}::bigint[], ${p(7)}::jsonb[], ${p(8)}::bigint[],
      ${p(9)}::bigint[])
      WITH ORDINALITY AS j(step_id, status, attempts, input, output, error, resume_at, edited_input,
        started_at, finished_at, ord)
    ORDER BY j.ord
    ON CONFLICT (run_id, step_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts,
      input = excluded.input, output = excluded.output, error = excluded.error, resume_at = excluded.resume_at,
      edited_input = COALESCE(excluded.edited_input, journal.edited_input),
      started_at = excluded.started_at, finished_at = excluded.finished_at`;
}

/**
 * The parameters of `journalUpsert`: ten arrays. `editedInput` SQL NULL means no edit, so an
 * edit-and-retry's input survives the engine rewriting the entry. Entries of one step repeated in
 * the list collapse to the last (one statement cannot update a row twice), at the place of the first,
 * as one upsert after another would leave them.
 */
export function journalValues(runId: string, entries: readonly JournalEntry[]): SqlValue[] {
  const unique = lastPerKey(entries, (e) => e.stepId);
  for (const e of unique) assertSameRun(runId, e.runId, 'journal entry');
  const num = (n: number | null): string | null => (n === null ? null : String(n));
  return [
    unique.map((e) => e.stepId),
    unique.map((e) => e.status),
    unique.map((e) => String(e.attempts)),
    unique.map((e) => toJson(e.input)),
    unique.map((e) => toJson(e.output)),
    unique.map((e) => toNullableJson(e.error)),
    unique.map((e) => num(e.resumeAt)),
    unique.map((e) => (e.editedInput === undefined ? null : toJson(e.editedInput))),
    unique.map((e) => String(e.startedAt)),
    unique.map((e) => num(e.finishedAt)),
  ];
}

// Write-ledger rows of one run in one statement; the first attempt time of a row is kept.
const upsertActionsSql = `INSERT INTO actions (idempotency_key, run_id, step_id, item_key, attempts, status, request,
    response_status, response, first_attempt_at, last_attempt_at)
  SELECT a.idempotency_key, $1, a.step_id, a.item_key, a.attempts, a.status, a.request, a.response_status,
    a.response, a.first_attempt_at, a.last_attempt_at
  FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::jsonb[], $8::int[], $9::jsonb[],
    $10::bigint[], $11::bigint[])
    WITH ORDINALITY AS a(idempotency_key, step_id, item_key, attempts, status, request, response_status,
      response, first_attempt_at, last_attempt_at, ord)
  ORDER BY a.ord
  ON CONFLICT (idempotency_key) DO UPDATE SET attempts = excluded.attempts, status = excluded.status,
    request = excluded.request, response_status = excluded.response_status, response = excluded.response,
    last_attempt_at = excluded.last_attempt_at`;

// The lease fence and the run's new state in one statement: the UPDATE matches only a run still
// leased to the writer (under READ COMMITTED a concurrent takeover is re-checked on the row's newest
// version), and the journal is written only when it did. `retrying`: whether any exception waits
// to be resolved, so the UPDATE of exceptions runs only then.
const retryingColumn = `EXISTS (SELECT 1 FROM exceptions e WHERE e.run_id = runs.id AND e.status = 'retrying')
    AS retrying`;
const saveWithRunSql = `WITH run AS (
    UPDATE runs SET status = $3, run_at = COALESCE($4::bigint, run_at),
      output = CASE WHEN $5::boolean THEN $6::jsonb ELSE output END,
      error = CASE WHEN $7::boolean THEN $8::jsonb ELSE error END,
      finished_at = CASE WHEN $9::boolean THEN $10::bigint ELSE finished_at END,
      lease_owner = CASE WHEN $11::boolean THEN NULL ELSE lease_owner END,
      lease_expires_at = CASE WHEN $11::boolean THEN NULL ELSE lease_expires_at END,
      updated_at = $12
    WHERE id = $1 AND lease_owner = $2 AND status = 'running'
    RETURNING id, flow_name, ${retryingColumn}),
  journal AS (${journalUpsert(13)})
  SELECT flow_name, retrying FROM run`;
// The same without a state change: the fence locks the row (FOR UPDATE), so no claim can take
// the run over before the COMMIT (a concurrent claimer skips it).
const saveSql = `WITH run AS (
    SELECT id, flow_name, ${retryingColumn} FROM runs
    WHERE id = $1 AND lease_owner = $2 AND status = 'running' FOR UPDATE OF runs),
  journal AS (${journalUpsert(3)})
  SELECT flow_name, retrying FROM run`;

/**
 * Writes a run's progress, fenced by its lease: only the current lease owner of a running run may
 * write, so a worker that lost its lease (expired and reclaimed) cannot overwrite the new owner.
 * The fence, the run's new state and the journal are one statement; the write ledger, retried
 * exceptions and a new exception take one more each, only when there are any.
 */
export async function saveProgress(sql: Sql, progress: RunProgress): Promise<void> {
  const { runId } = progress;
  // Checked before any write, so a rejected call writes nothing.
  const journal = journalValues(runId, progress.journal ?? []);
  for (const action of progress.actions ?? []) assertSameRun(runId, action.runId, 'action');
  const change = progress.run;
  const fenced =
    change === undefined
      ? await sql.get<FencedRun>(saveSql, [runId, progress.owner, ...journal], 'weft_save_progress')
      : await sql.get<FencedRun>(
          saveWithRunSql,
          [runId, progress.owner, ...runChangeValues(change, progress.now), ...journal],
          'weft_save_progress_run',
        );
  if (fenced === undefined) {
    const run = await sql.get<{ status: string }>('SELECT status FROM runs WHERE id = $1', [runId]);
    if (run === undefined) throw new WeftError({ code: 'not_found', message: `run ${runId} not found` });
    throw new WeftError({
      code: 'lease_lost',
      message: `run ${runId} is no longer leased to ${progress.owner}`,
      details: { runId, status: run.status },
    });
  }
  await upsertActions(sql, runId, progress.actions ?? []);
  if (fenced.retrying) {
    const passed = progress.passedRetriedSteps ?? [];
    if (change?.status === 'succeeded') await resolveRetriedExceptions(sql, runId, progress.now);
    else if (passed.length > 0) await resolveRetriedExceptions(sql, runId, progress.now, passed);
  }
  if (progress.exception !== undefined) {
    await openException(sql, { ...progress.exception, runId, flowName: fenced.flow_name });
  }
}

interface FencedRun {
  flow_name: string;
  retrying: boolean;
}

/**
 * The progress of a run inserted by the same statement (`acceptEvent` with `progress`) besides
 * its journal, which that statement writes: the write ledger and an exception. No lease fence (the
 * run was just created leased to its caller), no run update (the row was inserted in its new
 * state), no retried exceptions to resolve (a new run has none).
 */
export async function writeNewRunProgress(
  sql: Sql,
  input: { runId: string; flowName: string; progress: NewRunProgress },
): Promise<void> {
  const { runId, progress } = input;
  await upsertActions(sql, runId, progress.actions ?? []);
  if (progress.exception !== undefined) {
    await openException(sql, { ...progress.exception, runId, flowName: input.flowName });
  }
}

/** Parameters $3…$12 of `saveWithRunSql`: optional fields are written only when present. */
function runChangeValues(change: RunStateChange, now: number): SqlValue[] {
  return [
    change.status,
    change.runAt ?? null,
    change.output !== undefined,
    change.output === undefined ? null : toJson(change.output),
    change.error !== undefined,
    toNullableJson(change.error),
    change.finishedAt !== undefined,
    change.finishedAt ?? null,
    change.releaseLease === true,
    now,
  ];
}

async function upsertActions(sql: Sql, runId: string, actions: readonly ActionRecord[]): Promise<void> {
  if (actions.length === 0) return;
  const unique = lastPerKey(actions, (a) => a.idempotencyKey);
  for (const a of unique) assertSameRun(runId, a.runId, 'action');
  await sql.run(
    upsertActionsSql,
    [
      runId,
      unique.map((a) => a.idempotencyKey),
      unique.map((a) => a.stepId),
      unique.map((a) => a.itemKey),
      unique.map((a) => String(a.attempts)),
      unique.map((a) => a.status),
      unique.map((a) => toJson(a.request)),
      unique.map((a) => (a.responseStatus === null ? null : String(a.responseStatus))),
      unique.map((a) => toJson(a.response)),
      unique.map((a) => String(a.firstAttemptAt)),
      unique.map((a) => String(a.lastAttemptAt)),
    ],
    'weft_upsert_actions',
  );
}

/** The last item per key, at the position of the key's first item. */
function lastPerKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(key(item), item);
  // A Map keeps the insertion order of a key across later `set`s of it.
  return byKey.size === items.length ? [...items] : [...byKey.values()];
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
