import type { MapStep } from '../../contract/flow.js';
import { type StepExecutor, toJsonValue } from './step-env.js';

/** `map`: builds a value from the scope with JSONata; pure, so it is safe to replay. */
export const executeMap: StepExecutor<MapStep> = async (step, env) => {
  if (step.set !== undefined) {
    const output: Record<string, unknown> = {};
    for (const [field, source] of Object.entries(step.set)) {
      const value = await env.flow.expression(source).evaluate(env.scope);
      if (value !== undefined) output[field] = value;
    }
    return { type: 'succeeded', output: toJsonValue(output) };
  }
  const value = await env.flow.expression(step.expression as string).evaluate(env.scope);
  return { type: 'succeeded', output: toJsonValue(value) };
};
