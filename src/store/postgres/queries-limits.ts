import { checkRateLimit, tokenEpsilon, waitForToken } from '../limits.js';
import type { ClaimRuns, TakeRateLimit } from '../port.js';
import type { RunRow } from './rows.js';
import type { Sql } from './sql.js';

/** Limits that hold across processes: per-flow concurrency in claims, and shared rate limits. */

/**
 * Namespace of the advisory locks that serialise claims of one limited flow ("wcon" in ASCII);
 * publishing uses another (queries-flows.ts), so a deploy never waits for a claim.
 */
export const concurrencyLockNamespace = 0x77636f6e;

// Flows with a limited run that could be claimed now. One index probe per flow and status on
// runs_claim_limited (flow_name, status, run_at, id): flows are few, while a limited flow's backlog
// may be long, and a scan over the backlog itself would cost every claim that much.
const limitedFlowsSql = `SELECT f.name FROM flows f
  WHERE EXISTS (SELECT 1 FROM runs r WHERE r.flow_name = f.name AND r.concurrency IS NOT NULL
      AND r.status = 'queued' AND r.run_at <= $1)
    OR EXISTS (SELECT 1 FROM runs r WHERE r.flow_name = f.name AND r.concurrency IS NOT NULL
      AND r.status = 'waiting' AND r.run_at <= $1)
    OR EXISTS (SELECT 1 FROM runs r WHERE r.flow_name = f.name AND r.concurrency IS NOT NULL
      AND r.status = 'running' AND r.lease_expires_at < $1)
  ORDER BY f.name`;

// One flow's claim, under its advisory lock. `occupied` counts the flow's limited runs in status
// 'running' whatever their lease: a run whose lease expired still holds its slot until someone takes
// it over, which this very claim may do (`fresh = 0`: taking it over adds no running run). So the
// count never depends on clocks, and a stalled worker whose lease comes back to life (heartbeat)
// cannot push the flow over its limit. New runs (`fresh = 1`) are taken in (run_at, id) order while
// the running count, with those taken before them, stays within each run's own limit.
const claimLimitedSql = `WITH
  occupied AS (SELECT count(*) AS n FROM runs
    WHERE flow_name = $1 AND concurrency IS NOT NULL AND status = 'running'),
  queued AS MATERIALIZED (
    SELECT id, run_at, concurrency, 1 AS fresh FROM runs
    WHERE flow_name = $1 AND concurrency IS NOT NULL AND status = 'queued' AND run_at <= $2
    ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED),
  waiting AS MATERIALIZED (
    SELECT id, run_at, concurrency, 1 AS fresh FROM runs
    WHERE flow_name = $1 AND concurrency IS NOT NULL AND status = 'waiting' AND run_at <= $2
    ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED),
  expired AS MATERIALIZED (
    SELECT id, run_at, concurrency, 0 AS fresh FROM runs
    WHERE flow_name = $1 AND concurrency IS NOT NULL AND status = 'running' AND lease_expires_at < $2
    ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED),
  due AS (
    SELECT * FROM (SELECT * FROM queued UNION ALL SELECT * FROM waiting UNION ALL SELECT * FROM expired) d
    ORDER BY run_at, id LIMIT $3),
  ranked AS (SELECT id, concurrency, fresh, sum(fresh) OVER (ORDER BY run_at, id) AS taken FROM due),
  picked AS (SELECT ranked.id FROM ranked, occupied
    WHERE ranked.fresh = 0 OR occupied.n + ranked.taken <= ranked.concurrency)
  UPDATE runs r SET status = 'running', lease_owner = $4, lease_expires_at = $5, updated_at = $2
  FROM picked WHERE r.id = picked.id
  RETURNING r.*`;

/**
 * Claims runs of flows with a concurrency limit, up to `limit`. Each limited flow with due runs is
 * locked with a transaction advisory lock, so claimers in every process take turns per flow and
 * each one counts what the previous committed (READ COMMITTED: a statement after the lock sees
 * it). Locks are taken in name order, so two claimers cannot deadlock. Run inside the claim's
 * transaction: the locks are held until its COMMIT.
 */
export async function claimLimitedRuns(sql: Sql, input: ClaimRuns, limit: number): Promise<RunRow[]> {
  const flows = (await sql.all<{ name: string }>(limitedFlowsSql, [input.now])).map((r) => r.name);
  if (flows.length === 0 || limit <= 0) return [];
  // unnest keeps the array's (sorted) order, so the locks are taken in it.
  await sql.run('SELECT pg_advisory_xact_lock($1::int, hashtext(name)) FROM unnest($2::text[]) AS name', [
    concurrencyLockNamespace,
    flows,
  ]);
  const claimed: RunRow[] = [];
  for (const flow of flows) {
    const left = limit - claimed.length;
    if (left <= 0) break;
    claimed.push(
      ...(await sql.all<RunRow>(claimLimitedSql, [
        flow,
        input.now,
        left,
        input.owner,
        input.now + input.leaseMs,
      ])),
    );
  }
  return claimed;
}

// The bucket in one statement: the row lock of the upsert serialises takers of a key across
// processes. Every SET expression reads the row as it was, so `refill` is computed from the old
// values throughout. `granted` records whether this take got a token, for RETURNING.
const refill = `least($3::float8, b.tokens + greatest(0, $4::bigint - b.updated_at) * $2::float8 / 1000.0)`;
const takeSql = `INSERT INTO rate_limits AS b (key, tokens, updated_at, granted)
  VALUES ($1, $3::float8 - 1, $4, true)
  ON CONFLICT (key) DO UPDATE SET
    tokens = CASE WHEN ${refill} >= 1 - $5::float8 THEN greatest(0, ${refill} - 1) ELSE ${refill} END,
    granted = ${refill} >= 1 - $5::float8,
    updated_at = greatest(b.updated_at, $4::bigint)
  RETURNING tokens, granted`;

/** Takes a token from bucket `key` if one is there (see rate-limit.ts for the model). */
export async function takeRateLimit(sql: Sql, input: TakeRateLimit): Promise<{ waitMs: number }> {
  checkRateLimit(input);
  const row = await sql.get<{ tokens: number; granted: boolean }>(takeSql, [
    input.key,
    input.perSecond,
    input.burst,
    input.now,
    tokenEpsilon,
  ]);
  if (row === undefined || row.granted) return { waitMs: 0 };
  return { waitMs: waitForToken(row.tokens, input.perSecond) };
}
