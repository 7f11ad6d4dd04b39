import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep, WeftCluster } from '../support/cluster.js';
import { useClusterWorld } from '../support/cluster-fixture.js';

/**
 * Issue 3, test b: a schedule fires once per tick however many processes run a scheduler. Three
 * processes with the same every-second schedule run side by side for ~4.5 s; afterwards the
 * database holds exactly one event per tick (none twice, none missing while all three ran), each
 * with one succeeded run, and the tick's write reached the target once.
 */
const windowMs = 4_500;

const world = useClusterWorld('cluster_sched');

describe('cluster: schedules', () => {
  it('three processes with one every-second schedule make exactly one event per tick', async () => {
    const { databaseUrl, pool, target, tmp, adopt } = await world();
    const flowsDir = path.join(tmp, 'flows');
    fs.mkdirSync(flowsDir);
    // `missed: all`: a tick noticed late (a 2-core CI box busy for a second) still fires, so a gap
    // can only mean the processes lost a tick between them. It also makes duplicates likelier, not
    // rarer: every process that notices a late tick tries to fire it.
    fs.writeFileSync(
      path.join(flowsDir, 'ticker.yaml'),
      `
name: ticker
trigger:
  kind: schedule
  cron: "* * * * * *"
  missed: all
steps:
  - id: tick
    kind: action
    connector: http
    request: { url: '${target.url}/ticks', body: '{ "tick": event.body.tick }' }
`,
    );
    const cluster = adopt(
      new WeftCluster({
        databaseUrl,
        flowsDir,
        env: { WEFT_ADMIN_TOKEN: 'cluster-test-admin-token-0123456789' },
      }),
    );
    await cluster.migrate();
    // `start` roles: each runs a scheduler and a worker, so the tick runs finish too.
    const first = await cluster.add({ role: 'start' });
    const others = await cluster.addMany({ role: 'start' }, 2);
    const allRunning = Date.now();
    await sleep(windowMs);
    const stopping = Date.now();
    // Graceful: schedulers stop first, runs in flight finish and commit.
    await cluster.stop(10_000);
    expect([first, ...others].every((n) => !n.running)).toBe(true);

    const rows = (
      await pool.query<{ dedupe_key: string; tick: string; runs: number; ok: number }>(
        `SELECT e.dedupe_key, e.payload->'body'->>'tick' AS tick, count(r.id)::int AS runs,
           (count(*) FILTER (WHERE r.status = 'succeeded'))::int AS ok
         FROM events e LEFT JOIN runs r ON r.event_id = e.id
         WHERE e.source = 'schedule' GROUP BY e.id ORDER BY tick`,
      )
    ).rows;
    const ticks = rows.map((r) => Date.parse(r.tick));
    const detail = `ticks: ${rows.map((r) => r.tick).join(', ')}\n${cluster.output().slice(-4000)}`;

    // None twice, by tick (the dedupe key is derived from it, but check what users would see).
    expect(new Set(ticks).size, detail).toBe(ticks.length);
    expect(
      rows.every((r) => r.dedupe_key === `schedule:${r.tick}`),
      detail,
    ).toBe(true);
    // Whole seconds, and consecutive: no gaps anywhere, including while processes started.
    expect(
      ticks.every((t) => t % 1000 === 0),
      detail,
    ).toBe(true);
    const gaps = ticks.slice(1).filter((t, i) => t - ticks[i]! !== 1000);
    expect(gaps, detail).toEqual([]);
    // Every tick while all three ran, with a second of slack at each end.
    for (let t = Math.ceil((allRunning + 1000) / 1000) * 1000; t <= stopping - 1000; t += 1000) {
      expect(ticks, `${new Date(t).toISOString()} missing; ${detail}`).toContain(t);
    }
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    // Each tick ran once and wrote once.
    expect(
      rows.filter((r) => r.runs !== 1 || r.ok !== 1),
      detail,
    ).toEqual([]);
    expect(target.effects.size).toBe(rows.length);
    expect([...target.effects.values()].every((n) => n === 1)).toBe(true);
    expect(target.unkeyedEffects).toBe(0);
    console.info(
      `schedule-once: ${rows.length} ticks from ${rows[0]?.tick} to ${rows.at(-1)?.tick}, ` +
        `all three running for ${stopping - allRunning} ms`,
    );
  }, 60_000);
});
