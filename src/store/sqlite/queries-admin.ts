import { WeftError } from '../../contract/errors.js';
import type { AuditInput } from '../port.js';
import type { ScheduleStateRecord, TokenRecord } from '../records.js';
import type { Sql } from './connection.js';
import { appendAudit } from './queries-audit.js';
import { type ScheduleStateRow, type TokenRow, toScheduleState, toToken } from './rows.js';

/** Schedule cursors and API tokens. */

export function getScheduleState(sql: Sql, flowName: string): ScheduleStateRecord | null {
  const row = sql.get<ScheduleStateRow>('SELECT * FROM schedule_state WHERE flow_name = @flowName', {
    flowName,
  });
  return row === undefined ? null : toScheduleState(row);
}

/** Creates the cursor unless one exists; either way returns what is stored. */
export function initScheduleState(sql: Sql, state: ScheduleStateRecord): ScheduleStateRecord {
  sql.run(
    `INSERT INTO schedule_state (flow_name, flow_version_id, last_tick_at)
     VALUES (@flowName, @flowVersionId, @lastTickAt) ON CONFLICT (flow_name) DO NOTHING`,
    { flowName: state.flowName, flowVersionId: state.flowVersionId, lastTickAt: state.lastTickAt },
  );
  const stored = getScheduleState(sql, state.flowName);
  if (stored === null) throw new Error(`schedule state of ${state.flowName} vanished`);
  return stored;
}

/**
 * Moves a schedule cursor to `tickAt`, creating it if needed. The cursor only moves forward: a
 * late, older tick must not make the scheduler fire ticks again.
 */
export function advanceSchedule(
  sql: Sql,
  tick: { flowName: string; flowVersionId: string; tickAt: number },
): void {
  sql.run(
    `INSERT INTO schedule_state (flow_name, flow_version_id, last_tick_at)
     VALUES (@flowName, @flowVersionId, @tickAt)
     ON CONFLICT (flow_name) DO UPDATE SET
       flow_version_id = excluded.flow_version_id, last_tick_at = excluded.last_tick_at
     WHERE excluded.last_tick_at > schedule_state.last_tick_at`,
    tick,
  );
}

export function createToken(sql: Sql, input: { token: TokenRecord; audit: AuditInput }): void {
  const t = input.token;
  if (t.revokedAt === null) assertNameFree(sql, t.name);
  sql.run(
    `INSERT INTO tokens (id, name, role, token_hash, created_at, revoked_at)
     VALUES (@id, @name, @role, @tokenHash, @createdAt, @revokedAt)`,
    {
      id: t.id,
      name: t.name,
      role: t.role,
      tokenHash: t.tokenHash,
      createdAt: t.createdAt,
      revokedAt: t.revokedAt,
    },
  );
  appendAudit(sql, input.audit);
}

/** Revoked tokens are found too: the caller decides (and can say "revoked" rather than "unknown"). */
export function findTokenByHash(sql: Sql, tokenHash: string): TokenRecord | null {
  const row = sql.get<TokenRow>('SELECT * FROM tokens WHERE token_hash = @tokenHash', { tokenHash });
  return row === undefined ? null : toToken(row);
}

export function countTokens(sql: Sql): number {
  return sql.get<{ n: number }>('SELECT count(*) AS n FROM tokens')?.n ?? 0;
}

/** Live token names are unique (the `tokens_live_name` index backs this up). */
function assertNameFree(sql: Sql, name: string): void {
  const live = sql.get<{ id: string }>('SELECT id FROM tokens WHERE name = @name AND revoked_at IS NULL', {
    name,
  });
  if (live !== undefined) {
    throw new WeftError({
      code: 'conflict',
      message: `a token named '${name}' already exists; revoke it first or pick another name`,
      details: { name, tokenId: live.id },
    });
  }
}

export function listTokens(sql: Sql): TokenRecord[] {
  return sql.all<TokenRow>('SELECT * FROM tokens ORDER BY id DESC').map(toToken);
}

export function revokeToken(sql: Sql, input: { id: string; audit: AuditInput; now: number }): TokenRecord {
  const row = sql.get<TokenRow>('SELECT * FROM tokens WHERE id = @id', { id: input.id });
  if (row === undefined) throw new WeftError({ code: 'not_found', message: `no token ${input.id}` });
  if (row.revoked_at !== null) {
    throw new WeftError({ code: 'conflict', message: `token ${input.id} is already revoked` });
  }
  sql.run('UPDATE tokens SET revoked_at = @now WHERE id = @id', { id: input.id, now: input.now });
  appendAudit(sql, input.audit);
  return toToken({ ...row, revoked_at: input.now });
}
