import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/engine-harness.js';
import { type NotesSystem, startNotesSystem } from '../support/notes-system.js';

const flow = (name: string, step: string) => `name: ${name}
trigger:
  kind: manual
steps:
${step}`;

describe('action steps through a Connection', () => {
  let notes: NotesSystem;
  let h: Harness;

  beforeAll(async () => {
    notes = await startNotesSystem();
    h = await startHarness({ connections: notes.access() });
    await h.deploy(
      flow(
        'write-note',
        `  - id: create
    kind: action
    connection: notes
    action: notes.create
    retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20, jitter: 0 }
    input: '{ "text": event.body.text, "author": "flow" }'
`,
      ),
    );
  });
  afterAll(async () => {
    await h?.close();
    await notes?.close();
  });

  it("runs the connector's action with the rendered input and keeps its output", async () => {
    const runId = await h.send('write-note', { text: 'hello' });
    await h.waitForRun(runId, ['succeeded']);
    const journal = await h.store.getJournal(runId);
    const output = journal.find((e) => e.stepId === 'create')?.output as { id: string; text: string };
    expect(output.text).toBe('hello');
    expect(notes.notes.filter((n) => n.text === 'hello')).toHaveLength(1);
    const [ledger] = await h.store.listActions(runId);
    expect(ledger?.request).toEqual({ method: 'notes.create', url: 'connection:notes' });
  });

  it('retries a write whose answer was lost without writing it twice (ledger look-up)', async () => {
    notes.dropNextResponse();
    const runId = await h.send('write-note', { text: 'once only' });
    await h.waitForRun(runId, ['succeeded']);
    expect(notes.notes.filter((n) => n.text === 'once only')).toHaveLength(1);
    const [ledger] = await h.store.listActions(runId);
    expect(ledger?.attempts).toBe(2);
  });

  it('sends a run to the error queue when the Connection does not exist, naming it', async () => {
    await h.deploy(
      flow(
        'no-connection',
        `  - id: create
    kind: action
    connection: crm-missing
    action: notes.create
`,
      ),
    );
    const runId = await h.send('no-connection', {});
    await h.waitForRun(runId, ['failed']);
    const [exception] = await h.store.listExceptions({ flowName: 'no-connection', limit: 10 });
    expect(exception?.error.code).toBe('not_found');
    expect(exception?.error.message).toContain('crm-missing');
  });

  it("fails with the connector's own actions listed when the action is unknown", async () => {
    await h.deploy(
      flow(
        'bad-action',
        `  - id: create
    kind: action
    connection: notes
    action: notes.destroyAll
`,
      ),
    );
    const runId = await h.send('bad-action', {});
    await h.waitForRun(runId, ['failed']);
    const [exception] = await h.store.listExceptions({ flowName: 'bad-action', limit: 10 });
    expect(exception?.error.code).toBe('invalid_input');
    expect(exception?.error.message).toContain('notes.create');
  });

  it("rejects input that does not match the action's schema, pointing at the field", async () => {
    const runId = await h.send('write-note', { text: 42 });
    await h.waitForRun(runId, ['failed']);
    const [exception] = await h.store.listExceptions({ flowName: 'write-note', limit: 10 });
    expect(exception?.error.code).toBe('invalid_input');
    expect(JSON.stringify(exception?.error.details)).toContain('text');
  });
});

describe("a Connection's declared rate limit", () => {
  it('is taken from the shared bucket connection:<name> before each call', async () => {
    const notes = await startNotesSystem();
    const h = await startHarness({
      connections: notes.access({ limits: { requestsPerSecond: 0.001, burst: 1 } }),
    });
    try {
      await h.deploy(
        flow(
          'limited',
          `  - id: create
    kind: action
    connection: notes
    action: notes.create
    input: '{ "text": "x", "author": "y" }'
`,
        ),
      );
      const runId = await h.send('limited', {});
      await h.waitForRun(runId, ['succeeded']);
      // The call took the bucket's only token: the next taker has to wait.
      const { waitMs } = await h.store.takeRateLimit({
        key: 'connection:notes',
        perSecond: 0.001,
        burst: 1,
        now: Date.now(),
      });
      expect(waitMs).toBeGreaterThan(0);
    } finally {
      await h.close();
      await notes.close();
    }
  });
});
