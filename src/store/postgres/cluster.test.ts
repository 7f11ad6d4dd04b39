import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { acquirePostgres, type PostgresServer, TestDatabases } from '../../../test/support/postgres.js';
import { acceptRun, publish, T0 } from '../conformance/fixtures.js';
import { logTopics } from '../conformance/notifications.js';
import { PostgresStore } from './postgres-store.js';

/**
 * Cluster behaviour of the PostgreSQL store that one instance cannot show: notifications between
 * instances (as between processes), the LISTEN connection surviving its backend's death, and
 * limits shared by instances.
 */

let server: PostgresServer | undefined;
let databases: TestDatabases | undefined;
const opened: PostgresStore[] = [];

/** Two stores ("processes") on one fresh, migrated database. */
async function twoStores(): Promise<{ url: string; a: PostgresStore; b: PostgresStore }> {
  if (databases === undefined) throw new Error('no test server');
  const url = await databases.create();
  const a = PostgresStore.open({ url, poolSize: 8 });
  const b = PostgresStore.open({ url, poolSize: 8 });
  opened.push(a, b);
  await a.migrate();
  return { url, a, b };
}

describe('PostgresStore in a cluster', () => {
  beforeAll(async () => {
    server = await acquirePostgres(inject('weftPostgresUrl'));
    databases = new TestDatabases(server.url, 'cluster_store');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await databases?.dropAll();
    await server?.stop();
  }, 60_000);

  it('tells one instance about runs and versions another one committed', async () => {
    const { a, b } = await twoStores();
    const log = await logTopics(a);
    const { version } = await publish(b, 'orders');
    await log.next('flows');
    await acceptRun(b, { version, at: T0 });
    await log.next('runs');
    log.subscription();
  });

  it('reconnects a LISTEN connection whose backend died, and then announces every topic', async () => {
    const { url, a, b } = await twoStores();
    const log = await logTopics(a);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const killed = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'weft-listen' AND datname = current_database()",
      );
      expect(killed.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    // Whatever was sent while nobody listened is lost: both topics come again once LISTEN is back.
    await log.next('runs');
    await log.next('flows');
    log.clear();
    const { version } = await publish(b, 'orders');
    await log.next('flows');
    await acceptRun(b, { version, at: T0 });
    await log.next('runs');
    log.subscription();
  });

  it('keeps a flow within its concurrency limit under claimers in two instances', async () => {
    const { a, b } = await twoStores();
    const limit = 3;
    const { version } = await publish(a, 'limited', { concurrency: limit });
    const total = 30;
    await Promise.all(
      Array.from({ length: total }, (_, i) => acceptRun(i % 2 ? a : b, { version, at: T0 + i })),
    );
    const claimedOnce = new Set<string>();
    let now = T0 + 1000;
    while (claimedOnce.size < total) {
      // Twelve claimers at once, six per instance; then everything that ran finishes.
      const rounds = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 ? a : b).claimRuns({ owner: `w${i}`, limit: 4, leaseMs: 60_000, now }),
        ),
      );
      const claimed = rounds.flat();
      expect(await a.countRuns({ flowName: 'limited', status: 'running' })).toBeLessThanOrEqual(limit);
      expect(claimed.length).toBe(Math.min(limit, total - claimedOnce.size));
      for (const c of claimed) {
        expect(claimedOnce.has(c.run.id)).toBe(false);
        claimedOnce.add(c.run.id);
        await a.saveProgress({
          runId: c.run.id,
          owner: c.run.leaseOwner ?? '',
          now: now + 1,
          run: { status: 'succeeded', output: null, releaseLease: true, finishedAt: now + 1 },
        });
      }
      now += 10;
    }
    expect(await b.countRuns({ flowName: 'limited', status: 'succeeded' })).toBe(total);
  });

  it('shares one rate-limit bucket between instances: burst, then perSecond', async () => {
    const { a, b } = await twoStores();
    const bucket = { key: 'api.example.com', perSecond: 4, burst: 5 };
    const takeAll = async (now: number): Promise<number> => {
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).takeRateLimit({ ...bucket, now })),
      );
      return results.filter((r) => r.waitMs === 0).length;
    };
    expect(await takeAll(T0)).toBe(5);
    expect(await takeAll(T0 + 1000)).toBe(4);
    expect(await takeAll(T0 + 1500)).toBe(2);
    expect(await b.takeRateLimit({ ...bucket, now: T0 + 1500 })).toEqual({ waitMs: 250 });
    // A long pause refills up to the burst, not beyond.
    expect(await takeAll(T0 + 60_000)).toBe(5);
  });
});
