import type { AdvanceTriggerCursor, LeaseTriggerCursor, TriggerCursorRecord } from '../port.js';
import { type TriggerCursorRow, toTriggerCursor } from '../record-mappers.js';
import type { Sql } from './sql.js';

// Taken when free, expired or already ours; otherwise the conflict's WHERE fails and no row returns.
// The row lock of the upsert orders two processes asking at once.
const leaseSql = `INSERT INTO trigger_cursors (key, cursor, lease_owner, lease_until, updated_at)
  VALUES ($1, NULL, $2, $3, $4)
  ON CONFLICT (key) DO UPDATE SET lease_owner = $2, lease_until = $3
    WHERE trigger_cursors.lease_owner IS NULL OR trigger_cursors.lease_owner = $2
      OR trigger_cursors.lease_until < $4
  RETURNING cursor`;

const advanceSql = `UPDATE trigger_cursors SET cursor = $4, polled_at = $5, updated_at = $5
  WHERE key = $1 AND lease_owner = $2 AND cursor IS NOT DISTINCT FROM $3`;

export async function leaseTriggerCursor(
  sql: Sql,
  input: LeaseTriggerCursor,
): Promise<{ cursor: string | null } | null> {
  const row = await sql.get<{ cursor: string | null }>(leaseSql, [
    input.key,
    input.owner,
    input.now + input.leaseMs,
    input.now,
  ]);
  return row === undefined ? null : { cursor: row.cursor };
}

export async function advanceTriggerCursor(sql: Sql, input: AdvanceTriggerCursor): Promise<boolean> {
  const rows = await sql.all(`${advanceSql} RETURNING key`, [
    input.key,
    input.owner,
    input.from,
    input.to,
    input.now,
  ]);
  return rows.length === 1;
}

export async function releaseTriggerCursor(sql: Sql, input: { key: string; owner: string }): Promise<void> {
  await sql.all(
    'UPDATE trigger_cursors SET lease_owner = NULL, lease_until = 0 WHERE key = $1 AND lease_owner = $2',
    [input.key, input.owner],
  );
}

export async function getTriggerCursor(sql: Sql, key: string): Promise<TriggerCursorRecord | null> {
  const row = await sql.get<TriggerCursorRow>('SELECT * FROM trigger_cursors WHERE key = $1', [key]);
  return row === undefined ? null : toTriggerCursor(row);
}
