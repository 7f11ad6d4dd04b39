import type { AdvanceTriggerCursor, LeaseTriggerCursor, TriggerCursorRecord } from '../port.js';
import { type TriggerCursorRow, toTriggerCursor } from '../record-mappers.js';
import type { Sql } from './connection.js';

// Taken when free, expired or already ours; otherwise the conflict's WHERE fails and no row returns.
const leaseSql = `INSERT INTO trigger_cursors (key, cursor, lease_owner, lease_until, updated_at)
  VALUES (@key, NULL, @owner, @until, @now)
  ON CONFLICT (key) DO UPDATE SET lease_owner = @owner, lease_until = @until
    WHERE trigger_cursors.lease_owner IS NULL OR trigger_cursors.lease_owner = @owner
      OR trigger_cursors.lease_until < @now
  RETURNING cursor`;

const advanceSql = `UPDATE trigger_cursors SET cursor = @to, polled_at = @now, updated_at = @now
  WHERE key = @key AND lease_owner = @owner AND cursor IS @from`;

export function leaseTriggerCursor(sql: Sql, input: LeaseTriggerCursor): { cursor: string | null } | null {
  const row = sql.get<{ cursor: string | null }>(leaseSql, {
    key: input.key,
    owner: input.owner,
    until: input.now + input.leaseMs,
    now: input.now,
  });
  return row === undefined ? null : { cursor: row.cursor };
}

export function advanceTriggerCursor(sql: Sql, input: AdvanceTriggerCursor): boolean {
  const { changes } = sql.run(advanceSql, {
    key: input.key,
    owner: input.owner,
    from: input.from,
    to: input.to,
    now: input.now,
  });
  return changes === 1;
}

export function releaseTriggerCursor(sql: Sql, input: { key: string; owner: string }): void {
  sql.run(
    'UPDATE trigger_cursors SET lease_owner = NULL, lease_until = 0 WHERE key = @key AND lease_owner = @owner',
    input,
  );
}

export function getTriggerCursor(sql: Sql, key: string): TriggerCursorRecord | null {
  const row = sql.get<TriggerCursorRow>('SELECT * FROM trigger_cursors WHERE key = @key', { key });
  return row === undefined ? null : toTriggerCursor(row);
}
