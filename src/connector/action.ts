import type { z } from 'zod';
import { WeftError } from '../contract/errors.js';
import type { ConnectorContext } from './context.js';

/**
 * How a write stays free of duplicates when it is retried — every write action must say:
 * - `native-key`: the System applies a request once per idempotency key (Stripe `Idempotency-Key`);
 * - `upsert`: the write is keyed by an external id, so repeating it converges (Salesforce, HubSpot);
 * - `ledger`: neither; before a retry the engine's write ledger is checked and `lookup` asks the
 *   System whether the earlier attempt landed (e.g. search by a correlation id written with it).
 */
export type IdempotencyStrategy<I, O> =
  | { strategy: 'native-key' }
  | { strategy: 'upsert'; externalIdField: string }
  | { strategy: 'ledger'; lookup: (ctx: ConnectorContext, input: I, key: string) => Promise<O | undefined> };

/** One call of an action: the key is stable across retries of the same (run, step, item). */
export interface ActionCall {
  idempotencyKey: string;
  /** 1 for the first try; the ledger look-up runs from the second. */
  attempt: number;
}

interface ActionBase<I extends z.ZodType, O extends z.ZodType> {
  name: string;
  description: string;
  input: I;
  output: O;
  run(ctx: ConnectorContext, input: z.output<I>, call: ActionCall): Promise<unknown>;
}

export interface ReadActionDefinition<I extends z.ZodType, O extends z.ZodType> extends ActionBase<I, O> {
  kind: 'read';
}

export interface WriteActionDefinition<I extends z.ZodType, O extends z.ZodType> extends ActionBase<I, O> {
  kind: 'write';
  idempotency: IdempotencyStrategy<z.output<I>, z.output<O>>;
}

export type ActionDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> =
  | ReadActionDefinition<I, O>
  | WriteActionDefinition<I, O>;

/**
 * Declares an action. Writes must declare their idempotency strategy; the type requires it and a
 * runtime check guards plain-JS definitions.
 *
 * @example
 * export const createCustomer = defineAction({
 *   kind: 'write', name: 'customers.create', description: 'Create a customer',
 *   input: CustomerInput, output: Customer, idempotency: { strategy: 'native-key' },
 *   run: (ctx, input, call) => ctx.http.request({ method: 'POST', path: '/v1/customers', form: input, idempotencyKey: call.idempotencyKey }).then((r) => r.body),
 * });
 */
export function defineAction<I extends z.ZodType, O extends z.ZodType>(
  def: ActionDefinition<I, O>,
): ActionDefinition<I, O> {
  if (!/^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)*$/.test(def.name)) {
    throw new Error(`action name "${def.name}" must be dotted camelCase, e.g. customers.create`);
  }
  if (def.kind === 'write' && (def as { idempotency?: unknown }).idempotency === undefined) {
    throw new Error(`write action ${def.name} must declare its idempotency strategy`);
  }
  return def;
}

/**
 * Runs an action the way the engine will: validates the input, applies the idempotency strategy
 * (a `ledger` write looks the earlier attempt up before trying again), validates the output.
 */
export async function invokeAction<I extends z.ZodType, O extends z.ZodType>(
  action: ActionDefinition<I, O>,
  ctx: ConnectorContext,
  rawInput: unknown,
  call: ActionCall,
): Promise<z.output<O>> {
  const input = action.input.safeParse(rawInput);
  if (!input.success) {
    throw new WeftError({
      code: 'invalid_input',
      message: `${action.name}: input does not match its schema`,
      details: { issues: input.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  if (action.kind === 'write' && action.idempotency.strategy === 'ledger' && call.attempt > 1) {
    const earlier = await action.idempotency.lookup(ctx, input.data, call.idempotencyKey);
    if (earlier !== undefined) return earlier;
  }
  const raw = await action.run(ctx, input.data, call);
  const output = action.output.safeParse(raw);
  if (!output.success) {
    // The System answered something we cannot read: a connector bug or an API change, not retryable.
    throw new WeftError({
      code: 'internal',
      message: `${action.name}: the System's answer does not match the output schema`,
      details: {
        issues: output.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })),
      },
    });
  }
  return output.data;
}
