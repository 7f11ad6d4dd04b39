import { describe, expect, it } from 'vitest';
import { newId } from '../../contract/ids.js';
import { auditGenesisHash, auditHash, verifyAuditChain } from '../audit-chain.js';
import type { AuditEventRecord, TokenRecord } from '../records.js';
import {
  acceptRun,
  auditInput,
  eventInput,
  expectWeftError,
  publish,
  type StoreContext,
  sha256,
  T0,
} from './fixtures.js';

/** Schedule cursors, tokens, the audit hash chain and migrations. */
export function adminAndAudit(ctx: StoreContext): void {
  describe('schedules', () => {
    it('creates a schedule cursor once and keeps it', async () => {
      const { version } = await publish(ctx.store, 'nightly', { trigger: 'schedule' });
      expect(await ctx.store.getScheduleState('nightly')).toBeNull();
      const state = { flowName: 'nightly', flowVersionId: version.id, lastTickAt: T0 };
      expect(await ctx.store.initScheduleState(state)).toEqual(state);
      expect(await ctx.store.initScheduleState({ ...state, lastTickAt: T0 + 999 })).toEqual(state);
      expect(await ctx.store.getScheduleState('nightly')).toEqual(state);
    });

    it('moves the cursor with the tick event, atomically and only forward', async () => {
      const { version } = await publish(ctx.store, 'nightly', { trigger: 'schedule' });
      const tick = (at: number, extra: { runId?: string } = {}) =>
        eventInput({
          version,
          at,
          source: 'schedule',
          dedupeKey: `tick:${at}`,
          scheduleTick: { flowName: 'nightly', tickAt: at },
          ...extra,
        });
      // The first tick creates the cursor when the scheduler has not.
      const first = await ctx.store.acceptEvent(tick(T0 + 60_000));
      expect(first.accepted).toBe(true);
      expect(await ctx.store.getScheduleState('nightly')).toEqual({
        flowName: 'nightly',
        flowVersionId: version.id,
        lastTickAt: T0 + 60_000,
      });
      await ctx.store.acceptEvent(tick(T0 + 120_000));
      expect((await ctx.store.getScheduleState('nightly'))?.lastTickAt).toBe(T0 + 120_000);
      // A late, older tick is recorded but does not move the cursor back.
      await ctx.store.acceptEvent(tick(T0 + 90_000));
      expect((await ctx.store.getScheduleState('nightly'))?.lastTickAt).toBe(T0 + 120_000);
      // A duplicate tick and a failed acceptance move nothing.
      expect((await ctx.store.acceptEvent(tick(T0 + 60_000))).accepted).toBe(false);
      const failed = tick(T0 + 180_000, { runId: first.runId ?? '' });
      await expectWeftError(ctx.store.acceptEvent(failed), 'conflict');
      expect((await ctx.store.getScheduleState('nightly'))?.lastTickAt).toBe(T0 + 120_000);
      expect(await ctx.store.countRuns({ flowName: 'nightly' })).toBe(3);
    });
  });

  describe('tokens', () => {
    it('stores tokens by hash, with an audit entry', async () => {
      expect(await ctx.store.countTokens()).toBe(0);
      const token: TokenRecord = {
        id: newId('tok', T0),
        name: 'ci',
        role: 'operator',
        tokenHash: sha256('secret-token'),
        createdAt: T0,
        revokedAt: null,
      };
      await ctx.store.createToken({ token, audit: auditInput('token.create', T0, { name: 'ci' }) });
      expect(await ctx.store.findTokenByHash(sha256('secret-token'))).toEqual(token);
      expect(await ctx.store.findTokenByHash(sha256('other'))).toBeNull();
      expect(await ctx.store.countTokens()).toBe(1);
      expect((await ctx.store.listAudit({ limit: 10 })).map((e) => [e.action, e.data])).toEqual([
        ['token.create', { name: 'ci' }],
      ]);
      await expectWeftError(
        ctx.store.createToken({ token, audit: auditInput('token.create', T0 + 1) }),
        'conflict',
      );
      expect(await ctx.store.listAudit({ limit: 10 })).toHaveLength(1);
    });

    const tokenRecord = (id: string, name: string, at: number): TokenRecord => ({
      id,
      name,
      role: 'viewer',
      tokenHash: sha256(`plain-${id}`),
      createdAt: at,
      revokedAt: null,
    });

    it('lists tokens newest first, revoked ones too', async () => {
      expect(await ctx.store.listTokens()).toEqual([]);
      const a = tokenRecord(newId('tok', T0), 'a', T0);
      const b = tokenRecord(newId('tok', T0 + 1), 'b', T0 + 1);
      await ctx.store.createToken({ token: a, audit: auditInput('token.create', T0) });
      await ctx.store.createToken({ token: b, audit: auditInput('token.create', T0 + 1) });
      await ctx.store.revokeToken({ id: a.id, audit: auditInput('token.revoke', T0 + 2), now: T0 + 2 });
      expect(await ctx.store.listTokens()).toEqual([b, { ...a, revokedAt: T0 + 2 }]);
    });

    it('revokes a token once, with an audit entry in the same transaction', async () => {
      const t = tokenRecord(newId('tok', T0), 'ci', T0);
      await ctx.store.createToken({ token: t, audit: auditInput('token.create', T0) });
      const revoked = await ctx.store.revokeToken({
        id: t.id,
        audit: auditInput('token.revoke', T0 + 5, { name: 'ci' }),
        now: T0 + 5,
      });
      expect(revoked).toEqual({ ...t, revokedAt: T0 + 5 });
      expect(await ctx.store.findTokenByHash(t.tokenHash)).toEqual(revoked);
      const audit = await ctx.store.listAudit({ limit: 10 });
      expect(audit.map((e) => [e.action, e.at, e.data])).toEqual([
        ['token.create', T0, null],
        ['token.revoke', T0 + 5, { name: 'ci' }],
      ]);
      expect(verifyAuditChain(audit)).toEqual({ ok: true });
      // Already revoked, or unknown: nothing changes and nothing is audited.
      await expectWeftError(
        ctx.store.revokeToken({ id: t.id, audit: auditInput('token.revoke', T0 + 6), now: T0 + 6 }),
        'conflict',
      );
      await expectWeftError(
        ctx.store.revokeToken({ id: 'tok_missing', audit: auditInput('token.revoke', T0 + 6), now: T0 + 6 }),
        'not_found',
      );
      expect((await ctx.store.findTokenByHash(t.tokenHash))?.revokedAt).toBe(T0 + 5);
      expect(await ctx.store.listAudit({ limit: 10 })).toHaveLength(2);
    });

    it('keeps live token names unique; a revoked name may be used again', async () => {
      const first = tokenRecord(newId('tok', T0), 'deployer', T0);
      await ctx.store.createToken({ token: first, audit: auditInput('token.create', T0) });
      const second = tokenRecord(newId('tok', T0 + 1), 'deployer', T0 + 1);
      await expectWeftError(
        ctx.store.createToken({ token: second, audit: auditInput('token.create', T0 + 1) }),
        'conflict',
      );
      expect(await ctx.store.findTokenByHash(second.tokenHash)).toBeNull();
      expect(await ctx.store.listAudit({ limit: 10 })).toHaveLength(1);
      // Other names are unaffected.
      const other = tokenRecord(newId('tok', T0 + 1), 'other', T0 + 1);
      await ctx.store.createToken({ token: other, audit: auditInput('token.create', T0 + 1) });

      await ctx.store.revokeToken({ id: first.id, audit: auditInput('token.revoke', T0 + 2), now: T0 + 2 });
      await ctx.store.createToken({ token: second, audit: auditInput('token.create', T0 + 3) });
      expect(await ctx.store.findTokenByHash(second.tokenHash)).toEqual(second);
      const third = tokenRecord(newId('tok', T0 + 4), 'deployer', T0 + 4);
      await expectWeftError(
        ctx.store.createToken({ token: third, audit: auditInput('token.create', T0 + 4) }),
        'conflict',
      );
      expect((await ctx.store.listTokens()).filter((t) => t.name === 'deployer')).toHaveLength(2);
    });
  });

  describe('audit', () => {
    it('chains every audited change and detects tampering', async () => {
      const { version } = await publish(ctx.store, 'orders', { at: T0 });
      await publish(ctx.store, 'orders', { source: 'v2', at: T0 + 1 });
      await acceptRun(ctx.store, {
        version,
        at: T0 + 2,
        audit: auditInput('run.start', T0 + 2, { nested: { list: [1, 'two'] } }),
      });
      await acceptRun(ctx.store, { version, at: T0 + 3, audit: auditInput('run.start', T0 + 3) });
      await ctx.store.createToken({
        token: { id: 'tok_1', name: 'n', role: 'admin', tokenHash: 'h', createdAt: T0 + 4, revokedAt: null },
        audit: auditInput('token.create', T0 + 4),
      });
      const events = await ctx.store.listAudit({ limit: 100 });
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(events.map((e) => e.action)).toEqual([
        'flow.publish',
        'flow.publish',
        'run.start',
        'run.start',
        'token.create',
      ]);
      expect(events[0]?.prevHash).toBe(auditGenesisHash);
      expect(events[2]).toMatchObject({
        actor: 'user:tester',
        target: 'test:run.start',
        at: T0 + 2,
        data: { nested: { list: [1, 'two'] } },
      });
      expect(events[3]?.data).toBeNull();
      for (const [i, e] of events.slice(1).entries()) expect(e.prevHash).toBe(events[i]?.hash);
      expect(verifyAuditChain(events)).toEqual({ ok: true });

      // Paging by seq, and a segment verifies on its own.
      const page = await ctx.store.listAudit({ limit: 2, afterSeq: 2 });
      expect(page.map((e) => e.seq)).toEqual([3, 4]);
      expect(verifyAuditChain(page)).toEqual({ ok: true });

      // Tampering is checked on copies of the rows: the database stays intact.
      const altered = (index: number, change: Partial<AuditEventRecord>) =>
        events.map((e, i) => (i === index ? { ...structuredClone(e), ...change } : structuredClone(e)));
      expect(verifyAuditChain(altered(2, { data: { nested: { list: [1, 'three'] } } }))).toEqual({
        ok: false,
        brokenAtSeq: 3,
      });
      expect(verifyAuditChain(altered(1, { actor: 'user:mallory', hash: sha256('forged') }))).toEqual({
        ok: false,
        brokenAtSeq: 2,
      });
      // Re-hashing the edited row is not enough: the next row still points at the old hash.
      const original = events[1] as AuditEventRecord;
      const forged = { ...original, actor: 'user:mallory' };
      expect(
        verifyAuditChain(altered(1, { actor: forged.actor, hash: auditHash(original.prevHash, forged) })),
      ).toEqual({
        ok: false,
        brokenAtSeq: 3,
      });
      const removed = events.filter((e) => e.seq !== 4);
      expect(verifyAuditChain(removed)).toEqual({ ok: false, brokenAtSeq: 5 });
      const swapped = [events[1], events[0], ...events.slice(2)] as AuditEventRecord[];
      expect(verifyAuditChain(swapped).ok).toBe(false);
      expect(verifyAuditChain(altered(0, { prevHash: 'f'.repeat(64) }))).toEqual({
        ok: false,
        brokenAtSeq: 1,
      });
      expect(verifyAuditChain(await ctx.store.listAudit({ limit: 100 }))).toEqual({ ok: true });
    });
  });

  describe('migrations', () => {
    it('are idempotent', async () => {
      // The suite already migrated this store once.
      const again = await ctx.store.migrate();
      expect(again.applied).toEqual([]);
      expect(again.current).toBeGreaterThan(0);
      expect(await ctx.store.migrate()).toEqual(again);
      expect(await ctx.store.countRuns({})).toBe(0);
    });
  });
}
