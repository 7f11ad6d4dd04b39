/**
 * @module trigger/poll
 * Turns a connector's "changes since cursor" into Events for the flows with a `poll` trigger.
 *
 * **One cursor per (Connection, trigger)**, stored in the database (`trigger_cursors`), so it
 * survives restarts and redeploys, and every flow polling the same (Connection, trigger) is fed
 * from one fetch. A flow added later starts from the shared cursor, not from the beginning.
 *
 * **One poller at a time.** A process polls a cursor only while it holds the cursor's lease; in a
 * cluster the others skip it until the lease expires (a dead poller is replaced after `leaseMs`).
 *
 * **Nothing lost, nothing doubled.** A page of changes is ingested first (each change once per
 * flow, by the change's dedupe key), then the cursor moves by compare-and-set. A crash between the
 * two fetches the page again, and the dedupe keys drop what was already accepted. Connectors'
 * cursors are composite (updated time + id) or the System's own, so equal timestamps at a page
 * boundary neither repeat nor skip a record.
 *
 * **Catching up.** While pages come back full of changes the poller asks again at once (up to
 * {@link MAX_PAGES_PER_PASS} per pass), then waits the trigger's `every`. A rate-limited System is
 * asked again after its `retryAfterMs`.
 */
import type { Clock } from '../contract/clock.js';
import { toWeftError } from '../contract/errors.js';
import type { PollTrigger } from '../contract/flow.js';
import type { ConnectionAccess } from '../engine/connection-access.js';
import { durationMs } from '../engine/duration.js';
import type { Ingest } from '../engine/ingest-port.js';
import type { FlowRegistry } from '../flow/registry.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/port.js';
import { PassLoop } from './pass-loop.js';

export const MAX_PAGES_PER_PASS = 50;
export const MIN_POLL_MS = 1_000;
export const RETRY_MS = 5_000;
/** Changes ingested at once: commits of one page overlap without flooding the store. */
const INGEST_PARALLELISM = 32;

export interface PollerDeps {
  store: Pick<Store, 'leaseTriggerCursor' | 'advanceTriggerCursor' | 'releaseTriggerCursor'>;
  registry: Pick<FlowRegistry, 'list' | 'onChange'>;
  connections: ConnectionAccess;
  ingest: Ingest;
  clock: Clock;
  logger: Logger;
  /** This process's lease owner id. */
  owner: string;
  /** How long a cursor stays this process's without a renewal. @default 60000 */
  leaseMs?: number;
  /**
   * Reserves a slot of this process's worker (`Worker.reserveSlot`): changes are ingested no
   * faster than runs can start inline. Absent (a `serve`-only process): ingest into the queue.
   */
  reserveSlot?: () => Promise<boolean>;
}

/** The flows fed by one (Connection, trigger) and how often it is polled. */
export interface PollGroup {
  key: string;
  connection: string;
  trigger: string;
  everyMs: number;
  flows: { name: string; types: readonly string[] | undefined }[];
}

