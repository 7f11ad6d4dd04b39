import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { writeOrdersFlow } from '../cluster/orders-workload.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';
import { freePort, startWeftProcess, type WeftProcess } from '../support/weft-process.js';

/**
 * The promise users care about most: an event Weft acknowledged is run exactly once, and each of its
 * writes reaches the target once, even when the process is killed with SIGKILL mid-run, repeatedly.
 * Bounded: a fixed number of events and kills; the whole test takes well under a minute.
 */
const totalEvents = 300;
const kills = 4;

let target: TargetServer;
let weft: WeftProcess | undefined;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-crash-'));
afterAll(async () => {
  await weft?.kill('SIGKILL');
  await target?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('kill -9 under load', () => {
  it('every acknowledged event has exactly one completed run and each write happened once', async () => {
    target = await startTargetServer();
    // Slow writes keep runs in flight when the kill lands.
    target.setBehaviour(() => ({ kind: 'ok' }));
    const flowsDir = path.join(tmp, 'flows');
    writeOrdersFlow(flowsDir, target.url);
    const dataDir = path.join(tmp, 'data');
    const port = await freePort();
    const start = () =>
      startWeftProcess({
        dataDir,
        port,
        flowsDir,
        env: { WEFT_ADMIN_TOKEN: 'crash-test-admin-token-0123456789' },
      });
    weft = await start();

    const acknowledged = new Set<string>();
    let next = 0;
    let killing = false;
    // A webhook sender retries until it gets a 2xx, as real senders do; the dedupe key makes that safe.
    const sendUntilAcknowledged = async (id: string) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/hooks/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-event-id': id },
            body: JSON.stringify({ ref: id, qty: 3 }),
          });
          if (res.status >= 200 && res.status < 300) {
            acknowledged.add(id);
            return;
          }
        } catch {
          // The process is down (we killed it); try again shortly.
        }
        await new Promise((r) => setTimeout(r, killing ? 100 : 20));
      }
      throw new Error(`event ${id} was never acknowledged`);
    };
    const senders = Array.from({ length: 8 }, async () => {
      while (next < totalEvents) {
        const id = `evt-${next++}`;
        await sendUntilAcknowledged(id);
      }
    });

    for (let k = 0; k < kills; k++) {
      await new Promise((r) => setTimeout(r, 600 + Math.random() * 600));
      killing = true;
      await weft.kill('SIGKILL');
      weft = await start();
      killing = false;
    }
    await Promise.all(senders);
    expect(acknowledged.size).toBe(totalEvents);

    // Let the last process finish everything it holds, then inspect the database directly.
    const db = new Database(path.join(dataDir, 'weft.db'), { readonly: true });
    const deadline = Date.now() + 30_000;
    let unfinished = 1;
    while (Date.now() < deadline) {
      unfinished = (
        db.prepare("SELECT count(*) AS n FROM runs WHERE status <> 'succeeded'").get() as { n: number }
      ).n;
      const total = (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n;
      if (unfinished === 0 && total === totalEvents) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const perEvent = db
      .prepare(
        "SELECT e.dedupe_key AS id, count(r.id) AS runs, sum(r.status = 'succeeded') AS ok FROM events e LEFT JOIN runs r ON r.event_id = e.id GROUP BY e.id",
      )
      .all() as { id: string; runs: number; ok: number }[];
    const runIds = (db.prepare('SELECT id FROM runs').all() as { id: string }[]).map((r) => r.id);
    db.close();

    expect(unfinished).toBe(0);
    expect(perEvent).toHaveLength(totalEvents);
    expect(new Set(perEvent.map((e) => e.id))).toEqual(acknowledged);
    expect(perEvent.filter((e) => e.runs !== 1 || e.ok !== 1)).toEqual([]);
    // Each run made two writes, each applied exactly once by the target.
    const expectedKeys = new Set(runIds.flatMap((id) => [`${id}:reserve`, `${id}:invoice`]));
    expect(new Set(target.effects.keys())).toEqual(expectedKeys);
    expect(target.unkeyedEffects).toBe(0);
    // A resumed run replays its journal: the invoice always names the reservation the target made
    // first, even when the process died between the two writes and the run was resumed elsewhere.
    for (const req of target.requests.filter((r) => r.path === '/invoices')) {
      const runId = (req.idempotencyKey as string).split(':')[0];
      const reservation = target.answers.get(`${runId}:reserve`) as { id: string };
      expect((req.body as { reservation: string }).reservation).toBe(reservation.id);
    }
  }, 120_000);
});
