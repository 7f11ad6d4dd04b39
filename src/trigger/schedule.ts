/**
 * @module trigger/schedule
 * Turns cron ticks of schedule-triggered flows into Events.
 *
 * **One firing per tick.** Each tick is ingested with dedupe key `schedule:<tick ISO>`, so however
 * many processes run a Scheduler and however often one restarts, a tick becomes at most one Event.
 * The store moves the flow's schedule cursor (`lastTickAt`) in the same transaction as the Event.
 *
 * **Where a flow's schedule starts.** The cursor is created at "now" the first time a flow is seen,
 * so deploying never fires history. Ticks before the current version's `createdAt` are never due
 * either: they belong to a schedule (perhaps another cron) that this version did not have.
 *
 * **Missed ticks** (due ticks that passed while no process was running, or while the loop was
 * blocked), by the trigger's `missed` policy:
 * - `skip`: the most recent due tick fires only if it is at most {@link SKIP_GRACE_MS} late;
 *   older ones are dropped and the cursor moves past them (in memory: re-deriving the same skip
 *   after a restart is harmless, because they are still late).
 * - `latest` (default): one Event for the most recent due tick.
 * - `all`: one Event per due tick, oldest first, at most {@link MAX_TICKS_PER_PASS} (the newest).
 *
 * Every Event's body is `{ tick, missedTicks, ...trigger.payload }`, where `missedTicks` counts the
 * earlier due ticks that got no Event of their own (counted up to {@link MAX_TICKS_PER_PASS}, so
 * that value means "at least").
 *
 * Between passes the Scheduler sleeps until the next tick (at most {@link MAX_SLEEP_MS}, on an
 * unref'd timer) and re-plans at once when the registry reports a change. A failed ingest is
 * retried after {@link RETRY_MS}; the dedupe key makes the retry safe.
 */
import { Cron } from 'croner';
import type { Clock } from '../contract/clock.js';
import type { ScheduleTrigger } from '../contract/flow.js';
import type { Ingest } from '../engine/ingest-port.js';
import type { CompiledFlow } from '../flow/compiled.js';
import type { FlowRegistry } from '../flow/registry.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/port.js';
import { PassLoop } from './pass-loop.js';

export const SKIP_GRACE_MS = 2_000;
export const MAX_TICKS_PER_PASS = 1_000;
export const MAX_SLEEP_MS = 60_000;
export const RETRY_MS = 5_000;

export interface SchedulerDeps {
  store: Pick<Store, 'getScheduleState' | 'initScheduleState'>;
  registry: Pick<FlowRegistry, 'list' | 'onChange'>;
  ingest: Ingest;
  clock: Clock;
  logger: Logger;
}

/** Due ticks in (cursor, now]: the newest ones (ascending) and how many earlier ones were left out. */
export interface DueTicks {
  ticks: number[];
  earlier: number;
}

/** One Event to ingest. */
export interface Firing {
  tickAt: number;
  missedTicks: number;
}

/**
 * The due ticks of `cron` after `cursor` up to `now` (inclusive). Walks forward from the cursor, so
 * the usual case costs one or two steps; after a long outage it returns the newest
 * {@link MAX_TICKS_PER_PASS} instead of replaying from the start.
 */
export function dueTicks(cron: Cron, cursor: number, now: number): DueTicks {
  const forward: number[] = [];
  let t = cursor;
  while (forward.length <= MAX_TICKS_PER_PASS) {
    const next = cron.nextRun(new Date(t))?.getTime();
    if (next === undefined || next > now) break;
    forward.push(next);
    t = next;
  }
  if (forward.length <= MAX_TICKS_PER_PASS) return { ticks: forward, earlier: 0 };
  // croner includes a run earlier in the reference's second, so `now + 1` includes a tick at `now`.
  const newest = cron
    .previousRuns(MAX_TICKS_PER_PASS, new Date(now + 1))
    .map((d) => d.getTime())
    .filter((tick) => tick > cursor)
    .reverse();
  const first = newest[0] ?? now;
  return {
    ticks: newest,
    earlier: Math.min(forward.filter((tick) => tick < first).length, MAX_TICKS_PER_PASS),
  };
}

/** Which ticks become Events under a missed-tick policy (pure; see the module comment). */
export function planFirings(policy: ScheduleTrigger['missed'], due: DueTicks, now: number): Firing[] {
  const last = due.ticks.at(-1);
  if (last === undefined) return [];
  const missedBeforeLast = Math.min(due.ticks.length - 1 + due.earlier, MAX_TICKS_PER_PASS);
  switch (policy) {
    case 'all':
      return due.ticks.map((tickAt, i) => ({ tickAt, missedTicks: i === 0 ? due.earlier : 0 }));
    case 'latest':
      return [{ tickAt: last, missedTicks: missedBeforeLast }];
    case 'skip':
      return now - last <= SKIP_GRACE_MS ? [{ tickAt: last, missedTicks: missedBeforeLast }] : [];
  }
}

