import { WeftError } from '../../contract/errors.js';
import type { AuditInput } from '../port.js';
import type { ScheduleStateRecord, TokenRecord } from '../records.js';
import { notifyChannel } from './notifier.js';
import { appendAudit } from './queries-audit.js';
import { type ScheduleStateRow, type TokenRow, toScheduleState, toToken } from './rows.js';
import type { Sql } from './sql.js';

/** Schedule cursors and API tokens. */

export async function getScheduleState(sql: Sql, flowName: string): Promise<ScheduleStateRecord | null> {
  const row = await sql.get<ScheduleStateRow>('SELECT * FROM schedule_state WHERE flow_name = $1', [
    flowName,
  ]);
  return row === undefined ? null : toScheduleState(row);
}

/**
 * Creates the cursor unless one exists; either way returns what is stored. A concurrent creator's
 * insert makes ours wait for its commit and then do nothing, and the read that follows (a new
 * statement, so a new snapshot) sees the winner.
 */
export async function initScheduleState(sql: Sql, state: ScheduleStateRecord): Promise<ScheduleStateRecord> {
  await sql.run(
    `INSERT INTO schedule_state (flow_name, flow_version_id, last_tick_at) VALUES ($1, $2, $3)
     ON CONFLICT (flow_name) DO NOTHING`,
    [state.flowName, state.flowVersionId, state.lastTickAt],
  );
  const stored = await getScheduleState(sql, state.flowName);
  if (stored === null) throw new Error(`schedule state of ${state.flowName} vanished`);
  return stored;
}

/**
 * Moves a schedule cursor to `tickAt`, creating it if needed. The cursor only moves forward: a
 * late, older tick must not make the scheduler fire ticks again.
 */
export async function advanceSchedule(
  sql: Sql,
  tick: { flowName: string; flowVersionId: string; tickAt: number },
): Promise<void> {
  await sql.run(
    `INSERT INTO schedule_state (flow_name, flow_version_id, last_tick_at) VALUES ($1, $2, $3)
     ON CONFLICT (flow_name) DO UPDATE SET
       flow_version_id = excluded.flow_version_id, last_tick_at = excluded.last_tick_at
     WHERE excluded.last_tick_at > schedule_state.last_tick_at`,
    [tick.flowName, tick.flowVersionId, tick.tickAt],
  );
}

/**
 * The name check gives a clear message; two concurrent creators of one name both pass it, and the
 * `tokens_live_name` unique index then fails the second insert with `conflict` as well.
 */
export async function createToken(sql: Sql, input: { token: TokenRecord; audit: AuditInput }): Promise<void> {
  const t = input.token;
  if (t.revokedAt === null) {
    const live = await sql.get<{ id: string }>(
      'SELECT id FROM tokens WHERE name = $1 AND revoked_at IS NULL',
      [t.name],
    );
    if (live !== undefined) {
      throw new WeftError({
        code: 'conflict',
        message: `a token named '${t.name}' already exists; revoke it first or pick another name`,
        details: { name: t.name, tokenId: live.id },
      });
    }
  }
  await sql.run(
    `INSERT INTO tokens (id, name, role, token_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [t.id, t.name, t.role, t.tokenHash, t.createdAt, t.revokedAt],
  );
  await appendAudit(sql, input.audit);
}

/** Revoked tokens are found too: the caller decides (and can say "revoked" rather than "unknown"). */
export async function findTokenByHash(sql: Sql, tokenHash: string): Promise<TokenRecord | null> {
  const row = await sql.get<TokenRow>('SELECT * FROM tokens WHERE token_hash = $1', [tokenHash]);
  return row === undefined ? null : toToken(row);
}

export async function countTokens(sql: Sql): Promise<number> {
  return (await sql.get<{ n: number }>('SELECT count(*) AS n FROM tokens'))?.n ?? 0;
}

export async function listTokens(sql: Sql): Promise<TokenRecord[]> {
  return (await sql.all<TokenRow>('SELECT * FROM tokens ORDER BY id DESC')).map(toToken);
}

/** The row lock makes concurrent revocations of one token queue: the second one sees it revoked. */
export async function revokeToken(
  sql: Sql,
  input: { id: string; audit: AuditInput; now: number },
): Promise<TokenRecord> {
  const row = await sql.get<TokenRow>('SELECT * FROM tokens WHERE id = $1 FOR UPDATE', [input.id]);
  if (row === undefined) throw new WeftError({ code: 'not_found', message: `no token ${input.id}` });
  if (row.revoked_at !== null) {
    throw new WeftError({ code: 'conflict', message: `token ${input.id} is already revoked` });
  }
  await sql.run('UPDATE tokens SET revoked_at = $2 WHERE id = $1', [input.id, input.now]);
  await appendAudit(sql, input.audit);
  // Delivered at commit: every process drops its cached principals (src/api/auth.ts).
  await sql.run(`SELECT pg_notify('${notifyChannel}', 'tokens')`);
  return toToken({ ...row, revoked_at: input.now });
}
