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
