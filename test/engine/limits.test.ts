import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/engine-harness.js';

/** A target that answers after `delayMs`, recording when each call came and how many overlapped. */
async function slowTarget(delayMs: number): Promise<{
  url: string;
  arrivals: number[];
  maxInFlight(): number;
  close(): Promise<void>;
}> {
  const arrivals: number[] = [];
  let inFlight = 0;
  let max = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    arrivals.push(Date.now());
    inFlight++;
    max = Math.max(max, inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    maxInFlight: () => max,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const payload = (body: unknown) => ({ body, headers: {}, query: {} });

let h: Harness | undefined;
let target: Awaited<ReturnType<typeof slowTarget>> | undefined;
afterEach(async () => {
  await h?.close();
  await target?.close();
});

async function ingestMany(harness: Harness, flowName: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { runId } = await harness.engine.ingest({
      flowName,
      source: 'manual',
      payload: payload({ i }),
      dedupeKey: null,
    });
    ids.push(runId as string);
  }
  return ids;
}

describe('limits in the engine', () => {
  it('runs at most `concurrency` runs of a flow at once, though the worker has room for more', async () => {
    target = await slowTarget(60);
    h = await startHarness({ concurrency: 16 });
    await h.deploy(`
name: limited
trigger: { kind: manual }
concurrency: 2
steps:
  - id: call
    kind: action
    connector: http
    request: { url: '${target.url}/x', body: 'event.body' }
`);
    const ids = await ingestMany(h, 'limited', 8);
    for (const id of ids) await h.waitForRun(id, ['succeeded']);
    expect(target.arrivals).toHaveLength(8);
    expect(target.maxInFlight()).toBe(2);
  });

  it('spaces calls by a shared rate limit without spending attempts', async () => {
    target = await slowTarget(0);
    h = await startHarness({ concurrency: 16 });
    // One attempt only: a wait for a token that counted as an attempt would fail the run.
    await h.deploy(`
name: throttled
trigger: { kind: manual }
retry: { maxAttempts: 1 }
steps:
  - id: call
    kind: action
    connector: http
    request: { url: '${target.url}/x', body: 'event.body' }
    rateLimit: { key: 'slow-api', perSecond: 4, burst: 1 }
`);
    const ids = await ingestMany(h, 'throttled', 4);
    for (const id of ids) await h.waitForRun(id, ['succeeded']);
    expect(await h.store.listExceptions({})).toEqual([]);
    expect(target.arrivals).toHaveLength(4);
    // One at once, then one per 250 ms: three gaps.
    const spread = Math.max(...target.arrivals) - Math.min(...target.arrivals);
    expect(spread).toBeGreaterThanOrEqual(700);
  });
});