/** Groups the poll-triggered flows by (Connection, trigger); the shortest `every` wins. */
export function pollGroups(flows: readonly { name: string; trigger: PollTrigger }[]): PollGroup[] {
  const groups = new Map<string, PollGroup>();
  for (const { name, trigger } of flows) {
    const key = `${trigger.connection}:${trigger.trigger}`;
    const everyMs = Math.max(MIN_POLL_MS, durationMs(trigger.every));
    const group = groups.get(key) ?? {
      key,
      connection: trigger.connection,
      trigger: trigger.trigger,
      everyMs,
      flows: [],
    };
    group.everyMs = Math.min(group.everyMs, everyMs);
    group.flows.push({ name, types: trigger.types });
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** What one pass over a group did, for logs and tests. */
export interface PollOutcome {
  key: string;
  /** `skipped`: another process holds the cursor's lease. */
  status: 'polled' | 'skipped' | 'failed';
  changes: number;
  events: number;
  /** When the group is due again (epoch ms). */
  nextAt: number;
}

/**
 * Polls connectors for the flows with a `poll` trigger. See the module comment for the guarantees.
 *
 * @example
 * const poller = new Poller({ store, registry, connections, ingest: engine, clock, logger, owner: 'web-1' });
 * poller.start();
 */
export class Poller {
  private readonly deps: PollerDeps;
  private readonly dueAt = new Map<string, number>();
  private readonly held = new Set<string>();
  private readonly loop: PassLoop;

  constructor(deps: PollerDeps) {
    this.deps = deps;
    this.loop = new PassLoop({
      pass: async () => (await this.poll()).wakeAt,
      now: () => deps.clock.now(),
      maxSleepMs: 60_000,
      retryMs: RETRY_MS,
      onError: (err) => deps.logger.error({ err }, 'poll pass failed'),
      subscribe: (wake) => deps.registry.onChange(wake),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Stops polling, waits for a pass in progress and gives the held cursors' leases up. */
  async stop(): Promise<void> {
    await this.loop.stop();
    for (const key of this.held) {
      await this.deps.store
        .releaseTriggerCursor({ key, owner: this.deps.owner })
        .catch((err: unknown) => this.deps.logger.warn({ err, key }, 'releasing a poll cursor failed'));
    }
    this.held.clear();
  }

  /** Polls every due group once; returns the outcomes and when the next pass is due. */
  async poll(): Promise<{ outcomes: PollOutcome[]; wakeAt: number }> {
    const now = this.deps.clock.now();
    const flows = this.deps.registry
      .list()
      .flatMap((f) =>
        f.definition.trigger.kind === 'poll'
          ? [{ name: f.version.flowName, trigger: f.definition.trigger }]
          : [],
      );
    const groups = pollGroups(flows);
    const outcomes: PollOutcome[] = [];
    let wakeAt = now + 60_000;
    for (const group of groups) {
      const due = this.dueAt.get(group.key) ?? now;
      if (due > now) {
        wakeAt = Math.min(wakeAt, due);
        continue;
      }
      const outcome = await this.pollGroup(group);
      this.dueAt.set(group.key, outcome.nextAt);
      outcomes.push(outcome);
      wakeAt = Math.min(wakeAt, outcome.nextAt);
    }
    const active = new Set(groups.map((g) => g.key));
    for (const key of this.dueAt.keys()) if (!active.has(key)) this.dueAt.delete(key);
    return { outcomes, wakeAt };
  }

  private async pollGroup(group: PollGroup): Promise<PollOutcome> {
    const { store, clock, logger, owner } = this.deps;
    const leaseMs = this.deps.leaseMs ?? 60_000;
    const started = clock.now();
    const outcome: PollOutcome = { key: group.key, status: 'polled', changes: 0, events: 0, nextAt: started };
    try {
      const lease = await store.leaseTriggerCursor({ key: group.key, owner, leaseMs, now: started });
      if (lease === null) {
        this.held.delete(group.key);
        return { ...outcome, status: 'skipped', nextAt: started + group.everyMs };
      }
      this.held.add(group.key);
      const { connected } = await this.deps.connections.open(group.connection);
      const trigger = connected.connector.pollTriggers?.[group.trigger];
      if (trigger === undefined) {
        const known = Object.keys(connected.connector.pollTriggers ?? {}).join(', ') || 'none';
        throw new Error(
          `connector ${connected.connector.name} has no poll trigger ${group.trigger} (it has: ${known})`,
        );
      }
      let cursor = lease.cursor;
      for (let page = 0; page < MAX_PAGES_PER_PASS; page++) {
        const { changes, cursor: next } = await trigger.fetchChanges(connected.ctx, cursor);
        outcome.changes += changes.length;
        outcome.events += await this.ingestPage(group, changes);
        const moved = await store.advanceTriggerCursor({
          key: group.key,
          owner,
          from: cursor,
          to: next,
          now: clock.now(),
        });
        if (!moved) {
          // Lease lost mid-pass (a long stall): the new holder fetches from the stored cursor.
          logger.warn({ key: group.key }, 'poll cursor moved by another process; giving it up');
          this.held.delete(group.key);
          return { ...outcome, nextAt: clock.now() + group.everyMs };
        }
        const caughtUp = changes.length === 0 || next === cursor;
        cursor = next;
        if (caughtUp) return { ...outcome, nextAt: clock.now() + group.everyMs };
        await store.leaseTriggerCursor({ key: group.key, owner, leaseMs, now: clock.now() });
      }
      // More pages are waiting: come back at once rather than after `every`.
      return { ...outcome, nextAt: clock.now() };
    } catch (err) {
      const error = toWeftError(err);
      const backoff = Math.max(error.retryAfterMs ?? 0, Math.min(group.everyMs, RETRY_MS));
      logger.error(
        { err: error.toJSON(), key: group.key, connection: group.connection },
        'poll failed; trying again later',
      );
      return { ...outcome, status: 'failed', nextAt: clock.now() + backoff };
    }
  }

  /** Ingests one page of changes into every flow of the group; returns how many Events were new. */
  private async ingestPage(
    group: PollGroup,
    changes: readonly { dedupeKey: string; type: string; payload: unknown }[],
  ): Promise<number> {
    const jobs: (() => Promise<boolean>)[] = [];
    for (const change of changes) {
      for (const flow of group.flows) {
        if (flow.types !== undefined && !flow.types.includes(change.type)) continue;
        jobs.push(async () => {
          const slotReserved = (await this.deps.reserveSlot?.()) === true;
          const result = await this.deps.ingest.ingest({
            ...(slotReserved ? { slotReserved } : {}),
            flowName: flow.name,
            source: 'poll',
            dedupeKey: `poll:${change.dedupeKey}`,
            payload: {
              body: {
                type: change.type,
                connection: group.connection,
                trigger: group.trigger,
                record: change.payload,
              },
              headers: {},
              query: {},
            },
          });
          return !result.duplicate;
        });
      }
    }
    let created = 0;
    let next = 0;
    // A few lanes keep commits overlapping; each takes the next change once a run could start.
    const lane = async () => {
      for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) {
        if (await job()) created += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(INGEST_PARALLELISM, jobs.length) }, lane));
    return created;
  }
}
