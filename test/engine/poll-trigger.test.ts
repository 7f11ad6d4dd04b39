import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/contract/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Store } from '../../src/store/port.js';
import { Poller } from '../../src/trigger/poll.js';
import { type Harness, startHarness } from '../support/engine-harness.js';
import { type NotesSystem, startNotesSystem } from '../support/notes-system.js';

const pollFlow = (name: string, extra = '') => `name: ${name}
trigger:
  kind: poll
  connection: notes
  trigger: notes
  every: 1s${extra}
steps:
  - id: shape
    kind: map
    expression: event.body.record.id
`;

describe('poll triggers', () => {
  let notes: NotesSystem;
  let h: Harness;

  const poller = (owner: string, store: Store = h.store, reserveSlot?: () => Promise<boolean>) =>
    new Poller({
      ...(reserveSlot ? { reserveSlot } : {}),
      store,
      registry: h.registry,
      connections: notes.access(),
      ingest: h.engine,
      clock: systemClock,
      logger: silentLogger,
      owner,
      leaseMs: 60_000,
    });

  /** Ids of the records the flow's events carried, in arrival order. */
  const polledIds = async (flowName: string) =>
    (await h.store.listEvents({ flowName, limit: 1000 }))
      .map((e) => (e.payload.body as { record: { id: string } }).record.id)
      .sort();

  beforeEach(async () => {
    notes = await startNotesSystem();
    h = await startHarness({ connections: notes.access() });
  });
  afterEach(async () => {
    await h.close();
    await notes.close();
  });

  it('turns every change into one Event, paging past equal timestamps without gaps or repeats', async () => {
    await h.deploy(pollFlow('sync-notes'));
    // Ten changes share one timestamp: pages of three end in the middle of them.
    notes.seed(10, 1_700_000_000);
    notes.seed(2, 1_700_000_005);
    const { outcomes } = await poller('p1').poll();
    expect(outcomes[0]).toMatchObject({ status: 'polled', changes: 12, events: 12 });
    const ids = await polledIds('sync-notes');
    expect(ids).toEqual(notes.notes.map((n) => n.id).sort());
    const events = await h.store.listEvents({ flowName: 'sync-notes', limit: 1 });
    expect(events[0]?.source).toBe('poll');
  });

  it('keeps its cursor in the database: a new process resumes after the last change', async () => {
    await h.deploy(pollFlow('resume'));
    notes.seed(4, 1_700_000_000);
    await poller('first').poll();
    const before = (await h.store.listEvents({ flowName: 'resume', limit: 1000 })).length;
    notes.seed(2, 1_700_000_000); // same timestamp as the records already seen, later ids
    const second = poller('second');
    // The first process stopped and gave its lease up.
    await h.store.releaseTriggerCursor({ key: 'notes:notes', owner: 'first' });
    const { outcomes } = await second.poll();
    expect(outcomes[0]).toMatchObject({ changes: 2, events: 2 });
    expect((await h.store.listEvents({ flowName: 'resume', limit: 1000 })).length).toBe(before + 2);
    expect((await h.store.getTriggerCursor('notes:notes'))?.cursor).toMatch(/^1700000000:s\d+$/);
  });

  it('fetches a page again after a crash before the cursor moved, and the dedupe keys drop repeats', async () => {
    await h.deploy(pollFlow('crashy'));
    notes.seed(3, 1_700_000_000);
    let failOnce = true;
    const crashing: Store = Object.create(h.store) as Store;
    crashing.advanceTriggerCursor = async (input) => {
      if (failOnce) {
        failOnce = false;
        throw new Error('process died before the cursor moved');
      }
      return h.store.advanceTriggerCursor(input);
    };
    const first = await poller('p1', crashing).poll();
    expect(first.outcomes[0]?.status).toBe('failed');
    expect((await polledIds('crashy')).length).toBe(3);
    const second = await poller('p1').poll();
    expect(second.outcomes[0]).toMatchObject({ status: 'polled', changes: 3, events: 0 });
    expect((await polledIds('crashy')).length).toBe(3);
  });

  it('lets one process poll a cursor at a time', async () => {
    await h.deploy(pollFlow('shared'));
    notes.seed(2, 1_700_000_000);
    const a = await poller('a').poll();
    const b = await poller('b').poll();
    expect(a.outcomes[0]?.status).toBe('polled');
    expect(b.outcomes[0]?.status).toBe('skipped');
  });

  it('feeds every flow on the same (Connection, trigger) from one fetch, each with its type filter', async () => {
    await h.deploy(pollFlow('all-changes'));
    await h.deploy(pollFlow('only-created', '\n  types: [note.created]'));
    notes.seed(3, 1_700_000_000);
    const requestsBefore = notes.requests;
    const { outcomes } = await poller('p').poll();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ changes: 3, events: 3 });
    expect((await polledIds('all-changes')).length).toBe(3);
    expect(await polledIds('only-created')).toEqual([]);
    // Two pages (3 changes, then an empty one).
    expect(notes.requests - requestsBefore).toBe(2);
  });

  it("waits out the System's Retry-After before asking again", async () => {
    await h.deploy(pollFlow('limited'));
    notes.rateLimitNext(1, 30);
    const started = Date.now();
    const { outcomes } = await poller('p').poll();
    expect(outcomes[0]?.status).toBe('failed');
    expect(outcomes[0]?.nextAt ?? 0).toBeGreaterThanOrEqual(started + 29_000);
  });

  it('ingests no faster than the worker frees slots, when paced', async () => {
    await h.deploy(pollFlow('paced'));
    notes.seed(3, 1_700_000_000);
    let open = false;
    const waiting: (() => void)[] = [];
    // No slot is handed over (false): the runs go through the queue, but not before a slot frees.
    const pass = poller('p', h.store, () =>
      open ? Promise.resolve(false) : new Promise<boolean>((resolve) => waiting.push(() => resolve(false))),
    ).poll();
    await vi.waitFor(() => expect(waiting.length).toBeGreaterThan(0));
    expect(await polledIds('paced')).toEqual([]);
    open = true;
    for (const release of waiting.splice(0)) release();
    expect((await pass).outcomes[0]).toMatchObject({ changes: 3, events: 3 });
  });

  it("starts polled runs in the local worker's reserved slots and leaks none of them", async () => {
    await h.deploy(pollFlow('inline'));
    notes.seed(40, 1_700_000_000);
    const { outcomes } = await poller('p', h.store, () => h.worker.reserveSlot()).poll();
    expect(outcomes[0]).toMatchObject({ changes: 40, events: 40 });
    const runs = await h.store.listRuns({ flowName: 'inline', limit: 100 });
    for (const run of runs) await h.waitForRun(run.id, ['succeeded']);
    // Every slot came back: the worker (16 slots) can reserve all of them again.
    await vi.waitFor(() => {
      const taken = Array.from({ length: 16 }, () => h.worker.tryReserve());
      for (const reserved of taken) if (reserved) h.worker.release();
      expect(taken.every(Boolean)).toBe(true);
    });
  });

  it('keeps its cursor across a redeploy of the flow: the new version gets only new changes', async () => {
    await h.deploy(pollFlow('redeployed'));
    notes.seed(3, 1_700_000_000);
    await poller('p').poll();
    // Version 2: another step, same (Connection, trigger).
    await h.deploy(
      pollFlow('redeployed').replace('expression: event.body.record.id', 'expression: event.body.type'),
    );
    notes.seed(2, 1_700_000_001);
    const { outcomes } = await poller('p').poll();
    expect(outcomes[0]).toMatchObject({ changes: 2, events: 2 });
    expect((await polledIds('redeployed')).length).toBe(5);
  });
});
