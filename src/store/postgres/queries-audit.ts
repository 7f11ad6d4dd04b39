import { auditHash } from '../audit-chain.js';
import type { AuditInput } from '../port.js';
import type { AuditEventRecord } from '../records.js';
import { type AuditRow, sqlLimit, toAuditEvent, toNullableJson } from './rows.js';
import type { Sql } from './sql.js';

/**
 * Appends one event to the hash-chained audit log. Call it inside the transaction of the change it
 * describes: locking the chain head serialises appenders (across processes too) until that
 * transaction ends, so seqs have no gaps and a rolled-back change leaves no trace.
 */
export async function appendAudit(sql: Sql, input: AuditInput): Promise<AuditEventRecord> {
  const head = await sql.get<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE',
  );
  if (head === undefined) throw new Error('audit_chain_head is missing its row: the schema was altered');
  const seq = head.seq + 1;
  const prevHash = head.hash;
  const dataJson = toNullableJson(input.data);
  // Hash what a reader will get back (the parsed JSON), not the caller's object, so values JSON
  // cannot keep (undefined fields, Dates) cannot make a later verification fail.
  const data: unknown = dataJson === null ? null : JSON.parse(dataJson);
  const event = { seq, at: input.at, actor: input.actor, action: input.action, target: input.target, data };
  const hash = auditHash(prevHash, event);
  // One round trip for the event and the new head.
  await sql.run(
    `WITH appended AS (
       INSERT INTO audit_events (seq, at, actor, action, target, data, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8))
     UPDATE audit_chain_head SET seq = $1, hash = $8 WHERE id = 1`,
    [seq, input.at, input.actor, input.action, input.target, dataJson, prevHash, hash],
  );
  return { ...event, prevHash, hash };
}

/** Audit events in chain order (ascending seq), after the `afterSeq` cursor. */
export async function listAudit(
  sql: Sql,
  filter: { limit: number; afterSeq?: number },
): Promise<AuditEventRecord[]> {
  const rows = await sql.all<AuditRow>('SELECT * FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2', [
    filter.afterSeq ?? 0,
    sqlLimit(filter.limit),
  ]);
  return rows.map(toAuditEvent);
}
