import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartPostgres, sleep, stopPostgresFor, WeftCluster } from '../support/cluster.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import {
  expectEachOrderOnce,
  resentWrites,
  startOrdersLoad,
  waitForRuns,
  writeOrdersFlow,
} from './orders-workload.js';

/**
 * Issue 3, test c: the database restarts under load. A `serve` and two `work` processes run the
 * orders workload while PostgreSQL goes away twice: `pg_ctl restart -m fast` (every connection is
 * cut, the server is back in a fraction of a second), then a stop with 2 s of refused connections
 * before the start, longer than a lease. Nobody restarts the weft processes: they must reconnect on their own, including their
 * LISTEN connection. Webhook senders retry until acknowledged. Afterwards every acknowledged event
 * has exactly one succeeded run and each write reached the target once.
 *
 * The server is this test's own (startPostgres), never the shared one other test files use.
 */
const totalEvents = 400;
const perSecond = 40;
// Long, so a worker whose LISTEN connection stayed dead would visibly lag (see the probe). Runs
// left leased by a cut connection are reclaimed meanwhile by claims that new events trigger.
const pollMs = 10_000;

let server: PostgresServer | undefined;
let cluster: WeftCluster | undefined;
let target: TargetServer | undefined;
let pool: pg.Pool | undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cluster-pgrestart-'));

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await cluster?.stop(2_000);
  await pool?.end();
  await target?.close();
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('cluster: PostgreSQL restarts under load', () => {
  it('processes reconnect by themselves and every acknowledged event runs exactly once', async () => {
    const databaseUrl = server!.url;
    // Our own idle connections would be cut too; the pool just opens new ones, errors ignored.
    pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    pool.on('error', () => undefined);
    target = await startTargetServer();
    const flowsDir = path.join(tmp, 'flows');
    writeOrdersFlow(flowsDir, target.url);

    cluster = new WeftCluster({
      databaseUrl,
      flowsDir,
      env: {
        WEFT_ADMIN_TOKEN: 'cluster-test-admin-token-0123456789',
        WEFT_LEASE_MS: '2000',
        WEFT_HEARTBEAT_MS: '500',
        WEFT_POLL_MS: String(pollMs),
      },
    });
    await cluster.migrate();
    const api = await cluster.add({ role: 'serve' });
    const workers = await cluster.addMany({ role: 'work', concurrency: 16 }, 2);

    const load = startOrdersLoad({ urls: () => [api.url], total: totalEvents, perSecond });
    const outages: number[] = [];
    try {
      // ~10 s of load: outages at ~3 s and ~6.5 s, so each lands mid-load with runs in flight.
      await sleep(3_000);
      outages.push(await restartPostgres(databaseUrl, 'fast'));
      await sleep(3_000);
      outages.push(await stopPostgresFor(databaseUrl, 2_000));
      await load.done;
    } catch (error) {
      throw new Error(`${String(error)}\n${cluster.output().slice(-6000)}`);
    }
    expect(load.acknowledged.size).toBe(totalEvents);
    const counts = await waitForRuns(pool, totalEvents, 30_000);
    expect(counts, cluster.output().slice(-6000)).toEqual({ total: totalEvents, unfinished: 0 });
    await expectEachOrderOnce(pool, target, load.acknowledged);

    // Wake-ups after the restarts: idle workers are woken by NOTIFY, not by the (slow) safety poll,
    // so their LISTEN connection came back too. One event at a time, each must finish well under
    // the poll interval.
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      await sleep(300);
      const id = `probe-${i}`;
      const res = await fetch(`${api.url}/hooks/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-event-id': id },
        body: JSON.stringify({ ref: id, qty: 1 }),
      });
      expect(res.status).toBe(202);
      const { runId } = (await res.json()) as { runId: string };
      const started = Date.now();
      for (;;) {
        const row = (await pool.query<{ status: string }>('SELECT status FROM runs WHERE id = $1', [runId]))
          .rows[0];
        if (row?.status === 'succeeded') break;
        if (Date.now() - started > pollMs * 3) throw new Error(`probe ${id} did not finish`);
        await sleep(20);
      }
      latencies.push(Date.now() - started);
    }
    console.info(
      `postgres-restart: outages ${outages.join(', ')} ms; ${load.failedDeliveries()} deliveries retried by senders; ` +
        `${resentWrites(target)} writes re-sent with their key; probe latencies ${latencies.join(', ')} ms; ` +
        `worker starts ${workers.map((w) => w.starts).join(', ')}`,
    );
    // No weft process was restarted: they reconnected by themselves.
    expect(cluster.nodes.every((n) => n.starts === 1 && n.running)).toBe(true);
    // A dead LISTEN would leave each probe to the next poll of either worker: 5 probes all under
    // 1.5 s by luck has a chance of about 0.2 %.
    expect(Math.max(...latencies)).toBeLessThan(1_500);
  }, 90_000);
});
