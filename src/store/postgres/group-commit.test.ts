import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';
import { isTransientConflict, type Sql } from './sql.js';

/**
 * The group-commit protocol on a scripted connection: which statements go out, and how unit,
 * COMMIT and lock-race failures settle each caller. (The real thing runs in postgres-store.test.ts.)
 */

function fakeConnection(opts: { failCommit?: boolean } = {}) {
  const log: string[] = [];
  const released: (Error | undefined)[] = [];
  const client = {
    async query(text: string) {
      log.push(text);
      if (text === 'COMMIT' && opts.failCommit === true) throw new Error('connection lost during COMMIT');
      return { rows: [], rowCount: 0 };
    },
    release(error?: Error) {
      released.push(error);
    },
  };
  return { log, released, connect: async () => client as unknown as pg.PoolClient };
}

function groupCommit(connect: () => Promise<pg.PoolClient>, maxBatch = 100): GroupCommit {
  return new GroupCommit({
    connect,
    maxBatch,
    maxAttempts: 3,
    isTransient: isTransientConflict,
  });
}

const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });

describe('GroupCommit', () => {
  it('applies units issued together in one transaction, one savepoint each', async () => {
    const conn = fakeConnection();
    const gc = groupCommit(conn.connect);
    const results = await Promise.all([1, 2, 3].map((n) => gc.enqueue(async (_sql: Sql) => n * 10)));
    expect(results).toEqual([10, 20, 30]);
    expect(conn.log).toEqual([
      'BEGIN ISOLATION LEVEL READ COMMITTED',
      ...Array.from({ length: 3 }, () => ['SAVEPOINT unit', 'RELEASE SAVEPOINT unit']).flat(),
      'COMMIT',
    ]);
    expect(conn.released).toEqual([undefined]);
  });

  it('rolls a failing unit back to its savepoint and commits the others', async () => {
    const conn = fakeConnection();
    const gc = groupCommit(conn.connect);
    const settled = await Promise.allSettled([
      gc.enqueue(async () => 'a'),
      gc.enqueue(async () => {
        throw new Error('unit failed');
      }),
      gc.enqueue(async () => 'c'),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(conn.log).toContain('ROLLBACK TO SAVEPOINT unit');
    expect(conn.log.at(-1)).toBe('COMMIT');
  });

  it('uses no savepoint for a lone unit', async () => {
    const conn = fakeConnection();
    const gc = groupCommit(conn.connect);
    await gc.enqueue(async () => 1);
    expect(conn.log).toEqual(['BEGIN ISOLATION LEVEL READ COMMITTED', 'COMMIT']);
  });

  it('fails every unit when COMMIT fails, and discards the connection', async () => {
    const conn = fakeConnection({ failCommit: true });
    const gc = groupCommit(conn.connect);
    const settled = await Promise.allSettled([gc.enqueue(async () => 1), gc.enqueue(async () => 2)]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(conn.log.at(-1)).toBe('ROLLBACK');
    // ROLLBACK "succeeded" on the fake, so the connection goes back to the pool.
    expect(conn.released).toHaveLength(1);
  });

  it('replays a unit that lost a lock race in a later batch, up to maxAttempts', async () => {
    const conn = fakeConnection();
    const gc = groupCommit(conn.connect);
    let tries = 0;
    const flaky = gc.enqueue(async () => {
      tries++;
      if (tries === 1) throw deadlock;
      return 'second time lucky';
    });
    await expect(flaky).resolves.toBe('second time lucky');
    expect(tries).toBe(2);
    expect(conn.log.filter((q) => q === 'COMMIT')).toHaveLength(1);

    let hopeless = 0;
    await expect(
      gc.enqueue(async () => {
        hopeless++;
        throw deadlock;
      }),
    ).rejects.toBe(deadlock);
    expect(hopeless).toBe(3);
  });

  it('applies batches one at a time, in the order units were queued, replays included', async () => {
    const conn = fakeConnection();
    const gc = groupCommit(conn.connect, 3);
    const applied: number[] = [];
    let failedOnce = false;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        gc.enqueue(async () => {
          if (i === 4 && !failedOnce) {
            failedOnce = true;
            throw deadlock;
          }
          applied.push(i);
        }),
      ),
    );
    // Unit 4 lost a race in the second batch: that batch committed unit 3 only, and 4 and 5 went
    // back to the head of the queue, so nothing overtook the replay.
    expect(applied).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(conn.log.filter((q) => q.startsWith('BEGIN'))).toHaveLength(4);
  });

  it('drain waits for everything queued before it', async () => {
    const conn = fakeConnection();
    const gc = groupCommit(conn.connect);
    const done: number[] = [];
    for (let i = 0; i < 5; i++) void gc.enqueue(async () => done.push(i));
    expect(gc.pending).toBe(5);
    await gc.drain();
    expect(done).toEqual([0, 1, 2, 3, 4]);
    expect(gc.pending).toBe(0);
  });
});
