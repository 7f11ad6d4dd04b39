import { WeftError } from '../../contract/errors.js';
import type { WaitStep } from '../../contract/flow.js';
import { durationMs } from '../duration.js';
import type { StepExecutor } from './step-env.js';

/**
 * `wait`: a durable timer. The first visit records when to resume and gives the run up; the run
 * is claimed again once that time has come, by this process or any other, even after a restart.
 */
export const executeWait: StepExecutor<WaitStep> = async (step, env) => {
  const now = env.now();
  let resumeAt: number;
  if (env.entry?.status === 'waiting' && env.entry.resumeAt !== null) {
    resumeAt = env.entry.resumeAt;
  } else if (step.duration !== undefined) {
    resumeAt = now + durationMs(step.duration);
  } else {
    const value = await env.flow.expression(step.until as string).evaluate(env.scope);
    resumeAt = toTime(value, step.until as string);
  }
  if (resumeAt <= now) {
    return { type: 'succeeded', output: { waitedUntil: new Date(resumeAt).toISOString() } };
  }
  return { type: 'suspended', status: 'waiting', resumeAt, attempts: 0 };
};

function toTime(value: unknown, expression: string): number {
  const t = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(t)) {
    throw new WeftError({
      code: 'expression_error',
      message: `wait \`until\` must give an ISO-8601 time or epoch milliseconds, got ${JSON.stringify(value)}`,
      details: { expression },
    });
  }
  return t;
}
