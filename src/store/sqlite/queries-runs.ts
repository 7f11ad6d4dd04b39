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
import type { Sql } from './connection.js';
import { advanceSchedule } from './queries-admin.js';
import { appendAudit } from './queries-audit.js';
import { claimLimitedRuns } from './queries-limits.js';
import { writeNewRunProgress } from './queries-progress.js';
import {
  type ActionRow,
  type EventRow,
  type JournalRow,
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

/** Events and runs: intake, claims, leases and reads. Progress writes live in queries-progress.ts. */

const insertEventSql = `INSERT INTO events (id, flow_name, source, dedupe_key, payload, received_at)
  VALUES (@id, @flowName, @source, @dedupeKey, @payload, @receivedAt)
  ON CONFLICT (flow_name, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`;

const insertRunSql = `INSERT INTO runs (id, event_id, flow_name, flow_version_id, status, run_at, lease_owner,
    lease_expires_at, output, error, created_at, updated_at, finished_at, concurrency)
  VALUES (@id, @eventId, @flowName, @flowVersionId, @status, @runAt, @leaseOwner, @leaseExpiresAt, @output,
    @error, @now, @updatedAt, @finishedAt, @concurrency)`;

/**
 * Commits an Event with its Run (and schedule cursor, audit and the run's first progress). A
 * dedupe hit writes nothing and reports the original; only the unique index decides, so
 * concurrent duplicates cannot both win.
 */
export function acceptEvent(sql: Sql, input: AcceptEvent): AcceptEventResult {
  const { event, run, claim } = input;
  assertClaimable(input);
  if (input.progress !== undefined && claim === undefined) {
    throw new WeftError({ code: 'invalid_input', message: `run ${run.id}: progress needs a claim` });
  }
  const inserted = sql.run(insertEventSql, {
    id: event.id,
    flowName: event.flowName,
    source: event.source,
    dedupeKey: event.dedupeKey,
    payload: toJson(event.payload),
    receivedAt: event.receivedAt,
  });
  if (inserted.changes === 0) {
    const original = sql.get<{ id: string; run_id: string | null }>(
      `SELECT e.id, (SELECT r.id FROM runs r WHERE r.event_id = e.id ORDER BY r.id LIMIT 1) AS run_id
       FROM events e WHERE e.flow_name = @flowName AND e.dedupe_key = @dedupeKey`,
      { flowName: event.flowName, dedupeKey: event.dedupeKey },
    );
    if (original === undefined) {
      throw new WeftError({
        code: 'internal',
        message: `dedupe hit without an original event (${event.flowName})`,
      });
    }
    return { accepted: false, eventId: original.id, runId: original.run_id };
  }
  // The event's arrival is "now" for the run: acceptEvent takes no separate clock reading.
  const now = event.receivedAt;
  // A run that already reached a new state is inserted in it, as saveProgress's UPDATE would
  // leave it: updating the row right after inserting it would rewrite it and three indexes.
  const progress = input.progress;
  const change = progress?.run;
  const leased = claim !== undefined && change?.releaseLease !== true;
  sql.run(insertRunSql, {
    id: run.id,
    eventId: event.id,
    flowName: event.flowName,
    flowVersionId: run.flowVersionId,
    status: change?.status ?? (claim === undefined ? 'queued' : 'running'),
    runAt: change?.runAt ?? run.runAt,
    leaseOwner: leased ? claim.owner : null,
    leaseExpiresAt: leased ? now + claim.leaseMs : null,
    output: change?.output === undefined ? null : toJson(change.output),
    error: toNullableJson(change?.error),
    finishedAt: change?.finishedAt ?? null,
    now,
    updatedAt: change === undefined || progress === undefined ? now : progress.now,
    concurrency: run.concurrency ?? null,
  });
  if (progress !== undefined) writeNewRunProgress(sql, { runId: run.id, flowName: event.flowName, progress });
  if (input.scheduleTick !== undefined) {
    advanceSchedule(sql, { ...input.scheduleTick, flowVersionId: run.flowVersionId });
  }
  if (input.audit !== undefined) appendAudit(sql, input.audit);
  return { accepted: true, eventId: event.id, runId: run.id, ...(progress ? { progressSaved: true } : {}) };
}

// Each branch reads its own index range in (run_at, id) order and stops at @limit; the outer
// query merges them. One OR over all three would defeat the indexes. Runs of limited flows are
// claimed apart (queries-limits.ts): `concurrency IS NULL` selects the partial index without them.
const claimSql = `UPDATE runs SET status = 'running', lease_owner = @owner, lease_expires_at = @expiresAt,
    updated_at = @now
  WHERE id IN (
    SELECT id FROM (
      SELECT * FROM (SELECT id, run_at FROM runs WHERE status = 'queued' AND run_at <= @now
        AND concurrency IS NULL ORDER BY run_at, id LIMIT @limit)
      UNION ALL
      SELECT * FROM (SELECT id, run_at FROM runs WHERE status = 'waiting' AND run_at <= @now
        AND concurrency IS NULL ORDER BY run_at, id LIMIT @limit)
      UNION ALL
      SELECT * FROM (SELECT id, run_at FROM runs WHERE status = 'running' AND lease_expires_at < @now
        AND concurrency IS NULL ORDER BY run_at, id LIMIT @limit)
    ) ORDER BY run_at, id LIMIT @limit)
  RETURNING *`;

/**
 * Leases due runs and runs whose lease expired, oldest `run_at` first. Run inside a write
 * transaction. Limited flows go first: their share is bounded by their limits.
 */
export function claimRuns(sql: Sql, input: ClaimRuns): ClaimedRun[] {
  const limit = sqlLimit(input.limit);
  if (limit === 0) return [];
  const rows = claimLimitedRuns(sql, input, limit < 0 ? Number.MAX_SAFE_INTEGER : limit);
  if (limit < 0 || rows.length < limit) {
    rows.push(
      ...sql.all<RunRow>(claimSql, {
        owner: input.owner,
        expiresAt: input.now + input.leaseMs,
        now: input.now,
        limit: limit < 0 ? -1 : limit - rows.length,
      }),
    );
  }
  // RETURNING has no defined order.
  rows.sort((a, b) => a.run_at - b.run_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return withEventAndJournal(sql, rows.map(toRun));
}

export function loadRun(sql: Sql, runId: string): ClaimedRun | null {
  const run = getRun(sql, runId);
  return run === null ? null : (withEventAndJournal(sql, [run])[0] ?? null);
}

function withEventAndJournal(sql: Sql, runs: RunRecord[]): ClaimedRun[] {
  if (runs.length === 0) return [];
  const events = new Map<string, EventRecord>();
  const eventIds = JSON.stringify(runs.map((r) => r.eventId));
  for (const row of sql.all<EventRow>(
    'SELECT * FROM events WHERE id IN (SELECT value FROM json_each(@eventIds))',
    {
      eventIds,
    },
  )) {
    events.set(row.id, toEvent(row));
  }
  const journals = new Map<string, JournalEntry[]>();
  const runIds = JSON.stringify(runs.map((r) => r.id));
  for (const row of sql.all<JournalRow>(
    'SELECT * FROM journal WHERE run_id IN (SELECT value FROM json_each(@runIds)) ORDER BY run_id, started_at, rowid',
    { runIds },
  )) {
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
export function heartbeat(
  sql: Sql,
  input: { owner: string; runIds: string[]; leaseMs: number; now: number },
): string[] {
  if (input.runIds.length === 0) return [];
  return sql
    .all<{ id: string }>(
      `UPDATE runs SET lease_expires_at = @expiresAt
       WHERE id IN (SELECT value FROM json_each(@runIds)) AND lease_owner = @owner AND status = 'running'
       RETURNING id`,
      { expiresAt: input.now + input.leaseMs, runIds: JSON.stringify(input.runIds), owner: input.owner },
    )
    .map((r) => r.id);
}

/** Expires every lease so the next claim takes the runs over (a restarted embedded process). */
export function expireAllLeases(sql: Sql): number {
  return sql.run("UPDATE runs SET lease_expires_at = 0 WHERE status = 'running'").changes;
}

export function getRun(sql: Sql, id: string): RunRecord | null {
  const row = sql.get<RunRow>('SELECT * FROM runs WHERE id = @id', { id });
  return row === undefined ? null : toRun(row);
}

/** Runs, newest first. */
export function listRuns(sql: Sql, filter: RunFilter): RunRecord[] {
  const { clause, params } = where({
    flow_name: filter.flowName,
    status: filter.status,
    before: filter.before,
  });
  return sql
    .all<RunRow>(`SELECT * FROM runs ${clause} ORDER BY id DESC LIMIT @limit`, {
      ...params,
      limit: sqlLimit(filter.limit),
    })
    .map(toRun);
}

export function countRuns(sql: Sql, filter: { flowName?: string; status?: RunStatus }): number {
  const { clause, params } = where({ flow_name: filter.flowName, status: filter.status });
  return sql.get<{ n: number }>(`SELECT count(*) AS n FROM runs ${clause}`, params)?.n ?? 0;
}

/** A run's journal by `startedAt`; ties in the order the steps were first written. */
export function getJournal(sql: Sql, runId: string): JournalEntry[] {
  return sql
    .all<JournalRow>('SELECT * FROM journal WHERE run_id = @runId ORDER BY started_at, rowid', { runId })
    .map(toJournalEntry);
}

export function listActions(sql: Sql, runId: string): ActionRecord[] {
  return sql
    .all<ActionRow>('SELECT * FROM actions WHERE run_id = @runId ORDER BY first_attempt_at, rowid', { runId })
    .map(toAction);
}

export function getEvent(sql: Sql, id: string): EventRecord | null {
  const row = sql.get<EventRow>('SELECT * FROM events WHERE id = @id', { id });
  return row === undefined ? null : toEvent(row);
}

/** Events, newest first. */
export function listEvents(sql: Sql, filter: EventFilter): EventRecord[] {
  const { clause, params } = where({ flow_name: filter.flowName, before: filter.before });
  return sql
    .all<EventRow>(`SELECT * FROM events ${clause} ORDER BY id DESC LIMIT @limit`, {
      ...params,
      limit: sqlLimit(filter.limit),
    })
    .map(toEvent);
}
