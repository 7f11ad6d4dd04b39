import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/engine-harness.js';
import { startTargetServer, type TargetServer } from '../support/target-server.js';

let h: Harness;
let target: TargetServer;
afterEach(async () => {
  await h?.close();
  await target?.close();
});

const payload = (body: unknown) => ({ body, headers: {}, query: {} });

describe('runs', () => {
  it('maps, branches and responds synchronously, journaling every step', async () => {
    h = await startHarness();
    await h.deploy(`
name: router
trigger: { kind: webhook, path: router }
steps:
  - id: lead
    kind: map
    set:
      email: $lowercase(event.body.email)
      score: event.body.score
  - id: route
    kind: branch
    cases:
      - name: hot
        when: steps.lead.score >= 50
        steps:
          - { id: hot, kind: map, expression: '"sales"' }
    default:
      - { id: cold, kind: map, expression: '"nurture"' }
  - id: reply
    kind: respond
    body: '{ "email": steps.lead.email, "queue": steps.hot ? steps.hot : steps.cold }'
`);
    const result = await h.engine.ingest({
      flowName: 'router',
      source: 'webhook',
      payload: payload({ email: 'Ada@Example.COM', score: 80 }),
      dedupeKey: null,
      awaitResponseMs: 5_000,
    });
    expect(result.response).toEqual({
      status: 200,
      headers: {},
      body: { email: 'ada@example.com', queue: 'sales' },
    });
    await h.waitForRun(result.runId as string, ['succeeded']);
    const journal = await h.store.getJournal(result.runId as string);
    expect(journal.map((e) => [e.stepId, e.status]).sort()).toEqual([
      ['hot', 'succeeded'],
      ['lead', 'succeeded'],
      ['reply', 'succeeded'],
      ['route', 'succeeded'],
    ]);
  });

  it('replies before a write to another system, and the run goes on to make it', async () => {
    target = await startTargetServer();
    h = await startHarness();
    await h.deploy(`
name: reply-first
trigger: { kind: webhook, path: reply-first }
steps:
  - id: lead
    kind: map
    set: { email: $lowercase(event.body.email) }
  - id: reply
    kind: respond
    status: 202
    body: '{ "queued": steps.lead.email }'
  - id: crm
    kind: action
    connector: http
    request: { url: '${target.url}/leads', body: 'steps.lead' }
`);
    const result = await h.engine.ingest({
      flowName: 'reply-first',
      source: 'webhook',
      payload: payload({ email: 'Ada@Example.COM' }),
      dedupeKey: null,
      awaitResponseMs: 5_000,
    });
    expect(result.response).toEqual({ status: 202, headers: {}, body: { queued: 'ada@example.com' } });
    // The reply was committed with the event: the journal has it before the write is done.
    const early = await h.store.getJournal(result.runId as string);
    expect(early.map((e) => e.stepId)).toEqual(expect.arrayContaining(['lead', 'reply']));
    await h.waitForRun(result.runId as string, ['succeeded']);
    expect(target.requests.map((r) => [r.path, r.body])).toEqual([['/leads', { email: 'ada@example.com' }]]);
    const journal = await h.store.getJournal(result.runId as string);
    expect(journal.map((e) => [e.stepId, e.status, e.attempts])).toEqual([
      ['lead', 'succeeded', 1],
      ['reply', 'succeeded', 1],
      ['crm', 'succeeded', 1],
    ]);
    // As on any run with a reply, the run's output is the reply's body.
    expect((await h.store.getRun(result.runId as string))?.output).toEqual({ queued: 'ada@example.com' });
  });

  it('commits a run that fails before replying together with its event, exception included', async () => {
    h = await startHarness();
    await h.deploy(`
name: bad-lead
trigger: { kind: webhook, path: bad-lead }
steps:
  - id: lead
    kind: map
    set: { n: $number(event.body.n) }
  - id: reply
    kind: respond
    body: steps.lead
`);
    const result = await h.engine.ingest({
      flowName: 'bad-lead',
      source: 'webhook',
      payload: payload({ n: 'not a number' }),
      dedupeKey: null,
      awaitResponseMs: 5_000,
    });
    expect(result.response).toBeUndefined();
    // No waiting: the failure was written in the same transaction as the event.
    expect((await h.store.getRun(result.runId as string))?.status).toBe('failed');
    const [exception] = await h.store.listExceptions({ flowName: 'bad-lead' });
    expect(exception).toMatchObject({ runId: result.runId, stepId: 'lead', status: 'open' });
    expect(exception?.error.code).toBe('expression_error');
  });

  it('acknowledges a repeated dedupe key without a second run', async () => {
    h = await startHarness();
    await h.deploy(`
name: once
trigger: { kind: manual }
steps:
  - { id: a, kind: map, expression: event.body }
`);
    const first = await h.engine.ingest({
      flowName: 'once',
      source: 'manual',
      payload: payload(1),
      dedupeKey: 'k1',
    });
    const second = await h.engine.ingest({
      flowName: 'once',
      source: 'manual',
      payload: payload(2),
      dedupeKey: 'k1',
    });
    expect(second).toEqual({ eventId: first.eventId, runId: first.runId, duplicate: true });
    expect(await h.store.countRuns({ flowName: 'once' })).toBe(1);
  });

  it('never re-runs a completed step when a run resumes on another worker', async () => {
    target = await startTargetServer();
    h = await startHarness({ leaseMs: 500 });
    await h.deploy(`
name: two-writes
trigger: { kind: manual }
steps:
  - id: first
    kind: action
    connector: http
    request: { url: '${target.url}/first', body: 'event.body' }
  - { id: pause, kind: wait, duration: 300ms }
  - id: second
    kind: action
    connector: http
    request: { url: '${target.url}/second', body: 'steps.first.body' }
`);
    const runId = await h.send('two-writes', { n: 1 });
    await h.waitForRun(runId, ['waiting']);
    // The first worker goes away while the run waits; a fresh one picks it up when the timer is due.
    await h.worker.stop(1_000);
    h.startWorker();
    await h.waitForRun(runId, ['succeeded']);
    const paths = target.requests.map((r) => r.path);
    expect(paths).toEqual(['/first', '/second']);
    expect(target.requests[0]?.idempotencyKey).toBe(`${runId}:first`);
    const journal = await h.store.getJournal(runId);
    expect(journal.find((e) => e.stepId === 'first')?.attempts).toBe(1);
    const ledger = await h.store.listActions(runId);
    expect(ledger.map((a) => [a.stepId, a.status, a.responseStatus]).sort()).toEqual([
      ['first', 'succeeded', 201],
      ['second', 'succeeded', 201],
    ]);
  });

  it('keeps a run on the FlowVersion it started with', async () => {
    h = await startHarness();
    const flow = (label: string) => `
name: versioned
trigger: { kind: manual }
steps:
  - { id: pause, kind: wait, duration: 200ms }
  - { id: label, kind: map, expression: '"${label}"' }
`;
    await h.deploy(flow('v1'));
    const runId = await h.send('versioned', null);
    await h.deploy(flow('v2'));
    await h.waitForRun(runId, ['succeeded']);
    const run = await h.store.getRun(runId);
    expect(run?.output).toBe('v1');
    const fresh = await h.engine.ingest({
      flowName: 'versioned',
      source: 'manual',
      payload: payload(null),
      dedupeKey: null,
    });
    await h.waitForRun(fresh.runId as string, ['succeeded']);
    expect((await h.store.getRun(fresh.runId as string))?.output).toBe('v2');
  });

  it('turns a denied step into an exception with its cause', async () => {
    h = await startHarness({
      policy: {
        beforeStep: (ctx) =>
          ctx.stepId === 'secret' ? { allow: false, reason: 'classified data' } : { allow: true },
        beforeAction: () => ({ allow: true }),
      },
    });
    await h.deploy(`
name: guarded
trigger: { kind: manual }
steps:
  - { id: ok, kind: map, expression: '1' }
  - { id: secret, kind: map, expression: '2' }
`);
    const runId = await h.send('guarded', null);
    await h.waitForRun(runId, ['failed']);
    const [exception] = await h.store.listExceptions({ flowName: 'guarded' });
    expect(exception?.stepId).toBe('secret');
    expect(exception?.error.code).toBe('policy_denied');
    expect(exception?.error.message).toContain('classified data');
  });
});
