import { afterEach, describe, expect, it } from 'vitest';
import type { AuditInput } from '../../src/store/port.js';
import { type Harness, startHarness } from '../support/engine-harness.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

let h: Harness;
let target: TargetServer;
afterEach(async () => {
  await h?.close();
  await target?.close();
});

const audit = (action: string): AuditInput => ({ actor: 'test', action, target: 'x', at: Date.now() });

function actionFlow(name: string, url: string, extra = '') {
  return `
name: ${name}
trigger: { kind: manual }
retry: { maxAttempts: 3, initialDelayMs: 20, maxDelayMs: 100, multiplier: 2, jitter: 0 }
steps:
  - id: write
    kind: action
    connector: http
    request: { url: '${url}/records', body: 'event.body' }
${extra}`;
}

describe('retries', () => {
  it('retries 5xx until the target recovers, with one effect', async () => {
    target = await startTargetServer();
    target.setBehaviour((_req, attempt) => (attempt < 3 ? { kind: 'status', status: 503 } : { kind: 'ok' }));
    h = await startHarness();
    await h.deploy(actionFlow('flaky', target.url));
    const runId = await h.send('flaky', { a: 1 });
    await h.waitForRun(runId, ['succeeded']);
    expect(target.requests).toHaveLength(3);
    expect(new Set(target.requests.map((r) => r.idempotencyKey))).toEqual(new Set([`${runId}:write`]));
    expect([...target.effects.values()]).toEqual([1]);
  });

  it('waits as long as Retry-After asks', async () => {
    target = await startTargetServer();
    target.setBehaviour((_req, attempt) =>
      attempt === 1 ? { kind: 'status', status: 429, retryAfterSeconds: 1 } : { kind: 'ok' },
    );
    h = await startHarness();
    await h.deploy(actionFlow('throttled', target.url));
    const started = Date.now();
    const runId = await h.send('throttled', {});
    await h.waitForRun(runId, ['succeeded']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(target.requests).toHaveLength(2);
  });

  it('treats a hung target as a timeout and retries it', async () => {
    target = await startTargetServer();
    target.setBehaviour((_req, attempt) => (attempt === 1 ? { kind: 'hang', ms: 2_000 } : { kind: 'ok' }));
    h = await startHarness();
    await h.deploy(
      actionFlow('slow', target.url).replace("body: 'event.body' }", "body: 'event.body', timeoutMs: 200 }"),
    );
    const runId = await h.send('slow', {});
    await h.waitForRun(runId, ['succeeded']);
    const journal = await h.store.getJournal(runId);
    expect(journal[0]?.status).toBe('succeeded');
    expect(target.requests).toHaveLength(2);
    expect(target.effects.size).toBe(1);
  });
});

describe('error queue', () => {
  it('puts an exhausted step in the queue and a retry from there completes the run', async () => {
    target = await startTargetServer();
    let healthy = false;
    target.setBehaviour(() => (healthy ? { kind: 'ok' } : { kind: 'status', status: 500 }));
    h = await startHarness();
    await h.deploy(actionFlow('down', target.url));
    const runId = await h.send('down', { id: 7 });
    await h.waitForRun(runId, ['failed']);
    const [exception] = await h.store.listExceptions({ flowName: 'down', status: 'open' });
    expect(exception).toMatchObject({ runId, stepId: 'write', attempts: 3, status: 'open' });
    expect(exception?.error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(exception?.input).toMatchObject({ method: 'POST', body: { id: 7 } });

    healthy = true;
    await h.store.retryException({
      id: exception?.id as string,
      audit: audit('exception.retry'),
      now: Date.now(),
    });
    h.worker.wake();
    await h.waitForRun(runId, ['succeeded']);
    expect((await h.store.getException(exception?.id as string))?.status).toBe('resolved');
    expect(target.effects.size).toBe(1);
  });

  it('closes a retried exception once its step passes, even if the run then fails at a later step', async () => {
    target = await startTargetServer();
    let healthy = false;
    target.setBehaviour((req) => {
      if (req.path === '/second') return { kind: 'status', status: 400 };
      return healthy ? { kind: 'ok' } : { kind: 'status', status: 500 };
    });
    h = await startHarness();
    await h.deploy(
      actionFlow(
        'chain',
        target.url,
        `  - id: second
    kind: action
    connector: http
    request: { url: '${target.url}/second', body: 'steps.write.body' }`,
      ),
    );
    const runId = await h.send('chain', {});
    await h.waitForRun(runId, ['failed']);
    const [first] = await h.store.listExceptions({ flowName: 'chain' });
    expect(first?.stepId).toBe('write');
    healthy = true;
    await h.store.retryException({
      id: first?.id as string,
      audit: audit('exception.retry'),
      now: Date.now(),
    });
    h.worker.wake();
    await h.waitForRun(runId, ['failed']);
    const byStep = Object.fromEntries(
      (await h.store.listExceptions({ flowName: 'chain' })).map((e) => [e.stepId, e.status]),
    );
    expect(byStep).toEqual({ write: 'resolved', second: 'open' });
  });

  it('does not retry a rejected write, and an edited retry sends the corrected data', async () => {
    target = await startTargetServer();
    target.setBehaviour((req) =>
      (req.body as { email?: string }).email?.includes('@')
        ? { kind: 'ok' }
        : { kind: 'status', status: 422 },
    );
    h = await startHarness();
    await h.deploy(actionFlow('strict', target.url));
    const runId = await h.send('strict', { email: 'not-an-email' });
    await h.waitForRun(runId, ['failed']);
    expect(target.requests).toHaveLength(1);
    const [exception] = await h.store.listExceptions({ flowName: 'strict' });
    expect(exception?.error).toMatchObject({ code: 'invalid_input', retryable: false });
    const edited = { ...(exception?.input as object), body: { email: 'ada@example.com' } };
    await h.store.retryException({
      id: exception?.id as string,
      input: edited,
      audit: audit('exception.retry'),
      now: Date.now(),
    });
    h.worker.wake();
    await h.waitForRun(runId, ['succeeded']);
    expect(target.requests.at(-1)?.body).toEqual({ email: 'ada@example.com' });
  });

  it('resumes a forEach write without re-sending the items that succeeded', async () => {
    target = await startTargetServer();
    let failThird = true;
    target.setBehaviour((req) =>
      failThird && (req.body as { n: number }).n === 3 ? { kind: 'status', status: 400 } : { kind: 'ok' },
    );
    h = await startHarness();
    await h.deploy(`
name: batch
trigger: { kind: manual }
steps:
  - id: each
    kind: action
    connector: http
    forEach: event.body.items
    itemKey: item.sku
    request: { url: '${target.url}/items', body: 'item' }
`);
    const items = [1, 2, 3, 4].map((n) => ({ sku: `sku-${n}`, n }));
    const runId = await h.send('batch', { items });
    await h.waitForRun(runId, ['failed']);
    expect(target.requests.map((r) => (r.body as { n: number }).n)).toEqual([1, 2, 3]);
    failThird = false;
    const [exception] = await h.store.listExceptions({ flowName: 'batch' });
    await h.store.retryException({
      id: exception?.id as string,
      audit: audit('exception.retry'),
      now: Date.now(),
    });
    h.worker.wake();
    await h.waitForRun(runId, ['succeeded']);
    expect(target.requests.map((r) => (r.body as { n: number }).n)).toEqual([1, 2, 3, 3, 4]);
    expect(target.requests.at(-1)?.idempotencyKey).toBe(`${runId}:each:sku-4`);
    const run = await h.store.getRun(runId);
    expect(run?.output).toHaveLength(4);
  });
});
