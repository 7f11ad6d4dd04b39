import { afterEach, describe, expect, test, vi } from 'vitest';
import { newId } from '../contract/ids.js';
import { bodyOf, createHarness, type Harness, manualFlow } from './test-kit.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function auditActions(harness: Harness): Promise<{ action: string; actor: string; target: string }[]> {
  return (await harness.store.listAudit({ limit: 1000 })).map((e) => ({
    action: e.action,
    actor: e.actor,
    target: e.target,
  }));
}

/** Puts a failed run with an open exception into the store, as the engine would. */
async function seedException(
  harness: Harness,
  stepId = 'shape',
): Promise<{ exceptionId: string; runId: string }> {
  const now = harness.clock.now();
  const flow = harness.registry.current('manual-flow');
  if (!flow) throw new Error('manual-flow is not deployed');
  const accepted = await harness.store.acceptEvent({
    event: {
      id: newId('evt', now),
      flowName: 'manual-flow',
      source: 'manual',
      dedupeKey: null,
      payload: { body: { n: 1 }, headers: {}, query: {} },
      receivedAt: now,
    },
    run: { id: newId('run', now), flowVersionId: flow.version.id, runAt: now },
    claim: { owner: 'test-worker', leaseMs: 60_000 },
  });
  if (!accepted.accepted) throw new Error('seed event was a duplicate');
  const exceptionId = newId('exc', now);
  await harness.store.saveProgress({
    runId: accepted.runId,
    owner: 'test-worker',
    now,
    run: {
      status: 'failed',
      releaseLease: true,
      finishedAt: now,
      error: { code: 'http_error', message: 'HTTP 422', retryable: false },
    },
    exception: {
      id: exceptionId,
      stepId,
      error: { code: 'http_error', message: 'HTTP 422', retryable: false },
      input: { email: 'bad' },
      attempts: 1,
      at: now,
    },
  });
  return { exceptionId, runId: accepted.runId };
}

describe('openapi', () => {
  test('documents every route, 3.1, with bearer security', async () => {
    h = await createHarness();
    const doc = await bodyOf(await h.app.request('/api/openapi.json'));
    expect(doc.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.paths as object);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/health',
        '/api/flows',
        '/api/flows/{name}',
        '/api/flows/validate',
        '/api/runs',
        '/api/runs/{id}',
        '/api/events',
        '/api/events/{id}',
        '/api/exceptions',
        '/api/exceptions/{id}',
        '/api/exceptions/{id}/retry',
        '/api/exceptions/{id}/resolve',
        '/api/exceptions/retry',
        '/api/tokens',
        '/api/tokens/{id}',
        '/api/audit',
        '/hooks/{path}',
      ]),
    );
    expect(JSON.stringify(doc.components)).toContain('"scheme":"bearer"');
  });
});

describe('errors', () => {
  test('an invalid body is a 400 naming the field', async () => {
    h = await createHarness();
    const res = await h.call('/api/events', { body: { payload: {} } });
    expect(res.status).toBe(400);
    const { error } = (await bodyOf(res)) as { error: { code: string; message: string; details: unknown } };
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('flow');
    expect(error.details).toMatchObject({ in: 'body', issues: [{ path: 'flow' }] });
  });

  test('a malformed JSON body is a 400 in the error shape', async () => {
    h = await createHarness();
    const res = await h.call('/api/events', { body: '{"flow": ' });
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).error).toMatchObject({ code: 'invalid_input' });
  });

  test('unknown routes are 404 in the error shape', async () => {
    h = await createHarness();
    const res = await h.call('/api/nothing-here');
    expect(res.status).toBe(404);
    expect((await bodyOf(res)).error).toMatchObject({ code: 'not_found' });
  });

  test('a failure inside the server is a generic 500 that leaks nothing', async () => {
    h = await createHarness();
    vi.spyOn(h.store, 'listRuns').mockRejectedValue(
      new Error('SQLITE_CORRUPT at /var/secret/path password=hunter2'),
    );
    const res = await h.call('/api/runs');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/hunter2|SQLITE|secret|at .*\.ts/);
    expect(JSON.parse(text)).toEqual({
      error: { code: 'internal', message: 'internal error; the server log has the details' },
    });
  });
});

