import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../contract/clock.js';
import type { Ingest, IngestRequest, IngestResult } from '../engine/ingest-port.js';
import { FlowRegistry } from '../flow/registry.js';
import { ManualClock, MemoryFlowStore } from '../flow/testing.js';
import { silentLogger } from '../observability/logger.js';
import { dueTicks, MAX_TICKS_PER_PASS, planFirings, RETRY_MS, Scheduler } from './schedule.js';

const T0 = Date.parse('2024-03-01T12:00:00.000Z');

/** Dedupes like the store and moves the schedule cursor like `acceptEvent({ scheduleTick })`. */
class FakeIngest implements Ingest {
  readonly accepted: IngestRequest[] = [];
  readonly calls: IngestRequest[] = [];
  failNext = 0;
  private readonly keys = new Set<string>();

  constructor(private readonly store: MemoryFlowStore) {}

  async ingest(request: IngestRequest): Promise<IngestResult> {
    this.calls.push(request);
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('database is locked');
    }
    const key = `${request.flowName}|${request.dedupeKey}`;
    if (this.keys.has(key)) return { eventId: 'evt_dup', runId: null, duplicate: true };
    this.keys.add(key);
    this.accepted.push(request);
    if (request.scheduleTick) this.store.moveScheduleCursor(request.flowName, request.scheduleTick.tickAt);
    return { eventId: `evt_${this.accepted.length}`, runId: `run_${this.accepted.length}`, duplicate: false };
  }

  ticks(): string[] {
    return this.accepted.map((r) => (r.payload.body as { tick: string }).tick);
  }
}

const scheduleFlow = (cron: string, missed: string, extra = '') =>
  `name: tick\ntrigger:\n  kind: schedule\n  cron: "${cron}"\n  missed: ${missed}\n${extra}steps:\n  - id: a\n    kind: map\n    expression: event.body\n`;

async function setup(
  cron: string,
  missed: 'skip' | 'latest' | 'all',
  opts: { deployedAt?: number; extra?: string } = {},
) {
  const store = new MemoryFlowStore();
  const clock = new ManualClock(T0);
  const registry = new FlowRegistry({ store, clock, logger: silentLogger });
  await registry.deploy({
    source: scheduleFlow(cron, missed, opts.extra),
    file: 't.yaml',
    actor: 't',
    now: opts.deployedAt ?? T0 - 60_000,
  });
  const ingest = new FakeIngest(store);
  const scheduler = () => new Scheduler({ store, registry, ingest, clock, logger: silentLogger });
  return { store, clock, registry, ingest, scheduler };
}

