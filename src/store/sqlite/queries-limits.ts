import type { ClaimRuns } from '../port.js';
import type { Sql } from './connection.js';
import type { RunRow } from './rows.js';

/**
 * Per-flow concurrency in the embedded store's claims, with the same semantics as the PostgreSQL
 * store (postgres/queries-limits.ts), where the reasoning is written down. Rate-limit buckets are
 * in memory here (../token-buckets.ts); the `rate_limits` table of migration 002 stays unused. No locks are needed here: a claim is one BEGIN IMMEDIATE transaction, so claims are
 * serialised by SQLite itself.
 */

// Flows with a limited run that could be claimed now: index probes per flow, never a scan over a
// limited flow's backlog.
const limitedFlowsSql = `SELECT f.name FROM flows f
  WHERE EXISTS (SELECT 1 FROM runs r WHERE r.flow_name = f.name AND r.concurrency IS NOT NULL
      AND r.status = 'queued' AND r.run_at <= @now)
    OR EXISTS (SELECT 1 FROM runs r WHERE r.flow_name = f.name AND r.concurrency IS NOT NULL
      AND r.status = 'waiting' AND r.run_at <= @now)
    OR EXISTS (SELECT 1 FROM runs r WHERE r.flow_name = f.name AND r.concurrency IS NOT NULL
      AND r.status = 'running' AND r.lease_expires_at < @now)
  ORDER BY f.name`;

// Every running limited run of the flow holds a slot (@occupied), expired lease or not; taking
// over an expired one (fresh = 0) adds none. New runs are taken in order while the count stays within
// each run's own limit.
const claimLimitedSql = `UPDATE runs SET status = 'running', lease_owner = @owner, lease_expires_at = @expiresAt,
    updated_at = @now
  WHERE id IN (
    SELECT id FROM (
      SELECT id, concurrency, fresh, sum(fresh) OVER (ORDER BY run_at, id) AS taken FROM (
        SELECT * FROM (
          SELECT * FROM (SELECT id, run_at, concurrency, 1 AS fresh FROM runs
            WHERE flow_name = @flow AND concurrency IS NOT NULL AND status = 'queued' AND run_at <= @now
            ORDER BY run_at, id LIMIT @limit)
          UNION ALL
          SELECT * FROM (SELECT id, run_at, concurrency, 1 AS fresh FROM runs
            WHERE flow_name = @flow AND concurrency IS NOT NULL AND status = 'waiting' AND run_at <= @now
            ORDER BY run_at, id LIMIT @limit)
          UNION ALL
          SELECT * FROM (SELECT id, run_at, concurrency, 0 AS fresh FROM runs
            WHERE flow_name = @flow AND concurrency IS NOT NULL AND status = 'running'
              AND lease_expires_at < @now
            ORDER BY run_at, id LIMIT @limit)
        ) ORDER BY run_at, id LIMIT @limit))
    WHERE fresh = 0 OR @occupied + taken <= concurrency)
  RETURNING *`;

const occupiedSql = `SELECT count(*) AS n FROM runs
  WHERE flow_name = @flow AND concurrency IS NOT NULL AND status = 'running'`;

/** Claims runs of flows with a concurrency limit, up to `limit`. Run inside the claim's transaction. */
export function claimLimitedRuns(sql: Sql, input: ClaimRuns, limit: number): RunRow[] {
  if (limit <= 0) return [];
  const claimed: RunRow[] = [];
  for (const { name } of sql.all<{ name: string }>(limitedFlowsSql, { now: input.now })) {
    const left = limit - claimed.length;
    if (left <= 0) break;
    const occupied = sql.get<{ n: number }>(occupiedSql, { flow: name })?.n ?? 0;
    claimed.push(
      ...sql.all<RunRow>(claimLimitedSql, {
        flow: name,
        occupied,
        now: input.now,
        limit: left,
        owner: input.owner,
        expiresAt: input.now + input.leaseMs,
      }),
    );
  }
  return claimed;
}
