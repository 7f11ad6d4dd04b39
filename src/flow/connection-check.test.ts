import { describe, expect, it } from 'vitest';
import { hubspotConnector } from '../connectors/hubspot/connector.js';
import { silentLogger } from '../observability/logger.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { FlowSourceError } from './parse.js';
import { FlowRegistry } from './registry.js';

const flow = (trigger: string, action: string, connection = 'crm') => `name: follow-up
trigger:
${trigger}
steps:
  - id: task
    kind: action
    connection: ${connection}
    action: ${action}
    input: '{ "properties": { "hs_task_subject": "Call back" } }'
`;
const webhookTrigger = '  kind: connector-webhook\n  connection: crm\n  trigger: events';

async function deployProblems(source: string): Promise<string[]> {
  const store = SqliteStore.open({ path: ':memory:' });
  await store.migrate();
  const registry = new FlowRegistry({
    store,
    clock: { now: () => 1 },
    logger: silentLogger,
    // One Connection exists: `crm`, a HubSpot one.
    connectorOf: async (name) => (name === 'crm' ? hubspotConnector : null),
  });
  try {
    await registry.deploy({ source, file: 'follow-up.yaml', actor: 'test' });
    return [];
  } catch (err) {
    if (!(err instanceof FlowSourceError)) throw err;
    return err.problems.map((p) => `${p.line}:${p.path}: ${p.message}`);
  } finally {
    await store.close();
  }
}

describe('deploy checks what a flow names through Connections', () => {
  it('accepts a flow whose Connection, action and trigger exist', async () => {
    expect(await deployProblems(flow(webhookTrigger, 'tasks.create'))).toEqual([]);
  });

  it('refuses an action the connector does not have, at its line, with the likely one', async () => {
    expect(await deployProblems(flow(webhookTrigger, 'tasks.creat'))).toEqual([
      '10:steps[0].action: connector hubspot has no action "tasks.creat"; did you mean "tasks.create"?',
    ]);
  });

  it('refuses a Connection that does not exist, saying how to create it', async () => {
    const problems = await deployProblems(flow(webhookTrigger, 'tasks.create', 'erp'));
    expect(problems).toEqual([
      expect.stringMatching(/^9:steps\[0\]\.connection: no Connection named "erp": create it first/),
    ]);
  });

  it('refuses a trigger the connector does not have, listing the ones it has', async () => {
    const poll = '  kind: poll\n  connection: crm\n  trigger: everything';
    const [problem] = await deployProblems(flow(poll, 'tasks.create'));
    expect(problem).toMatch(
      /^5:trigger\.trigger: connector hubspot has no poll trigger "everything" \(it has: .*contacts/,
    );
  });
});
