import { z } from 'zod';
import { FlowName, RetryPolicy } from './flow-fields.js';
import { Step } from './steps.js';
import { Trigger } from './triggers.js';

/**
 * The Flow contract: what a user writes in YAML. Everything here is data checked by a schema;
 * the engine trusts these types once `parseFlow` has accepted a file.
 *
 * Expressions are JSONata source strings. Templates are strings in which `{{ expr }}` parts are
 * JSONata; everything else is literal text. Expression scope: `event` (body, headers, query,
 * receivedAt, source, id), `steps` (each completed step's output by id), `run` (id, flow,
 * version) and, inside `forEach`, `item` and `index`.
 */

export * from './flow-fields.js';
export * from './steps.js';
export * from './triggers.js';

export const FlowLimits = z
  .object({
    /** Wall-clock budget of one expression evaluation. */
    expressionTimeoutMs: z.number().int().min(10).max(60_000).default(1_000),
  })
  .strict();

export const Flow = z
  .object({
    name: FlowName,
    description: z.string().optional(),
    trigger: Trigger,
    /** Default retry policy of the flow's action steps. */
    retry: RetryPolicy.optional(),
    limits: FlowLimits.default({ expressionTimeoutMs: 1_000 }),
    /**
     * At most this many runs of the flow execute at once, across every worker of every process.
     * Further runs wait in the queue (they are never inlined). Runs keep the limit of the version
     * they started on.
     */
    concurrency: z.number().int().min(1).max(100_000).optional(),
    steps: z.array(Step).min(1),
  })
  .strict();
export type Flow = z.infer<typeof Flow>;
