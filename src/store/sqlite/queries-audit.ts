import { auditGenesisHash, auditHash } from '../audit-chain.js';
import type { AuditInput } from '../port.js';
import type { AuditEventRecord } from '../records.js';
import type { Sql } from './connection.js';
import { type AuditRow, fromJson, sqlLimit, toAuditEvent, toNullableJson } from './rows.js';

/**
 * Appends one event to the hash-chained audit log. Call it inside the transaction of the change it
 * describes: the chain head is read in that transaction, so a rolled-back change leaves no gap.
 */
export function appendAudit(sql: Sql, input: AuditInput): AuditEventRecord {
  const head = sql.get<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1',
  );
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? auditGenesisHash;
  const dataJson = toNullableJson(input.data);
  // Hash what a reader will get back (the parsed JSON), not the caller's object, so values JSON
  // cannot keep (undefined fields, Dates) cannot make a later verification fail.
  const data = fromJson<unknown>(dataJson);
  const event = { seq, at: input.at, actor: input.actor, action: input.action, target: input.target, data };
  const hash = auditHash(prevHash, event);
  sql.run(
    `INSERT INTO audit_events (seq, at, actor, action, target, data, prev_hash, hash)
     VALUES (@seq, @at, @actor, @action, @target, @data, @prevHash, @hash)`,
    {
      seq,
      at: input.at,
      actor: input.actor,
      action: input.action,
      target: input.target,
      data: dataJson,
      prevHash,
      hash,
    },
  );
  return { ...event, prevHash, hash };
}

/** Audit events in chain order (ascending seq), after the `afterSeq` cursor. */
export function listAudit(sql: Sql, filter: { limit: number; afterSeq?: number }): AuditEventRecord[] {
  return sql
    .all<AuditRow>('SELECT * FROM audit_events WHERE seq > @afterSeq ORDER BY seq LIMIT @limit', {
      afterSeq: filter.afterSeq ?? 0,
      limit: sqlLimit(filter.limit),
    })
    .map(toAuditEvent);
}
