import type { RespondStep } from '../../contract/flow.js';
import type { FlowResponse } from '../ingest-port.js';
import { type StepExecutor, toJsonValue } from './step-env.js';

/** `respond`: computes the synchronous reply; the run executor hands it over once it is committed. */
export const executeRespond: StepExecutor<RespondStep> = async (step, env) => {
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(step.headers)) {
    headers[name] = await env.flow.template(template).render(env.scope);
  }
  const body = step.body === undefined ? null : await env.flow.expression(step.body).evaluate(env.scope);
  const output: FlowResponse = { status: step.status, headers, body: toJsonValue(body) };
  return { type: 'succeeded', output };
};
