import { WeftError } from '../../contract/errors.js';
import { assertClaimable } from '../limits.js';
import type {
  AcceptEvent,
  AcceptEventResult,
  ClaimedRun,
  ClaimRuns,
  EventFilter,
  RunFilter,
} from '../port.js';
import type { ActionRecord, EventRecord, JournalEntry, RunRecord, RunStatus } from '../records.js';
import { notifyChannel } from './notifier.js';
import { advanceSchedule } from './queries-admin.js';
import { appendAudit } from './queries-audit.js';
import { claimLimitedRuns } from './queries-limits.js';
import { journalUpsert, journalValues, writeNewRunProgress } from './queries-progress.js';
import {
  type ActionRow,
  type EventRow,
  type JournalRow,
  journalColumns,
  type RunRow,
  sqlLimit,
  toAction,
  toEvent,
  toJournalEntry,
  toJson,
  toNullableJson,
  toRun,
  where,
} from './rows.js';
import type { Sql } from './sql.js';

/** Events and runs: intake, claims, leases and reads. Progress writes live in queries-progress.ts. */

// The event and its run in one round trip: the run is inserted only if the event was (a dedupe
// hit returns no row). Casts: parameters in a SELECT list have no column to take a type from.
// A run left for any worker (no inline claim) also wakes the workers of every process: the
// NOTIFY is part of the same transaction, so it is sent at COMMIT or not at all (a rolled-back
// savepoint of a group commit drops it too), and PostgreSQL sends one per transaction however many
// runs a batch holds. It costs no round trip of its own. With `journal`, the run's first journal
// entries (`progress`) are written by the same statement, only if the run was inserted.
const insertEventAndRun = (notify: boolean, journal: boolean): string => `WITH event AS (
    INSERT INTO events (id, flow_name, source, dedupe_key, payload, received_at)
    VALUES ($1, $2, $3, $4, $5::jsonb, $6)
    ON CONFLICT (flow_name, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
    RETURNING id),
  run AS (
    INSERT INTO runs (id, event_id, flow_name, flow_version_id, status, run_at, lease_owner, lease_expires_at,
      output, error, created_at, updated_at, finished_at, concurrency)
    SELECT $7::text, event.id, $2::text, $8::text, $9::text, $10::bigint, $11::text, $12::bigint,
      $14::jsonb, $15::jsonb, $6::bigint, $16::bigint, $17::bigint, $13::int
    FROM event
    RETURNING id)${
      journal
        ? `,
  journal AS (${journalUpsert(18)})`
        : ''
    }
  SELECT id${notify ? `, pg_notify('${notifyChannel}', 'runs') AS notified` : ''} FROM run`;
/** The four variants by [notify][journal], each a prepared statement of its own. */
const insertEventAndRunSql = [false, true].map((notify) =>
  [false, true].map((journal) => ({
    text: insertEventAndRun(notify, journal),
    name: `weft_accept${notify ? '_notify' : ''}${journal ? '_journal' : ''}`,
  })),
);

/**
 * Commits an Event with its Run (and schedule cursor, audit and the run's first progress). A
 * dedupe hit writes nothing and reports the original; only the unique index decides, so
 * concurrent duplicates cannot both win (the loser's insert waits for the winner's commit, then
 * does nothing).
 */
