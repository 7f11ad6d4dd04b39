/**
 * @module flow/connection-check
 * Deploy-time checks of what a flow names through Connections: the Connection exists, and its
 * connector has the action, poll trigger or webhook trigger the flow asks for. A typo fails the
 * deploy at its line instead of every run in the error queue.
 */
import type { ConnectorDefinition } from '../connector/connector.js';
import { type Flow, isConnectorAction } from '../contract/flow.js';
import type { FlowProblem, SourceLocator } from './parse.js';
import { stepSites } from './sites.js';

/** The connector behind a Connection's name; null when there is no such Connection. */
export type ConnectorOf = (connection: string) => Promise<ConnectorDefinition | null>;

/** Every problem with the Connections, actions and triggers `flow` names. */
export async function checkConnections(
  flow: Flow,
  locator: SourceLocator,
  connectorOf: ConnectorOf,
): Promise<FlowProblem[]> {
  const problems: FlowProblem[] = [];
  const named = async (path: (string | number)[], connection: string) => {
    const connector = await connectorOf(connection);
    if (connector === null) {
      problems.push(
        locator.problem(
          path,
          `no Connection named "${connection}": create it first (weft connections apply, or PUT /api/connections/${connection})`,
        ),
      );
    }
    return connector;
  };
  const trigger = flow.trigger;
  if (trigger.kind === 'poll' || trigger.kind === 'connector-webhook') {
    const connector = await named(['trigger', 'connection'], trigger.connection);
    const available = trigger.kind === 'poll' ? connector?.pollTriggers : connector?.webhookTriggers;
    if (connector !== null && available?.[trigger.trigger] === undefined) {
      const what = trigger.kind === 'poll' ? 'poll trigger' : 'webhook trigger';
      problems.push(
        locator.problem(
          ['trigger', 'trigger'],
          `connector ${connector.name} has no ${what} "${trigger.trigger}"${suggestion(trigger.trigger, Object.keys(available ?? {}))}`,
        ),
      );
    }
  }
  for (const { step, path } of stepSites(flow)) {
    if (step.kind !== 'action' || !isConnectorAction(step)) continue;
    const connector = await named([...path, 'connection'], step.connection);
    if (connector !== null && connector.actions[step.action] === undefined) {
      problems.push(
        locator.problem(
          [...path, 'action'],
          `connector ${connector.name} has no action "${step.action}"${suggestion(step.action, Object.keys(connector.actions))}`,
        ),
      );
    }
  }
  return problems;
}

/** `; did you mean "x"?` for the closest known name, or the list when nothing is close. */
function suggestion(given: string, known: string[]): string {
  if (known.length === 0) return ' (it has none)';
  const ranked = known
    .map((name) => ({ name, distance: editDistance(given, name) }))
    .sort((a, b) => a.distance - b.distance);
  const best = ranked[0];
  if (best !== undefined && best.distance <= Math.max(2, Math.floor(given.length / 4))) {
    return `; did you mean "${best.name}"?`;
  }
  return ` (it has: ${known.sort().join(', ')})`;
}

/** Levenshtein distance, for suggestions on short names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