describe('Scheduler', () => {
  it('never fires history on first sight, then fires each tick once', async () => {
    const { clock, ingest, store, scheduler } = await setup('* * * * * *', 'all');
    const s = scheduler();
    await s.poll();
    expect(ingest.accepted).toHaveLength(0);
    expect(store.schedules.get('tick')?.lastTickAt).toBe(T0);

    clock.advance(1_000);
    const wakeAt = await s.poll();
    expect(ingest.ticks()).toEqual(['2024-03-01T12:00:01.000Z']);
    expect(wakeAt).toBe(T0 + 2_000);

    await s.poll();
    clock.advance(300);
    await s.poll();
    expect(ingest.calls).toHaveLength(1);
  });

  it('sends the tick, missedTicks and the trigger payload, with a per-tick dedupe key', async () => {
    const { clock, ingest, scheduler } = await setup('* * * * * *', 'latest', {
      extra: '  payload:\n    report: daily\n',
    });
    const s = scheduler();
    await s.poll();
    clock.advance(1_000);
    await s.poll();
    expect(ingest.accepted[0]).toEqual({
      flowName: 'tick',
      source: 'schedule',
      dedupeKey: 'schedule:2024-03-01T12:00:01.000Z',
      payload: {
        body: { tick: '2024-03-01T12:00:01.000Z', missedTicks: 0, report: 'daily' },
        headers: {},
        query: {},
      },
      scheduleTick: { tickAt: T0 + 1_000 },
    });
  });

  it('does not fire a tick twice across a restart', async () => {
    const { clock, ingest, scheduler } = await setup('* * * * * *', 'all');
    await scheduler().poll();
    clock.advance(2_000);
    await scheduler().poll();
    await scheduler().poll();
    expect(ingest.ticks()).toEqual(['2024-03-01T12:00:01.000Z', '2024-03-01T12:00:02.000Z']);
    expect(ingest.calls).toHaveLength(2);
  });

  it('fires each tick once when two processes poll at the same time', async () => {
    const { clock, ingest, scheduler } = await setup('* * * * * *', 'all');
    const a = scheduler();
    const b = scheduler();
    await a.poll();
    clock.advance(3_000);
    await Promise.all([a.poll(), b.poll()]);
    expect(ingest.ticks()).toHaveLength(3);
  });

  it("'latest' fires the most recent missed tick once, counting the others", async () => {
    const { clock, ingest, scheduler } = await setup('* * * * * *', 'latest');
    await scheduler().poll();
    clock.advance(10_000); // down for ten seconds
    await scheduler().poll();
    expect(ingest.accepted).toHaveLength(1);
    expect(ingest.accepted[0]?.payload.body).toMatchObject({
      tick: '2024-03-01T12:00:10.000Z',
      missedTicks: 9,
    });
  });

  it("'all' fires every missed tick, oldest first", async () => {
    const { clock, ingest, scheduler } = await setup('* * * * * *', 'all');
    await scheduler().poll();
    clock.advance(5_000);
    await scheduler().poll();
    expect(ingest.ticks()).toEqual([1, 2, 3, 4, 5].map((s) => `2024-03-01T12:00:0${s}.000Z`));
  });

  it("'skip' drops ticks that are too late and fires the next one on time", async () => {
    const { clock, ingest, scheduler } = await setup('* * * * *', 'skip');
    const s = scheduler();
    await s.poll();
    clock.advance(10 * 60_000 + 30_000); // down for ten minutes; now is 30 s past the last tick
    const wakeAt = await s.poll();
    expect(ingest.accepted).toHaveLength(0);
    expect(wakeAt).toBe(T0 + 11 * 60_000);
    clock.set(T0 + 11 * 60_000 + 5); // the next tick, on time
    await s.poll();
    expect(ingest.accepted[0]?.payload.body).toMatchObject({
      tick: '2024-03-01T12:11:00.000Z',
      missedTicks: 0,
    });
  });

  it("'skip' still fires a tick that is only slightly late", async () => {
    const { clock, ingest, scheduler } = await setup('* * * * *', 'skip');
    const s = scheduler();
    await s.poll();
    clock.advance(60_000 + 1_500);
    await s.poll();
    expect(ingest.ticks()).toEqual(['2024-03-01T12:01:00.000Z']);
  });

  it('does not fire ticks from before the current version was deployed', async () => {
    const { clock, ingest, scheduler, store } = await setup('* * * * * *', 'all', { deployedAt: T0 + 5_000 });
    store.schedules.set('tick', { flowName: 'tick', flowVersionId: 'fv_old', lastTickAt: T0 - 60_000 });
    clock.set(T0 + 7_000);
    await scheduler().poll();
    expect(ingest.ticks()).toEqual(['2024-03-01T12:00:06.000Z', '2024-03-01T12:00:07.000Z']);
  });

  it('retries a tick whose ingest failed', async () => {
    const { clock, ingest, scheduler } = await setup('* * * * * *', 'all');
    const s = scheduler();
    await s.poll();
    clock.advance(1_000);
    ingest.failNext = 1;
    expect(await s.poll()).toBe(clock.now() + RETRY_MS);
    expect(ingest.accepted).toHaveLength(0);
    await s.poll();
    expect(ingest.ticks()).toEqual(['2024-03-01T12:00:01.000Z']);
  });

  it('fires on its own timer once started, and stops', async () => {
    const store = new MemoryFlowStore();
    const registry = new FlowRegistry({ store, clock: systemClock, logger: silentLogger });
    await registry.load();
    const ingest = new FakeIngest(store);
    const s = new Scheduler({ store, registry, ingest, clock: systemClock, logger: silentLogger });
    s.start();
    // Deployed after start: the registry change must re-plan without waiting for the 60 s cap.
    await registry.deploy({
      source: scheduleFlow('* * * * * *', 'all'),
      file: 't.yaml',
      actor: 't',
      now: Date.now() - 5_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    await s.stop();
    const fired = ingest.accepted.length;
    expect(fired).toBeGreaterThanOrEqual(1);
    expect(fired).toBeLessThanOrEqual(2);
    expect(new Set(ingest.ticks()).size).toBe(fired);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect(ingest.accepted.length).toBe(fired);
  });
});

describe('dueTicks and planFirings', () => {
  const everySecond = new Cron('* * * * * *', { paused: true, timezone: 'UTC' });

  it('lists due ticks after the cursor up to and including now', () => {
    expect(dueTicks(everySecond, T0, T0 + 2_000)).toEqual({ ticks: [T0 + 1_000, T0 + 2_000], earlier: 0 });
    expect(dueTicks(everySecond, T0 + 500, T0 + 999)).toEqual({ ticks: [], earlier: 0 });
  });

  it('keeps the newest ticks after a long outage', () => {
    const due = dueTicks(everySecond, T0, T0 + 2 * 3_600_000);
    expect(due.ticks).toHaveLength(MAX_TICKS_PER_PASS);
    expect(due.ticks.at(-1)).toBe(T0 + 2 * 3_600_000);
    expect(due.earlier).toBe(MAX_TICKS_PER_PASS);
    expect(planFirings('latest', due, T0 + 2 * 3_600_000)).toEqual([
      { tickAt: T0 + 2 * 3_600_000, missedTicks: MAX_TICKS_PER_PASS },
    ]);
  });

  it('computes ticks in the trigger timezone', () => {
    const nineInNewYork = new Cron('0 9 * * *', { paused: true, timezone: 'America/New_York' });
    const { ticks } = dueTicks(
      nineInNewYork,
      Date.parse('2024-03-08T00:00:00Z'),
      Date.parse('2024-03-12T00:00:00Z'),
    );
    // Daylight saving time starts on 10 March: 9:00 moves from 14:00Z to 13:00Z.
    expect(ticks.map((t) => new Date(t).toISOString())).toEqual([
      '2024-03-08T14:00:00.000Z',
      '2024-03-09T14:00:00.000Z',
      '2024-03-10T13:00:00.000Z',
      '2024-03-11T13:00:00.000Z',
    ]);
  });

  it('plans nothing when nothing is due', () => {
    expect(planFirings('all', { ticks: [], earlier: 0 }, T0)).toEqual([]);
  });
});