export async function acceptEvent(sql: Sql, input: AcceptEvent): Promise<AcceptEventResult> {
  const { event, run, claim, progress } = input;
  assertClaimable(input);
  if (progress !== undefined && claim === undefined) {
    throw new WeftError({ code: 'invalid_input', message: `run ${run.id}: progress needs a claim` });
  }
  // Checked before any write.
  const journal = progress?.journal?.length ? journalValues(run.id, progress.journal) : undefined;
  // The event's arrival is "now" for the run: acceptEvent takes no separate clock reading.
  const now = event.receivedAt;
  // A run that already reached a new state is inserted in it, as saveProgress's UPDATE would
  // leave it: updating the row right after inserting it would rewrite it and its indexes.
  const change = progress?.run;
  const leased = claim !== undefined && change?.releaseLease !== true;
  const statement = insertEventAndRunSql[claim === undefined ? 1 : 0]![journal === undefined ? 0 : 1]!;
  const inserted = await sql.get<{ id: string }>(
    statement.text,
    [
      event.id,
      event.flowName,
      event.source,
      event.dedupeKey,
      toJson(event.payload),
      now,
      run.id,
      run.flowVersionId,
      change?.status ?? (claim === undefined ? 'queued' : 'running'),
      change?.runAt ?? run.runAt,
      leased ? claim.owner : null,
      leased ? now + claim.leaseMs : null,
      run.concurrency ?? null,
      change?.output === undefined ? null : toJson(change.output),
      toNullableJson(change?.error),
      change === undefined || progress === undefined ? now : progress.now,
      change?.finishedAt ?? null,
      ...(journal ?? []),
    ],
    statement.name,
  );
  if (inserted === undefined) {
    // A new statement, so a new snapshot: it sees the original even if it committed just now.
    const original = await sql.get<{ id: string; run_id: string | null }>(
      `SELECT e.id, (SELECT r.id FROM runs r WHERE r.event_id = e.id ORDER BY r.id LIMIT 1) AS run_id
       FROM events e WHERE e.flow_name = $1 AND e.dedupe_key = $2`,
      [event.flowName, event.dedupeKey],
    );
    if (original === undefined) {
      throw new WeftError({
        code: 'internal',
        message: `dedupe hit without an original event (${event.flowName})`,
      });
    }
    return { accepted: false, eventId: original.id, runId: original.run_id };
  }
  if (progress !== undefined)
    await writeNewRunProgress(sql, { runId: run.id, flowName: event.flowName, progress });
  if (input.scheduleTick !== undefined) {
    await advanceSchedule(sql, { ...input.scheduleTick, flowVersionId: run.flowVersionId });
  }
  if (input.audit !== undefined) await appendAudit(sql, input.audit);
  return { accepted: true, eventId: event.id, runId: run.id, ...(progress ? { progressSaved: true } : {}) };
}

// Each branch walks its own index range in (run_at, id) order, locking as it goes and skipping
// rows another claimer holds, until it has $2; the outer query merges them. One OR over all three
// would defeat the index. The branches are CTEs because FOR UPDATE is not allowed under UNION, and
// MATERIALIZED so each runs (and locks) exactly once. A branch may lock rows the final LIMIT drops;
// they are unlocked at COMMIT, a moment later, and only make other claimers skip them meanwhile.
// Runs of flows with a concurrency limit are claimed apart (queries-limits.ts); this query walks
// the partial index of the others only, so a limited flow's backlog is never scanned past.
const claimSql = `WITH
  queued AS MATERIALIZED (
    SELECT id, run_at FROM runs WHERE status = 'queued' AND run_at <= $1 AND concurrency IS NULL
    ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
  waiting AS MATERIALIZED (
    SELECT id, run_at FROM runs WHERE status = 'waiting' AND run_at <= $1 AND concurrency IS NULL
    ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
  expired AS MATERIALIZED (
    SELECT id, run_at FROM runs WHERE status = 'running' AND lease_expires_at < $1 AND concurrency IS NULL
    ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
  picked AS (
    SELECT id FROM (SELECT * FROM queued UNION ALL SELECT * FROM waiting UNION ALL SELECT * FROM expired) due
    ORDER BY run_at, id LIMIT $2)
  UPDATE runs r SET status = 'running', lease_owner = $3, lease_expires_at = $4, updated_at = $1
  FROM picked WHERE r.id = picked.id
  RETURNING r.*`;

/**
 * Leases due runs and runs whose lease expired, oldest `run_at` first. Run inside a transaction.
 * Limited flows go first: their share is bounded by their limits, so they cannot starve the rest,
 * while a busy unlimited queue that filled every claim would starve them.
 */