describe('flows', () => {
  test('deploy: 201 when new, 200 when unchanged, audited with the token name', async () => {
    h = await createHarness();
    const source = manualFlow.replace('manual-flow', 'api-flow');
    const first = await h.call('/api/flows', { body: { source, file: 'api-flow.yaml' } });
    expect(first.status).toBe(201);
    expect(await bodyOf(first)).toMatchObject({
      created: true,
      version: { flowName: 'api-flow', version: 1 },
    });
    const again = await h.call('/api/flows', { body: { source } });
    expect(again.status).toBe(200);
    expect((await bodyOf(again)).created).toBe(false);
    expect(await auditActions(h)).toContainEqual(expect.objectContaining({ actor: 'admin-token' }));
    const deploys = (await h.store.listAudit({ limit: 1000 })).filter((e) => e.actor === 'admin-token');
    expect(deploys).toHaveLength(1);
  });

  test('validate: ok for a good source, 400 with located problems for a bad one', async () => {
    h = await createHarness();
    const ok = await h.call('/api/flows/validate', { body: { source: manualFlow } });
    expect(await bodyOf(ok)).toEqual({ ok: true, name: 'manual-flow' });
    const bad = await h.call('/api/flows/validate', {
      body: { source: manualFlow.replace('kind: map', 'kind: nope'), file: 'bad.yaml' },
    });
    expect(bad.status).toBe(400);
    const { error } = (await bodyOf(bad)) as { error: { code: string; details: { problems: unknown[] } } };
    expect(error.code).toBe('invalid_input');
    expect(error.details.problems[0]).toMatchObject({ file: 'bad.yaml', line: expect.any(Number) });
  });

  test('list and show', async () => {
    h = await createHarness();
    const list = (await bodyOf(await h.call('/api/flows'))) as { flows: { name: string }[] };
    expect(list.flows.map((f) => f.name).sort()).toEqual([
      'manual-flow',
      'open-hook',
      'signed-hook',
      'unset-secret',
    ]);
    const one = await bodyOf(await h.call('/api/flows/manual-flow'));
    expect(one).toMatchObject({
      flow: { name: 'manual-flow' },
      current: { source: manualFlow },
      versions: [{}],
    });
    expect((await h.call('/api/flows/nope')).status).toBe(404);
  });
});

describe('events and runs', () => {
  test('a manual event is committed, audited and answered 202', async () => {
    h = await createHarness();
    const res = await h.call('/api/events', {
      as: 'operator',
      body: { flow: 'manual-flow', payload: { a: 1 } },
    });
    expect(res.status).toBe(202);
    const reply = (await bodyOf(res)) as { eventId: string; runId: string; duplicate: boolean };
    expect(reply.duplicate).toBe(false);
    const event = await bodyOf(await h.call(`/api/events/${reply.eventId}`));
    expect(event).toMatchObject({
      event: { flowName: 'manual-flow', source: 'manual', payload: { body: { a: 1 } } },
    });
    const run = await bodyOf(await h.call(`/api/runs/${reply.runId}`));
    expect(run).toMatchObject({ run: { id: reply.runId, status: 'queued' }, journal: [], actions: [] });
    expect(await auditActions(h)).toContainEqual({
      action: 'event.send',
      actor: 'operator-token',
      target: 'flow:manual-flow',
    });
  });

  test('a repeated dedupe key is acknowledged as a duplicate', async () => {
    h = await createHarness();
    const body = { flow: 'manual-flow', payload: {}, dedupeKey: 'k-1' };
    const first = (await bodyOf(await h.call('/api/events', { body }))) as { eventId: string };
    const second = await h.call('/api/events', { body });
    expect(second.status).toBe(200);
    expect(await bodyOf(second)).toMatchObject({ eventId: first.eventId, duplicate: true });
  });

  test('an unknown flow is 404', async () => {
    h = await createHarness();
    const res = await h.call('/api/events', { body: { flow: 'no-such-flow', payload: {} } });
    expect(res.status).toBe(404);
  });

  test('lists filter and page', async () => {
    h = await createHarness();
    for (let i = 0; i < 3; i++) {
      h.clock.advance(10);
      await h.call('/api/events', { body: { flow: 'manual-flow', payload: { i } } });
    }
    const runs = (await bodyOf(await h.call('/api/runs?flow=manual-flow&limit=2'))) as {
      runs: { id: string }[];
    };
    expect(runs.runs).toHaveLength(2);
    const next = (await bodyOf(await h.call(`/api/runs?flow=manual-flow&before=${runs.runs[1]?.id}`))) as {
      runs: unknown[];
    };
    expect(next.runs).toHaveLength(1);
    expect((await h.call('/api/runs?status=bogus')).status).toBe(400);
    const events = (await bodyOf(await h.call('/api/events?limit=10'))) as { events: unknown[] };
    expect(events.events).toHaveLength(3);
    expect((await h.call('/api/runs/run_missing')).status).toBe(404);
    expect((await h.call('/api/events/evt_missing')).status).toBe(404);
  });
});

