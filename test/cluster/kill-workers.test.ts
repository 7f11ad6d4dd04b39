import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep, WeftCluster, type WeftNode } from '../support/cluster.js';
import { useClusterWorld } from '../support/cluster-fixture.js';
import {
  expectEachOrderOnce,
  resentWrites,
  startOrdersLoad,
  waitForRuns,
  writeOrdersFlow,
} from './orders-workload.js';

/**
 * Issue 3, test a: workers are cattle. One `serve` and three `work` processes share PostgreSQL
 * under steady webhook load while workers are killed with SIGKILL at random and restarted. A dead
 * worker's runs are reclaimed when their lease (1.5 s here) expires; their journal is replayed, so
 * nothing is lost and no write happens twice. Bounded: 480 events over ~12 s, 6 kills.
 */
const totalEvents = 480;
const perSecond = 40;
const kills = 6;
const leaseMs = 1500;

const world = useClusterWorld('cluster_kill');

describe('cluster: SIGKILL workers under load', () => {
  it('every acknowledged event has exactly one succeeded run and each write reached the target once', async () => {
    const { databaseUrl, pool, target, tmp, adopt } = await world();
    // The first attempt of every reservation hangs 250 ms and is then cut (a network failure: not
    // applied, retried under the same key). That keeps runs leased and mid-step long enough that
    // every kill orphans some; the retry itself is the engine's ordinary backoff.
    target.setBehaviour((req, attempt) =>
      req.path === '/reservations' && attempt === 1 ? { kind: 'hang', ms: 250 } : { kind: 'ok' },
    );
    const flowsDir = path.join(tmp, 'flows');
    writeOrdersFlow(flowsDir, target.url);

    const cluster = adopt(
      new WeftCluster({
        databaseUrl,
        flowsDir,
        env: {
          WEFT_ADMIN_TOKEN: 'cluster-test-admin-token-0123456789',
          WEFT_LEASE_MS: String(leaseMs),
          // Well under the lease, so a live worker never loses a run it is still executing.
          WEFT_HEARTBEAT_MS: '400',
        },
      }),
    );
    await cluster.migrate();
    const api = await cluster.add({ role: 'serve' });
    const workers = await cluster.addMany({ role: 'work', concurrency: 16 }, 3);

    const load = startOrdersLoad({ urls: () => [api.url], total: totalEvents, perSecond });
    const killed: string[] = [];
    let orphaned = 0;
    try {
      // ~12 s of load; a kill every ~1.6 s, at a random moment, of a random live worker. The
      // restart is immediate, like a supervisor's, so sometimes two workers are down at once.
      const restarts: Promise<void>[] = [];
      for (let k = 0; k < kills; k++) {
        await sleep(1000 + Math.random() * 1200);
        // Only workers that finished booting: the one restarted last may still be starting.
        const live = workers.filter((w) => w.ready);
        const victim: WeftNode | undefined = live[Math.floor(Math.random() * live.length)];
        if (victim === undefined) continue;
        const owner = victim.owner();
        await victim.kill('SIGKILL');
        killed.push(victim.name);
        // Runs the dead worker still held: only an expired lease brings them back.
        orphaned += (
          await pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM runs WHERE status = 'running' AND lease_owner = $1",
            [owner ?? ''],
          )
        ).rows[0]!.n;
        const restart = sleep(Math.random() * 500).then(() => victim.start());
        // Reported by the Promise.all below, not as an unhandled rejection meanwhile.
        restart.catch(() => undefined);
        restarts.push(restart);
      }
      await Promise.all(restarts);
      await load.done;
    } catch (error) {
      throw new Error(`${String(error)}\n${cluster.output().slice(-6000)}`);
    }
    expect(killed).toHaveLength(kills);
    // The kills did hit runs in flight (else this test would prove little).
    expect(orphaned).toBeGreaterThan(0);
    expect(load.acknowledged.size).toBe(totalEvents);

    // Runs a killed worker held finish after their lease expires; give that a bounded time.
    const counts = await waitForRuns(pool, totalEvents, 30_000);
    if (counts.unfinished !== 0 || counts.total !== totalEvents) {
      const stuck = await pool.query(
        "SELECT id, status, lease_owner, lease_expires_at, run_at, error FROM runs WHERE status <> 'succeeded' LIMIT 5",
      );
      throw new Error(
        `runs did not finish: ${JSON.stringify(counts)} ${JSON.stringify(stuck.rows)}\n${cluster.output().slice(-6000)}`,
      );
    }
    await expectEachOrderOnce(pool, target, load.acknowledged);
    console.info(
      `kill-workers: ${kills} kills (${killed.join(', ')}) orphaned ${orphaned} leased runs; ` +
        // Beyond the one hung first attempt per reservation: writes a reclaimed run sent again
        // (killed after the target applied them, before the journal recorded them).
        `${resentWrites(target) - totalEvents} writes sent again under their key after a kill; ` +
        `${workers.reduce((n, w) => n + w.starts, 0)} worker starts`,
    );
  }, 90_000);
});