/**
 * Fires schedule-triggered flows. See the module comment for the guarantees.
 *
 * @example
 * const scheduler = new Scheduler({ store, registry, ingest, clock, logger });
 * scheduler.start();
 * // …
 * await scheduler.stop();
 */
export class Scheduler {
  private readonly deps: SchedulerDeps;
  private readonly crons = new Map<string, Cron>();
  /** Per flow, ticks known to be handled beyond the stored cursor (skipped ones). */
  private readonly cursors = new Map<string, number>();
  private readonly loop: PassLoop;

  constructor(deps: SchedulerDeps) {
    this.deps = deps;
    this.loop = new PassLoop({
      pass: () => this.poll(),
      now: () => deps.clock.now(),
      maxSleepMs: MAX_SLEEP_MS,
      retryMs: RETRY_MS,
      onError: (err) => deps.logger.error({ err }, 'schedule pass failed'),
      subscribe: (wake) => deps.registry.onChange(wake),
    });
  }

  /** Starts firing; re-plans whenever the registry changes. */
  start(): void {
    this.loop.start();
  }

  /** Stops firing and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /**
   * One pass over all schedule-triggered flows: fires what is due and returns when the next pass
   * should run (epoch ms). `start()` drives passes from a timer; tests call this directly.
   */
  async poll(): Promise<number> {
    const now = this.deps.clock.now();
    let wakeAt = now + MAX_SLEEP_MS;
    const active = new Set<string>();
    for (const flow of this.deps.registry.list()) {
      const trigger = flow.definition.trigger;
      if (trigger.kind !== 'schedule') continue;
      active.add(flow.version.flowName);
      try {
        wakeAt = Math.min(wakeAt, await this.pollFlow(flow, trigger, now));
      } catch (err) {
        this.deps.logger.error({ err, flow: flow.version.flowName }, 'schedule pass failed; retrying');
        wakeAt = Math.min(wakeAt, now + RETRY_MS);
      }
    }
    for (const name of this.cursors.keys()) if (!active.has(name)) this.cursors.delete(name);
    return wakeAt;
  }

  /** Fires one flow's due ticks; returns its next tick (or later). Throws when an ingest fails. */
  private async pollFlow(flow: CompiledFlow, trigger: ScheduleTrigger, now: number): Promise<number> {
    const name = flow.version.flowName;
    const cron = this.cronFor(flow, trigger);
    const { store, ingest, logger } = this.deps;
    const state =
      (await store.getScheduleState(name)) ??
      (await store.initScheduleState({ flowName: name, flowVersionId: flow.version.id, lastTickAt: now }));
    let cursor = Math.max(state.lastTickAt, flow.version.createdAt, this.cursors.get(name) ?? 0);

    const due = dueTicks(cron, cursor, now);
    const firings = planFirings(trigger.missed, due, now);
    for (const { tickAt, missedTicks } of firings) {
      const tick = new Date(tickAt).toISOString();
      const result = await ingest.ingest({
        flowName: name,
        source: 'schedule',
        dedupeKey: `schedule:${tick}`,
        payload: { body: { tick, missedTicks, ...payloadFields(trigger.payload) }, headers: {}, query: {} },
        scheduleTick: { tickAt },
      });
      cursor = tickAt;
      this.cursors.set(name, cursor);
      logger.debug({ flow: name, tick, missedTicks, duplicate: result.duplicate }, 'schedule tick');
    }
    if (due.earlier > 0 && trigger.missed === 'all') {
      logger.warn(
        { flow: name, dropped: due.earlier },
        `more than ${MAX_TICKS_PER_PASS} ticks were due; oldest dropped`,
      );
    }
    const last = due.ticks.at(-1);
    if (last !== undefined && last > cursor) {
      logger.info(
        { flow: name, policy: trigger.missed, skipped: due.ticks.length + due.earlier },
        'skipped late ticks',
      );
      cursor = last;
      this.cursors.set(name, cursor);
    }
    const next = cron.nextRun(new Date(Math.max(cursor, now)));
    return next === null ? now + MAX_SLEEP_MS : next.getTime();
  }

  private cronFor(flow: CompiledFlow, trigger: ScheduleTrigger): Cron {
    let cron = this.crons.get(flow.version.id);
    if (cron === undefined) {
      // No callback: croner only computes times here and starts no timer of its own.
      cron = new Cron(trigger.cron, { timezone: trigger.timezone, paused: true });
      this.crons.set(flow.version.id, cron);
    }
    return cron;
  }
}

/** The trigger's `payload` spread into the body when it is an object, else kept under `payload`. */
function payloadFields(payload: unknown): Record<string, unknown> {
  if (payload === undefined) return {};
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    return payload as Record<string, unknown>;
  }
  return { payload };
}