describe('exceptions', () => {
  test('list, show, retry with edited input (wakes workers), audited', async () => {
    h = await createHarness();
    const { exceptionId, runId } = await seedException(h);
    const list = (await bodyOf(await h.call('/api/exceptions?status=open&flow=manual-flow'))) as {
      exceptions: { id: string }[];
    };
    expect(list.exceptions.map((e) => e.id)).toEqual([exceptionId]);
    expect(await bodyOf(await h.call(`/api/exceptions/${exceptionId}`))).toMatchObject({
      exception: { status: 'open', error: { code: 'http_error' } },
    });

    const res = await h.call(`/api/exceptions/${exceptionId}/retry`, {
      as: 'operator',
      body: { input: { email: 'fixed@example.com' } },
    });
    expect(res.status).toBe(200);
    expect(await bodyOf(res)).toMatchObject({ exception: { status: 'retrying', retries: 1 } });
    expect(h.wakes()).toBe(1);
    expect((await h.store.getRun(runId))?.status).toBe('queued');
    const journal = await h.store.getJournal(runId);
    expect(journal[0]?.editedInput).toEqual({ email: 'fixed@example.com' });
    expect(await auditActions(h)).toContainEqual({
      action: 'exception.retry',
      actor: 'operator-token',
      target: exceptionId,
    });
    // Only open exceptions can be retried.
    expect((await h.call(`/api/exceptions/${exceptionId}/retry`, { body: {} })).status).toBe(409);
  });

  test('retry without a body keeps the stored input', async () => {
    h = await createHarness();
    const { exceptionId } = await seedException(h);
    const res = await h.call(`/api/exceptions/${exceptionId}/retry`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(h.wakes()).toBe(1);
  });

  test('resolve needs a note, records who and why, then conflicts', async () => {
    h = await createHarness();
    const { exceptionId } = await seedException(h);
    expect((await h.call(`/api/exceptions/${exceptionId}/resolve`, { body: {} })).status).toBe(400);
    const res = await h.call(`/api/exceptions/${exceptionId}/resolve`, {
      as: 'operator',
      body: { note: 'fixed in the CRM' },
    });
    expect(res.status).toBe(200);
    expect(await bodyOf(res)).toMatchObject({
      exception: { status: 'resolved', resolution: 'fixed in the CRM', resolvedBy: 'operator-token' },
    });
    expect(await auditActions(h)).toContainEqual({
      action: 'exception.resolve',
      actor: 'operator-token',
      target: exceptionId,
    });
    expect((await h.call(`/api/exceptions/${exceptionId}/resolve`, { body: { note: 'x' } })).status).toBe(
      409,
    );
    expect((await h.call('/api/exceptions/exc_missing/resolve', { body: { note: 'x' } })).status).toBe(404);
  });

  test('bulk retry by filter', async () => {
    h = await createHarness();
    await seedException(h, 'shape');
    h.clock.advance(1);
    await seedException(h, 'other');
    const res = await h.call('/api/exceptions/retry', {
      body: { filter: { flow: 'manual-flow', step: 'shape' } },
    });
    expect(await bodyOf(res)).toEqual({ retried: 1 });
    expect(h.wakes()).toBe(1);
    const all = await h.call('/api/exceptions/retry', { body: { filter: {} } });
    expect(await bodyOf(all)).toEqual({ retried: 1 });
    expect(await auditActions(h)).toContainEqual(expect.objectContaining({ action: 'exception.retry_many' }));
  });
});

describe('tokens and audit', () => {
  test('creating a token is audited; the audit log is readable', async () => {
    h = await createHarness();
    await h.call('/api/tokens', { body: { name: 'reader', role: 'viewer' } });
    const res = await h.call('/api/audit?limit=500', { as: 'viewer' });
    const { events } = (await bodyOf(res)) as { events: { action: string; actor: string; hash: string }[] };
    expect(events).toContainEqual(expect.objectContaining({ action: 'token.create', actor: 'admin-token' }));
    expect((await h.call('/api/tokens', { body: { name: 'bad name!', role: 'viewer' } })).status).toBe(400);
    expect((await h.call('/api/tokens', { body: { name: 'x', role: 'root' } })).status).toBe(400);
  });

  test('lists tokens without hashes or plaintexts; admin only', async () => {
    h = await createHarness();
    const created = (await bodyOf(
      await h.call('/api/tokens', { body: { name: 'ci', role: 'operator' } }),
    )) as {
      id: string;
      token: string;
    };
    const res = await h.call('/api/tokens');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(created.token);
    for (const t of Object.values(h.tokens)) expect(text).not.toContain(t);
    expect(text).not.toMatch(/hash/i);
    const { tokens } = JSON.parse(text) as {
      tokens: { id: string; name: string; revokedAt: number | null }[];
    };
    // Created in the same millisecond as the harness tokens: find it by id, not by position.
    expect(tokens.find((t) => t.id === created.id)).toEqual({
      id: created.id,
      name: 'ci',
      role: 'operator',
      createdAt: h.clock.now(),
      revokedAt: null,
    });
    expect(tokens.map((t) => t.name).sort()).toEqual(['admin-token', 'ci', 'operator-token', 'viewer-token']);
    expect((await h.call('/api/tokens', { as: 'operator' })).status).toBe(403);
    expect((await h.call(`/api/tokens/${created.id}`, { method: 'DELETE', as: 'operator' })).status).toBe(
      403,
    );
  });

  test('a duplicate live name is a 409', async () => {
    h = await createHarness();
    const res = await h.call('/api/tokens', { body: { name: 'viewer-token', role: 'viewer' } });
    expect(res.status).toBe(409);
    expect(await bodyOf(res)).toMatchObject({ error: { code: 'conflict' } });
  });

  test('revocation takes effect at once despite the auth cache, and is audited', async () => {
    h = await createHarness();
    // Warm the cache with the viewer token.
    expect((await h.call('/api/runs', { as: 'viewer' })).status).toBe(200);
    const viewer = (
      (await bodyOf(await h.call('/api/tokens'))) as { tokens: { id: string; name: string }[] }
    ).tokens.find((t) => t.name === 'viewer-token');
    const res = await h.call(`/api/tokens/${viewer?.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await bodyOf(res)).toMatchObject({
      id: viewer?.id,
      name: 'viewer-token',
      revokedAt: h.clock.now(),
    });
    const denied = await h.call('/api/runs', { as: 'viewer' });
    expect(denied.status).toBe(401);
    expect(await bodyOf(denied)).toMatchObject({ error: { code: 'unauthorized' } });
    expect(await auditActions(h)).toContainEqual(
      expect.objectContaining({ action: 'token.revoke', actor: 'admin-token', target: viewer?.id }),
    );
    // Twice: conflict; unknown: not found. The name is free again.
    expect((await h.call(`/api/tokens/${viewer?.id}`, { method: 'DELETE' })).status).toBe(409);
    expect((await h.call('/api/tokens/tok_nope', { method: 'DELETE' })).status).toBe(404);
    expect((await h.call('/api/tokens', { body: { name: 'viewer-token', role: 'viewer' } })).status).toBe(
      201,
    );
  });
});
