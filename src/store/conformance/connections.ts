import { describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit-chain.js';
import type { ConnectionRecord } from '../records.js';
import { auditInput, expectWeftError, publish, type StoreContext, T0 } from './fixtures.js';
import { logTopics } from './notifications.js';

/** A stored Connection; `secret` stands for ciphertext (the store never sees plaintext). */
function connection(name: string, at: number, extra: Partial<ConnectionRecord> = {}): ConnectionRecord {
  return {
    name,
    connector: 'stripe',
    baseUrl: 'http://127.0.0.1:4010',
    settings: { account: 'acct_1' },
    limits: { requestsPerSecond: 5, burst: 10 },
    authKind: 'bearer',
    authFields: ['token'],
    webhookSecretCount: 2,
    secret: `weft-gcm:k1:iv:tag:ciphertext-of-${name}`,
    createdAt: at,
    updatedAt: at,
    ...extra,
  };
}

/** Connections: create or replace, read, list, delete, audit and the `connections` topic. */
export function connectionsStore(ctx: StoreContext): void {
  describe('connections', () => {
    it('creates, replaces (keeping createdAt) and reads a connection, each change audited', async () => {
      expect(await ctx.store.getConnection('stripe-main')).toBeNull();
      const first = connection('stripe-main', T0);
      const created = await ctx.store.putConnection({
        record: first,
        audit: auditInput('connection.put', T0, { name: 'stripe-main', authFields: ['token'] }),
      });
      expect(created).toEqual({ record: first, created: true });
      expect(await ctx.store.getConnection('stripe-main')).toEqual(first);

      const second = connection('stripe-main', T0 + 5, {
        baseUrl: null,
        settings: {},
        limits: {},
        authKind: 'basic',
        authFields: ['username', 'password'],
        webhookSecretCount: 0,
        secret: 'weft-gcm:k1:iv:tag:other',
      });
      const replaced = await ctx.store.putConnection({
        record: second,
        audit: auditInput('connection.put', T0 + 5),
      });
      expect(replaced).toEqual({ record: { ...second, createdAt: T0 }, created: false });
      expect(await ctx.store.getConnection('stripe-main')).toEqual({ ...second, createdAt: T0 });

      const audit = await ctx.store.listAudit({ limit: 10 });
      expect(audit.map((e) => [e.action, e.data])).toEqual([
        ['connection.put', { name: 'stripe-main', authFields: ['token'] }],
        ['connection.put', null],
      ]);
      expect(verifyAuditChain(audit)).toEqual({ ok: true });
    });

    it('lists connections by name', async () => {
      expect(await ctx.store.listConnections()).toEqual([]);
      const b = connection('b-conn', T0);
      const a = connection('a-conn', T0 + 1);
      await ctx.store.putConnection({ record: b, audit: auditInput('connection.put', T0) });
      await ctx.store.putConnection({ record: a, audit: auditInput('connection.put', T0 + 1) });
      expect(await ctx.store.listConnections()).toEqual([a, b]);
    });

    it('deletes a connection with its audit entry; an unknown name is not_found and audits nothing', async () => {
      const c = connection('gone', T0);
      await ctx.store.putConnection({ record: c, audit: auditInput('connection.put', T0) });
      expect(
        await ctx.store.deleteConnection({ name: 'gone', audit: auditInput('connection.delete', T0 + 1) }),
      ).toEqual(c);
      expect(await ctx.store.getConnection('gone')).toBeNull();
      await expectWeftError(
        ctx.store.deleteConnection({ name: 'gone', audit: auditInput('connection.delete', T0 + 2) }),
        'not_found',
      );
      expect((await ctx.store.listAudit({ limit: 10 })).map((e) => e.action)).toEqual([
        'connection.put',
        'connection.delete',
      ]);
    });

    it('announces every change on the connections topic', async () => {
      const log = await logTopics(ctx.store);
      await ctx.store.putConnection({
        record: connection('hooked', T0),
        audit: auditInput('connection.put', T0),
      });
      await log.next('connections');
      log.clear();
      await ctx.store.deleteConnection({ name: 'hooked', audit: auditInput('connection.delete', T0 + 1) });
      await log.next('connections');
      log.clear();
      // A failed delete changes nothing and announces nothing: a later flow publish comes alone.
      await expectWeftError(
        ctx.store.deleteConnection({ name: 'hooked', audit: auditInput('connection.delete', T0 + 2) }),
        'not_found',
      );
      await publish(ctx.store, 'marker', { at: T0 + 3 });
      await log.next('flows');
      expect(log.seen).toEqual(['flows']);
      log.subscription();
    });
  });
}
