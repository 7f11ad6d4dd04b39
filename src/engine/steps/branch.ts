import type { BranchStep, Step } from '../../contract/flow.js';
import type { StepExecutor } from './step-env.js';

/** What a branch step records: the index of the case taken, `default`, or null for none. */
export interface BranchOutput {
  case: number | 'default' | null;
  name: string | null;
}

/** `branch`: the first case whose `when` is truthy wins; its steps run next (journaled on their own). */
export const executeBranch: StepExecutor<BranchStep> = async (step, env) => {
  for (const [index, c] of step.cases.entries()) {
    const value = await env.flow.expression(c.when).evaluate(env.scope);
    if (isTruthy(value)) {
      const output: BranchOutput = { case: index, name: c.name ?? null };
      return { type: 'succeeded', output };
    }
  }
  const output: BranchOutput =
    step.default === undefined ? { case: null, name: null } : { case: 'default', name: 'default' };
  return { type: 'succeeded', output };
};

/** The nested steps a recorded branch decision leads to; used on first run and on replay alike. */
export function chosenSteps(step: BranchStep, output: unknown): Step[] {
  const decision = output as BranchOutput;
  if (decision.case === null) return [];
  if (decision.case === 'default') return step.default ?? [];
  return step.cases[decision.case]?.steps ?? [];
}

/** JSONata's notion of truth ($boolean): empty strings, zero, empty arrays and null are false. */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.some(isTruthy);
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return false;
}
