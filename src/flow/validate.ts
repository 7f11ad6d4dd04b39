/**
 * @module flow/validate
 * Semantic checks that a schema cannot express, run after the schema accepted a flow. Each
 * problem is located in the YAML like a schema problem.
 */
import { Cron } from 'croner';
import { WeftError } from '../contract/errors.js';
import type { Flow } from '../contract/flow.js';
import { type AstNode, findStepReferences } from './ast.js';
import { compileExpression, type ExpressionLimits, type JsonataExpression } from './expression.js';
import {
  type FlowProblem,
  FlowSourceError,
  readFlowSource,
  type SourceLocator,
  sortProblems,
} from './parse.js';
import { expressionSites, stepSites } from './sites.js';
import { compileTemplate } from './template.js';

/**
 * Checks a schema-valid flow:
 * - step ids are unique across the flow, nested branch steps included;
 * - every expression and template compiles, and regex literals in them are safe;
 * - `steps.<id>` reads name a step of the flow (best effort, from the syntax tree);
 * - a `respond` step appears only in a webhook-triggered flow;
 * - a schedule's cron pattern and timezone are valid.
 */
export function validateFlow(flow: Flow, locator: SourceLocator): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const steps = stepSites(flow);

  const seen = new Set<string>();
  for (const { step, path } of steps) {
    if (seen.has(step.id)) problems.push(locator.problem([...path, 'id'], `duplicate step id "${step.id}"`));
    seen.add(step.id);
    if (step.kind === 'respond' && flow.trigger.kind !== 'webhook') {
      problems.push(
        locator.problem(
          [...path, 'kind'],
          'a respond step needs a webhook trigger (nobody waits for a reply)',
        ),
      );
    }
  }

  const limits: ExpressionLimits = { timeoutMs: flow.limits.expressionTimeoutMs };
  for (const site of expressionSites(flow)) {
    let compiled: JsonataExpression[];
    try {
      compiled =
        site.kind === 'expression'
          ? [compileExpression(site.source, limits)]
          : compileTemplate(site.source, limits).expressions();
    } catch (err) {
      if (!(err instanceof WeftError)) throw err;
      problems.push(locator.problem(site.path, err.message, errorIndex(err)));
      continue;
    }
    for (const expression of compiled) {
      for (const ref of findStepReferences(expression.ast() as AstNode)) {
        if (seen.has(ref.stepId)) continue;
        // Template parts are located at the template; their positions are relative to the part.
        const index = site.kind === 'expression' ? Math.max(ref.position - 1, 0) : undefined;
        problems.push(
          locator.problem(site.path, `no step with id "${ref.stepId}" (read as steps.${ref.stepId})`, index),
        );
      }
    }
  }

  if (flow.trigger.kind === 'schedule') problems.push(...checkSchedule(flow.trigger, locator));
  return problems;
}

/**
 * Parses, schema-checks and validates a flow file. Throws {@link FlowSourceError} with every
 * problem found, sorted by position.
 *
 * @example
 * const flow = checkFlowSource(text, 'flows/leads.yaml');
 */
export function checkFlowSource(source: string, file: string): Flow {
  return checkFlowSourceLocated(source, file).flow;
}

/** {@link checkFlowSource}, keeping the locator for further located checks (e.g. at deploy). */
export function checkFlowSourceLocated(source: string, file: string): { flow: Flow; locator: SourceLocator } {
  const reading = readFlowSource(source, file);
  if (reading.flow === undefined) throw new FlowSourceError(reading.problems);
  const problems = validateFlow(reading.flow, reading.locator);
  if (problems.length > 0) throw new FlowSourceError(sortProblems(problems));
  return { flow: reading.flow, locator: reading.locator };
}

/** Whether `timezone` is an IANA zone name this runtime knows. */
export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function checkSchedule(
  trigger: Extract<Flow['trigger'], { kind: 'schedule' }>,
  locator: SourceLocator,
): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const tzOk = isValidTimezone(trigger.timezone);
  if (!tzOk)
    problems.push(locator.problem(['trigger', 'timezone'], `unknown timezone "${trigger.timezone}"`));
  try {
    const cron = new Cron(trigger.cron, { paused: true, ...(tzOk ? { timezone: trigger.timezone } : {}) });
    // croner also accepts an ISO date as a one-shot "pattern"; a schedule must repeat.
    if (cron.getOnce() !== null) {
      problems.push(locator.problem(['trigger', 'cron'], 'must be a cron pattern such as "0 9 * * 1-5"'));
    } else if (tzOk && cron.nextRun() === null) {
      problems.push(locator.problem(['trigger', 'cron'], 'the pattern never fires'));
    }
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err);
    problems.push(locator.problem(['trigger', 'cron'], `invalid cron pattern: ${message}`));
  }
  return problems;
}

function errorIndex(err: WeftError): number | undefined {
  const position = err.details.position;
  return typeof position === 'number' ? Math.max(position - 1, 0) : undefined;
}