export async function claimRuns(sql: Sql, input: ClaimRuns): Promise<ClaimedRun[]> {
  const limit = sqlLimit(input.limit) ?? Number.MAX_SAFE_INTEGER;
  if (limit === 0) return [];
  const rows = await claimLimitedRuns(sql, input, limit);
  if (rows.length < limit) {
    rows.push(
      ...(await sql.all<RunRow>(claimSql, [
        input.now,
        limit - rows.length,
        input.owner,
        input.now + input.leaseMs,
      ])),
    );
  }
  // RETURNING has no defined order. Ids are compared as bytes, like the C collation.
  rows.sort((a, b) => a.run_at - b.run_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return withEventAndJournal(sql, rows.map(toRun));
}

export async function loadRun(sql: Sql, runId: string): Promise<ClaimedRun | null> {
  const run = await getRun(sql, runId);
  return run === null ? null : ((await withEventAndJournal(sql, [run]))[0] ?? null);
}

async function withEventAndJournal(sql: Sql, runs: RunRecord[]): Promise<ClaimedRun[]> {
  if (runs.length === 0) return [];
  const events = new Map<string, EventRecord>();
  const eventRows = await sql.all<EventRow>('SELECT * FROM events WHERE id = ANY($1::text[])', [
    runs.map((r) => r.eventId),
  ]);
  for (const row of eventRows) events.set(row.id, toEvent(row));
  const journals = new Map<string, JournalEntry[]>();
  const journalRows = await sql.all<JournalRow>(
    `SELECT ${journalColumns} FROM journal j WHERE j.run_id = ANY($1::text[]) ORDER BY j.run_id, j.started_at, j.seq`,
    [runs.map((r) => r.id)],
  );
  for (const row of journalRows) {
    const list = journals.get(row.run_id) ?? [];
    list.push(toJournalEntry(row));
    journals.set(row.run_id, list);
  }
  return runs.map((run) => {
    const event = events.get(run.eventId);
    // The foreign key makes this impossible; say so loudly rather than return a half record.
    if (event === undefined) throw new WeftError({ code: 'internal', message: `run ${run.id} has no event` });
    return { run, event, journal: journals.get(run.id) ?? [] };
  });
}

/** Extends the leases `owner` still holds; returns their ids. */
export async function heartbeat(
  sql: Sql,
  input: { owner: string; runIds: string[]; leaseMs: number; now: number },
): Promise<string[]> {
  if (input.runIds.length === 0) return [];
  const rows = await sql.all<{ id: string }>(
    `UPDATE runs SET lease_expires_at = $1
     WHERE id = ANY($2::text[]) AND lease_owner = $3 AND status = 'running'
     RETURNING id`,
    [input.now + input.leaseMs, input.runIds, input.owner],
  );
  return rows.map((r) => r.id);
}

/** Expires every lease so the next claim takes the runs over (a restarted embedded process). */
export async function expireAllLeases(sql: Sql): Promise<number> {
  return sql.run("UPDATE runs SET lease_expires_at = 0 WHERE status = 'running'");
}

export async function getRun(sql: Sql, id: string): Promise<RunRecord | null> {
  const row = await sql.get<RunRow>('SELECT * FROM runs WHERE id = $1', [id]);
  return row === undefined ? null : toRun(row);
}

/** Runs, newest first. */
export async function listRuns(sql: Sql, filter: RunFilter): Promise<RunRecord[]> {
  const { clause, values } = where(
    { flow_name: filter.flowName, status: filter.status, before: filter.before },
    1,
  );
  const rows = await sql.all<RunRow>(`SELECT * FROM runs ${clause} ORDER BY id DESC LIMIT $1`, [
    sqlLimit(filter.limit),
    ...values,
  ]);
  return rows.map(toRun);
}

export async function countRuns(
  sql: Sql,
  filter: { flowName?: string; status?: RunStatus },
): Promise<number> {
  const { clause, values } = where({ flow_name: filter.flowName, status: filter.status });
  return (await sql.get<{ n: number }>(`SELECT count(*) AS n FROM runs ${clause}`, values))?.n ?? 0;
}

/** A run's journal by `startedAt`; ties in the order the steps were first written. */
export async function getJournal(sql: Sql, runId: string): Promise<JournalEntry[]> {
  const rows = await sql.all<JournalRow>(
    `SELECT ${journalColumns} FROM journal j WHERE j.run_id = $1 ORDER BY j.started_at, j.seq`,
    [runId],
  );
  return rows.map(toJournalEntry);
}

/** A run's write ledger by first attempt; ties in the order the actions were first written. */
export async function listActions(sql: Sql, runId: string): Promise<ActionRecord[]> {
  const rows = await sql.all<ActionRow>(
    'SELECT * FROM actions WHERE run_id = $1 ORDER BY first_attempt_at, seq',
    [runId],
  );
  return rows.map(toAction);
}

export async function getEvent(sql: Sql, id: string): Promise<EventRecord | null> {
  const row = await sql.get<EventRow>('SELECT * FROM events WHERE id = $1', [id]);
  return row === undefined ? null : toEvent(row);
}

/** Events, newest first. */
export async function listEvents(sql: Sql, filter: EventFilter): Promise<EventRecord[]> {
  const { clause, values } = where({ flow_name: filter.flowName, before: filter.before }, 1);
  const rows = await sql.all<EventRow>(`SELECT * FROM events ${clause} ORDER BY id DESC LIMIT $1`, [
    sqlLimit(filter.limit),
    ...values,
  ]);
  return rows.map(toEvent);
}
