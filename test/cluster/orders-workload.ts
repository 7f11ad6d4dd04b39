import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { expect } from 'vitest';
import { sleep, waitFor } from '../support/cluster.js';
import type { TargetServer } from '../support/target-server.js';

/**
 * The workload the cluster crash tests share with test/crash/kill-9.test.ts: an order webhook
 * whose flow reserves stock and then invoices against the reservation, two writes to a target that
 * honours Idempotency-Key, with a short durable wait between them so kills land between the writes.
 */

export const ordersHookPath = 'orders';

/** Writes the orders flow into `flowsDir`. */
export function writeOrdersFlow(flowsDir: string, targetUrl: string): void {
  fs.mkdirSync(flowsDir, { recursive: true });
  fs.writeFileSync(
    path.join(flowsDir, 'orders.yaml'),
    `
name: orders
trigger:
  kind: webhook
  path: ${ordersHookPath}
  dedupe: { header: x-event-id }
steps:
  - id: order
    kind: map
    set:
      ref: event.body.ref
      total: event.body.qty * 10
  - id: reserve
    kind: action
    connector: http
    request: { url: '${targetUrl}/reservations', body: 'steps.order' }
  - { id: settle, kind: wait, duration: 20ms }
  - id: invoice
    kind: action
    connector: http
    request: { url: '${targetUrl}/invoices', body: '{ "ref": steps.order.ref, "reservation": steps.reserve.body.id }' }
`,
  );
}

export interface OrdersLoad {
  /** Event ids a process acknowledged with a 2xx. */
  acknowledged: Set<string>;
  /** Deliveries that failed (connection refused/reset, 5xx) and were sent again. */
  failedDeliveries(): number;
  /** Resolves when every event was acknowledged; rejects if one never was. */
  done: Promise<void>;
}

/**
 * Sends `total` order events at about `perSecond`, spread over `urls` round-robin, from `senders`
 * concurrent senders. Each sender retries a delivery until it is acknowledged, as real webhook
 * senders do; the `x-event-id` dedupe header makes that safe.
 */
export function startOrdersLoad(opts: {
  urls: () => string[];
  total: number;
  perSecond: number;
  senders?: number;
  /** Give up on an event after this long (the test then fails). Default 45 s. */
  giveUpMs?: number;
}): OrdersLoad {
  const acknowledged = new Set<string>();
  let failed = 0;
  let next = 0;
  let delivery = 0;
  const t0 = Date.now();
  const giveUpMs = opts.giveUpMs ?? 45_000;

  const sendUntilAcknowledged = async (id: string): Promise<void> => {
    const deadline = Date.now() + giveUpMs;
    while (Date.now() < deadline) {
      const urls = opts.urls();
      const url = urls[delivery++ % urls.length];
      try {
        const res = await fetch(`${url}/hooks/${ordersHookPath}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-event-id': id },
          body: JSON.stringify({ ref: id, qty: 3 }),
          signal: AbortSignal.timeout(10_000),
        });
        await res.body?.cancel();
        if (res.status >= 200 && res.status < 300) {
          acknowledged.add(id);
          return;
        }
      } catch {
        // Refused, reset or timed out: not acknowledged, so send again.
      }
      failed++;
      await sleep(100);
    }
    throw new Error(`event ${id} was never acknowledged in ${giveUpMs} ms`);
  };

  const senders = Array.from({ length: opts.senders ?? 8 }, async () => {
    while (next < opts.total) {
      const i = next++;
      // Paced: steady load over the whole kill window, not one burst at the start.
      const due = t0 + (i * 1000) / opts.perSecond;
      if (due > Date.now()) await sleep(due - Date.now());
      await sendUntilAcknowledged(`evt-${i}`);
    }
  });
  return { acknowledged, failedDeliveries: () => failed, done: Promise.all(senders).then(() => undefined) };
}

/** Waits until `expected` runs exist and all succeeded; returns the last counts seen. */
export async function waitForRuns(
  pool: pg.Pool,
  expected: number,
  timeoutMs: number,
): Promise<{ total: number; unfinished: number }> {
  let last = { total: -1, unfinished: -1 };
  await waitFor(
    async () => {
      const row = (
        await pool.query<{ total: number; unfinished: number }>(
          "SELECT count(*)::int AS total, (count(*) FILTER (WHERE status <> 'succeeded'))::int AS unfinished FROM runs",
        )
      ).rows[0];
      if (row !== undefined) last = row;
      return last.total === expected && last.unfinished === 0;
    },
    timeoutMs,
    200,
  );
  return last;
}

/**
 * The promise of a durable engine, checked in the database and at the target: every acknowledged
 * event has exactly one run, and it succeeded; each write reached the target once per (run, step)
 * under its Idempotency-Key; nothing unkeyed; and every invoice names the reservation the target
 * made first for that run — a resumed run replayed its journal instead of reserving again.
 */
export async function expectEachOrderOnce(
  pool: pg.Pool,
  target: TargetServer,
  acknowledged: Set<string>,
): Promise<void> {
  const perEvent = (
    await pool.query<{ id: string; runs: number; ok: number }>(
      `SELECT e.dedupe_key AS id, count(r.id)::int AS runs, (count(*) FILTER (WHERE r.status = 'succeeded'))::int AS ok
       FROM events e LEFT JOIN runs r ON r.event_id = e.id GROUP BY e.id`,
    )
  ).rows;
  const runIds = (await pool.query<{ id: string }>('SELECT id FROM runs')).rows.map((r) => r.id);

  expect(perEvent).toHaveLength(acknowledged.size);
  expect(new Set(perEvent.map((e) => e.id))).toEqual(acknowledged);
  expect(perEvent.filter((e) => e.runs !== 1 || e.ok !== 1)).toEqual([]);
  const expectedKeys = new Set(runIds.flatMap((id) => [`${id}:reserve`, `${id}:invoice`]));
  expect(new Set(target.effects.keys())).toEqual(expectedKeys);
  expect([...target.effects.values()].filter((n) => n !== 1)).toEqual([]);
  expect(target.unkeyedEffects).toBe(0);
  const mismatched = target.requests
    .filter((r) => r.path === '/invoices')
    .filter((req) => {
      const runId = (req.idempotencyKey ?? '').split(':')[0] ?? '';
      const reservation = target.answers.get(`${runId}:reserve`) as { id: string } | undefined;
      return (req.body as { reservation?: string }).reservation !== reservation?.id;
    });
  expect(mismatched.map((r) => r.idempotencyKey)).toEqual([]);
}

/** Writes the target saw more than once (the same key again): evidence that kills hit runs mid-flight. */
export function resentWrites(target: TargetServer): number {
  return target.requests.filter((r) => r.idempotencyKey !== undefined).length - target.effects.size;
}
