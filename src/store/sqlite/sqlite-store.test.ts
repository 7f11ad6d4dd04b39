import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { WeftError } from '../../contract/errors.js';
import { acceptRun, eventInput, publish, T0 } from '../conformance/fixtures.js';
import { describeStoreConformance } from '../conformance.js';
import { migrations } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'weft-sqlite-store-'));
let n = 0;
const freshPath = () => join(dir, `store-${++n}.db`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreConformance('sqlite (temp file)', async () => SqliteStore.open({ path: freshPath() }));

describe('SqliteStore', () => {
  it('runs in WAL mode with foreign keys on', async () => {
    const store = SqliteStore.open({ path: freshPath() });
    try {
      expect(store.dialect).toBe('sqlite');
      expect(store.pragma('journal_mode')).toBe('wal');
      expect(store.pragma('foreign_keys')).toBe(1);
      expect(store.pragma('synchronous')).toBe(1); // NORMAL
      expect(store.pragma('busy_timeout')).toBe(5000);
    } finally {
      await store.close();
    }
  });

  it('keeps its data across a reopen, and migrating again applies nothing', async () => {
    const path = join(dir, 'nested', 'dir', 'weft.db');
    const first = SqliteStore.open({ path });
    expect(await first.migrate()).toEqual({
      applied: migrations.map((m) => m.id),
      current: migrations.length,
    });
    const { version } = await publish(first, 'orders');
    const { runId } = await acceptRun(first, { version, at: T0 });
    await first.close();

    const second = SqliteStore.open({ path });
    try {
      expect(await second.migrate()).toEqual({ applied: [], current: migrations.length });
      expect((await second.getRun(runId))?.status).toBe('queued');
      expect((await second.getFlow('orders'))?.currentVersionId).toBe(version.id);
    } finally {
      await second.close();
    }
  });

  it('resolves a group-committed write only once another connection can read it', async () => {
    const path = freshPath();
    const writer = SqliteStore.open({ path });
    await writer.migrate();
    const reader = SqliteStore.open({ path });
    try {
      const { version } = await publish(writer, 'orders');
      const input = eventInput({ version, at: T0 });
      const pending = writer.acceptEvent(input);
      // Queued for the next turn: not yet committed, so not yet visible.
      expect(await reader.getRun(input.run.id)).toBeNull();
      await pending;
      expect((await reader.getRun(input.run.id))?.id).toBe(input.run.id);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('commits queued writes on close and refuses calls afterwards', async () => {
    const path = freshPath();
    const store = SqliteStore.open({ path });
    await store.migrate();
    const { version } = await publish(store, 'orders');
    const input = eventInput({ version, at: T0 });
    const pending = store.acceptEvent(input);
    await store.close();
    expect((await pending).accepted).toBe(true);
    await expect(store.getRun(input.run.id)).rejects.toMatchObject({ code: 'unavailable' });

    const reopened = SqliteStore.open({ path });
    try {
      expect((await reopened.getRun(input.run.id))?.id).toBe(input.run.id);
    } finally {
      await reopened.close();
    }
  });

  it('keeps writes in the order they were issued', async () => {
    const store = SqliteStore.open({ path: ':memory:' });
    try {
      await store.migrate();
      const { version } = await publish(store, 'orders');
      const input = eventInput({ version, at: T0 });
      // Not awaited: the claim, a direct write, must still see the queued event.
      const accepted = store.acceptEvent(input);
      const claimed = await store.claimRuns({ owner: 'w', limit: 5, leaseMs: 1000, now: T0 });
      expect((await accepted).accepted).toBe(true);
      expect(claimed.map((c) => c.run.id)).toEqual([input.run.id]);
    } finally {
      await store.close();
    }
  });

  it("writes the progress of a run accepted with it, in the run's new state", async () => {
    const store = SqliteStore.open({ path: ':memory:' });
    try {
      await store.migrate();
      const { version } = await publish(store, 'orders');
      const input = eventInput({ version, at: T0, claim: { owner: 'w', leaseMs: 1000 } });
      const runId = input.run.id;
      const entry = (stepId: string) => ({
        runId,
        stepId,
        status: 'succeeded' as const,
        attempts: 1,
        input: null,
        output: { stepId },
        error: null,
        resumeAt: null,
        startedAt: T0,
        finishedAt: T0 + 1,
      });
      const result = await store.acceptEvent({
        ...input,
        progress: {
          now: T0 + 2,
          journal: [entry('a'), entry('b')],
          run: {
            status: 'succeeded',
            output: { done: true },
            error: null,
            releaseLease: true,
            finishedAt: T0 + 2,
          },
        },
      });
      expect(result).toMatchObject({ accepted: true, runId, progressSaved: true });
      expect(await store.getRun(runId)).toMatchObject({
        status: 'succeeded',
        output: { done: true },
        leaseOwner: null,
        leaseExpiresAt: null,
        createdAt: T0,
        updatedAt: T0 + 2,
        finishedAt: T0 + 2,
      });
      expect((await store.getJournal(runId)).map((e) => [e.stepId, e.output])).toEqual([
        ['a', { stepId: 'a' }],
        ['b', { stepId: 'b' }],
      ]);

      // Without a state change the run stays leased to its claimer, which goes on with it.
      const next = eventInput({ version, at: T0 + 10, claim: { owner: 'w', leaseMs: 1000 } });
      await store.acceptEvent({ ...next, progress: { now: T0 + 11, journal: [] } });
      expect(await store.getRun(next.run.id)).toMatchObject({
        status: 'running',
        leaseOwner: 'w',
        leaseExpiresAt: T0 + 1010,
        updatedAt: T0 + 10,
      });

      // Progress belongs to a run someone holds: without a claim it is refused.
      const unclaimed = eventInput({ version, at: T0 + 20 });
      await expect(store.acceptEvent({ ...unclaimed, progress: { now: T0 + 20 } })).rejects.toMatchObject({
        code: 'invalid_input',
      });
    } finally {
      await store.close();
    }
  });

  it('refuses a database written by a newer Weft', async () => {
    const path = freshPath();
    const store = SqliteStore.open({ path });
    await store.migrate();
    await store.close();
    const raw = new Database(path);
    raw
      .prepare('INSERT INTO schema_migrations (version, id, applied_at) VALUES (999, ?, 0)')
      .run('999_future');
    raw.close();
    const reopened = SqliteStore.open({ path });
    try {
      const error = await reopened.migrate().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WeftError);
      expect(error).toMatchObject({ code: 'conflict', details: { schemaVersion: 999 } });
    } finally {
      await reopened.close();
    }
  });
});

describe('migration 005 (events rebuilt for the poll source)', () => {
  it('keeps events and their runs, and the runs still reference them', async () => {
    const path = freshPath();
    const store = SqliteStore.open({ path });
    await store.migrate();
    const { version } = await publish(store, 'kept');
    const { eventId, runId } = await acceptRun(store, { version, at: T0, dedupeKey: 'k1' });
    await store.close();

    // Put the database back to how 004 left it: the old events CHECK, no cursors table.
    const raw = new Database(path);
    raw.pragma('foreign_keys = OFF');
    raw.exec(`
      BEGIN;
      CREATE TABLE events_old (
        id TEXT PRIMARY KEY, flow_name TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('webhook', 'schedule', 'manual')),
        dedupe_key TEXT, payload TEXT NOT NULL, received_at INTEGER NOT NULL);
      INSERT INTO events_old SELECT * FROM events;
      DROP TABLE events;
      ALTER TABLE events_old RENAME TO events;
      CREATE UNIQUE INDEX events_dedupe ON events (flow_name, dedupe_key) WHERE dedupe_key IS NOT NULL;
      CREATE INDEX events_flow ON events (flow_name, id);
      DROP TABLE trigger_cursors;
      DELETE FROM schema_migrations WHERE version = 5;
      COMMIT;`);
    raw.close();

    const reopened = SqliteStore.open({ path });
    try {
      expect((await reopened.migrate()).applied).toEqual(['005_trigger_cursors']);
      expect((await reopened.getEvent(eventId))?.dedupeKey).toBe('k1');
      expect((await reopened.getRun(runId))?.eventId).toBe(eventId);
      expect(reopened.pragma('foreign_key_check')).toBeUndefined();
      const polled = await acceptRun(reopened, { version, at: T0 + 1, source: 'poll', dedupeKey: 'p1' });
      expect((await reopened.getEvent(polled.eventId))?.source).toBe('poll');
      // The dedupe index came back with the table.
      const again = await reopened.acceptEvent(eventInput({ version, at: T0 + 2, dedupeKey: 'k1' }));
      expect(again.accepted).toBe(false);
    } finally {
      await reopened.close();
    }
  });
});
