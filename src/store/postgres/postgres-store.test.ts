import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { acquirePostgres, type PostgresServer, TestDatabases } from '../../../test/support/postgres.js';
import { verifyAuditChain } from '../audit-chain.js';
import { acceptRun, auditInput, eventInput, publish, T0 } from '../conformance/fixtures.js';
import { describeStoreConformance } from '../conformance.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { migrations } from './migrations.js';
import { PostgresStore } from './postgres-store.js';

/**
 * The Store conformance suite and PostgreSQL-only behaviour (several processes on one database),
 * on a real server: the run's shared one (test/support/postgres-global-setup.ts) or one of this
 * file's own. Every test gets a fresh database.
 */

let server: PostgresServer | undefined;
let databases: TestDatabases | undefined;
const opened: PostgresStore[] = [];

/** A store on a fresh database; `poolSize` small enough that many stores fit in max_connections. */
async function freshStore(options: { url?: string; poolSize?: number } = {}): Promise<PostgresStore> {
  if (databases === undefined) throw new Error('no test server');
  const url = options.url ?? (await databases.create());
  const store = PostgresStore.open({ url, poolSize: options.poolSize ?? 8 });
  opened.push(store);
  return store;
}

describe('PostgresStore', () => {
  beforeAll(async () => {
    server = await acquirePostgres(inject('weftPostgresUrl'));
    databases = new TestDatabases(server.url, 'store');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await databases?.dropAll();
    await server?.stop();
  }, 60_000);

  describeStoreConformance('postgres', () => freshStore());

  it('writes the same audit chain as the SQLite store for the same changes', async () => {
    const sqlite = SqliteStore.open({ path: ':memory:' });
    const postgres = await freshStore();
    const chains: string[][] = [];
    try {
      for (const store of [sqlite, postgres]) {
        await store.migrate();
        const { version } = await publish(store, 'orders', { at: T0 });
        await acceptRun(store, {
          version,
          at: T0 + 1,
          // Key order that jsonb would change, and values JSON rewrites (undefined, a Date).
          audit: auditInput('run.start', T0 + 1, {
            z: 1,
            a: [{ y: 'é', b: null, u: undefined }],
            d: new Date(T0),
          }),
        });
        await store.createToken({
          token: {
            id: 'tok_1',
            name: 'ci',
            role: 'viewer',
            tokenHash: 'h',
            createdAt: T0 + 2,
            revokedAt: null,
          },
          audit: auditInput('token.create', T0 + 2),
        });
        chains.push((await store.listAudit({ limit: 10 })).map((e) => e.hash));
      }
    } finally {
      await sqlite.close();
    }
    expect(chains[0]).toHaveLength(3);
    expect(chains[1]).toEqual(chains[0]);
  });

  describe('several processes on one database', () => {
    it('runs migrations from three stores at once, applying each exactly once', async () => {
      const url = await databases!.create();
      const stores = await Promise.all([1, 2, 3].map(() => freshStore({ url, poolSize: 2 })));
      const reports = await Promise.all(stores.map((s) => s.migrate()));
      expect(reports.map((r) => r.applied.length).sort()).toEqual([0, 0, migrations.length]);
      expect(new Set(reports.map((r) => r.current)).size).toBe(1);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
        expect(Number(rows[0]?.n)).toBe(reports.find((r) => r.applied.length > 0)?.applied.length);
      } finally {
        await client.end();
      }
      // The schema works from every store.
      await publish(stores[0]!, 'orders');
      expect((await stores[2]!.listFlows()).map((f) => f.name)).toEqual(['orders']);
    });

    it('never leases one run to two stores claiming concurrently, first or on reclaim', async () => {
      const url = await databases!.create();
      const [a, b] = [await freshStore({ url }), await freshStore({ url })];
      await a.migrate();
      const { version } = await publish(a, 'orders');
      const total = 300;
      await Promise.all(
        Array.from({ length: total }, (_, i) => acceptRun(i % 2 === 0 ? a : b, { version, at: T0 + i })),
      );

      // Each store is a process with several workers, each claiming in a loop until nothing is due.
      const claimAll = async (
        phase: string,
        now: number,
        leaseMs: number,
      ): Promise<Map<string, string[]>> => {
        const byOwner = new Map<string, string[]>();
        const worker = async (store: PostgresStore, owner: string): Promise<void> => {
          const mine: string[] = [];
          byOwner.set(owner, mine);
          for (;;) {
            const claimed = await store.claimRuns({ owner, limit: 7, leaseMs, now });
            if (claimed.length === 0) return;
            mine.push(...claimed.map((c) => c.run.id));
          }
        };
        await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            worker(i % 2 === 0 ? a : b, `${phase}-${i % 2 === 0 ? 'a' : 'b'}${i}`),
          ),
        );
        return byOwner;
      };
      const expectDisjointAndComplete = async (byOwner: Map<string, string[]>): Promise<void> => {
        const all = [...byOwner.values()].flat();
        expect(all).toHaveLength(total);
        expect(new Set(all).size).toBe(total);
        for (const [owner, ids] of byOwner) {
          for (const id of ids) expect((await b.getRun(id))?.leaseOwner).toBe(owner);
        }
      };

      const first = await claimAll('first', T0 + 10_000, 1000);
      await expectDisjointAndComplete(first);
      // Every lease has expired: the dead "workers" runs are reclaimed, again each exactly once.
      const reclaimed = await claimAll('reclaim', T0 + 20_000, 60_000);
      await expectDisjointAndComplete(reclaimed);
      // The old owners are fenced off (owner names differ per phase, so no one reclaimed their own).
      const [owner, ids] = [...first.entries()].find(([, list]) => list.length > 0)!;
      await expect(
        a.saveProgress({ runId: ids[0]!, owner, now: T0 + 20_001, run: { status: 'succeeded' } }),
      ).rejects.toMatchObject({ code: 'lease_lost' });
    });

    it('deduplicates one event delivered to two stores at once', async () => {
      const url = await databases!.create();
      const [a, b] = [await freshStore({ url }), await freshStore({ url })];
      await a.migrate();
      const { version } = await publish(a, 'orders');
      const keys = Array.from({ length: 50 }, (_, i) => `delivery-${i}`);
      const results = await Promise.all(
        keys.flatMap((key, i) => [
          a.acceptEvent(eventInput({ version, at: T0 + i, dedupeKey: key })),
          b.acceptEvent(eventInput({ version, at: T0 + i, dedupeKey: key })),
        ]),
      );
      for (let i = 0; i < keys.length; i++) {
        const pair = [results[2 * i]!, results[2 * i + 1]!];
        expect(pair.filter((r) => r.accepted)).toHaveLength(1);
        // Both report the one event and run that exist.
        expect(pair[0]?.eventId).toBe(pair[1]?.eventId);
        expect(pair[0]?.runId).toBe(pair[1]?.runId);
      }
      expect(await a.countRuns({})).toBe(keys.length);
    });

    it('keeps one unbroken audit chain when two stores append at once', async () => {
      const url = await databases!.create();
      const [a, b] = [await freshStore({ url }), await freshStore({ url })];
      await a.migrate();
      const { version } = await publish(a, 'orders');
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => {
          const store = i % 2 === 0 ? a : b;
          return i % 4 < 2
            ? acceptRun(store, { version, at: T0 + i, audit: auditInput('run.start', T0 + i, { i }) })
            : publish(store, `flow${i}`, { at: T0 + i });
        }),
      );
      const events = await b.listAudit({ limit: 1000 });
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
      expect(verifyAuditChain(events)).toEqual({ ok: true });
    });
  });
});
