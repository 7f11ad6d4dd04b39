import { createHash } from 'node:crypto';
import type { AuditEventRecord } from './records.js';

/** The `prevHash` of the first audit event: 64 zeros. */
export const auditGenesisHash = '0'.repeat(64);

/** The fields of an audit event that its hash covers (everything but the hashes themselves). */
export type AuditHashInput = Pick<AuditEventRecord, 'seq' | 'at' | 'actor' | 'action' | 'target' | 'data'>;

/**
 * The hash of one audit event, chained to its predecessor:
 * `sha256(prevHash + '\n' + JSON.stringify([seq, at, actor, action, target, data]))`, hex.
 *
 * Dialect-agnostic, so every Store computes the same chain. `data` must be hashed in the form the
 * store hands it back (parsed from its stored JSON text): a store that reorders keys (PostgreSQL
 * `jsonb`) would break the chain, so keep audit data as text.
 *
 * @example auditHash(auditGenesisHash, { seq: 1, at: 0, actor: 'cli', action: 'flow.publish', target: 'flow:a', data: null })
 */
export function auditHash(prevHash: string, event: AuditHashInput): string {
  const body = JSON.stringify([
    event.seq,
    event.at,
    event.actor,
    event.action,
    event.target,
    event.data ?? null,
  ]);
  return createHash('sha256').update(`${prevHash}\n${body}`).digest('hex');
}

export type AuditChainVerdict = { ok: true } | { ok: false; brokenAtSeq: number };

/**
 * Checks a run of audit events (ascending `seq`, as `listAudit` returns them): every hash matches
 * its content, every `prevHash` is the previous event's hash, and no `seq` is missing. A run that
 * starts at seq 1 must start from the genesis hash; a later segment is trusted to start where it
 * says. Dropping the newest events cannot be detected from the rows alone.
 *
 * @example
 * const verdict = verifyAuditChain(await store.listAudit({ limit: 10_000 }));
 * if (!verdict.ok) alert(`audit log altered at seq ${verdict.brokenAtSeq}`);
 */
export function verifyAuditChain(events: readonly AuditEventRecord[]): AuditChainVerdict {
  let previous: AuditEventRecord | undefined;
  for (const event of events) {
    if (previous === undefined) {
      if (event.seq === 1 && event.prevHash !== auditGenesisHash)
        return { ok: false, brokenAtSeq: event.seq };
    } else if (event.seq !== previous.seq + 1 || event.prevHash !== previous.hash) {
      return { ok: false, brokenAtSeq: event.seq };
    }
    if (auditHash(event.prevHash, event) !== event.hash) return { ok: false, brokenAtSeq: event.seq };
    previous = event;
  }
  return { ok: true };
}
