import { z } from 'zod';
import {
  ConnectionName,
  Duration,
  Expression,
  HttpRequest,
  Identifier,
  RateLimit,
  RetryPolicy,
  Template,
} from './flow-fields.js';

/** The steps of a flow, one schema per kind, dispatched by `kind`. */

const stepBase = {
  id: Identifier,
  description: z.string().optional(),
};

export const MapStep = z
  .object({
    ...stepBase,
    kind: z.literal('map'),
    /** Output object built field by field, each value a JSONata expression. */
    set: z.record(z.string(), Expression).optional(),
    /** Output is the value of one JSONata expression. */
    expression: Expression.optional(),
  })
  .strict()
  .refine((s) => (s.set === undefined) !== (s.expression === undefined), {
    message: 'a map step needs exactly one of `set` or `expression`',
  });
export type MapStep = z.infer<typeof MapStep>;

const actionBase = {
  ...stepBase,
  kind: z.literal('action'),
  /** Runs the action once per element of this array; `item` and `index` are in scope. */
  forEach: Expression.optional(),
  /** Stable key of an item for its idempotency key; defaults to the item's index. */
  itemKey: Expression.optional(),
  retry: RetryPolicy.optional(),
  /**
   * Take a token before each call (each item of a `forEach`). Waiting for one does not count as
   * an attempt: a short wait sleeps, a longer one gives the run up until the token is due.
   */
  rateLimit: RateLimit.optional(),
};

/** An action through the generic HTTP connector: any URL, request written out in the flow. */
export const HttpActionStep = z
  .object({
    ...actionBase,
    connector: z.literal('http'),
    request: HttpRequest,
  })
  .strict();
export type HttpActionStep = z.infer<typeof HttpActionStep>;

/**
 * An action of a System's connector (HubSpot, NetSuite, …) through a named Connection, which holds
 * the base URL, credentials and rate limits. The connector's schema checks `input` at run time.
 */
export const ConnectorActionStep = z
  .object({
    ...actionBase,
    connection: ConnectionName,
    /** The connector's action, e.g. `contacts.upsert`. */
    action: z
      .string()
      .regex(
        /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)*$/,
        'actions are dotted camelCase, e.g. contacts.upsert',
      ),
    /** JSONata expression whose value is the action's input. */
    input: Expression.optional(),
  })
  .strict();
export type ConnectorActionStep = z.infer<typeof ConnectorActionStep>;

export type ActionStep = HttpActionStep | ConnectorActionStep;

/**
 * Parses `value` with the schema a dispatcher chose, passing its issues on. An unknown key is
 * pointed at itself, so the YAML locator can report its line.
 */
function parseAs<T>(schema: z.ZodType<T>, value: unknown, ctx: z.RefinementCtx): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path;
    ctx.addIssue({ code: 'custom', message: issue.message, path, input: value });
  }
  return z.NEVER;
}

/** An action step: through a Connection when it names one, else the generic HTTP connector. */
export const ActionStep: z.ZodType<ActionStep> = z
  .object({})
  .passthrough()
  .transform((v, ctx): ActionStep => {
    const schema = 'connection' in v ? ConnectorActionStep : HttpActionStep;
    return parseAs(schema as z.ZodType<ActionStep>, v, ctx);
  });

/** Whether an action step goes through a Connection. */
export function isConnectorAction(step: ActionStep): step is ConnectorActionStep {
  return 'connection' in step;
}

export const WaitStep = z
  .object({
    ...stepBase,
    kind: z.literal('wait'),
    duration: Duration.optional(),
    /** JSONata expression giving an ISO-8601 time or epoch milliseconds. */
    until: Expression.optional(),
  })
  .strict()
  .refine((s) => (s.duration === undefined) !== (s.until === undefined), {
    message: 'a wait step needs exactly one of `duration` or `until`',
  });
export type WaitStep = z.infer<typeof WaitStep>;

export const RespondStep = z
  .object({
    ...stepBase,
    kind: z.literal('respond'),
    status: z.number().int().min(200).max(599).default(200),
    headers: z.record(z.string(), Template).default({}),
    body: Expression.optional(),
  })
  .strict();
export type RespondStep = z.infer<typeof RespondStep>;

export interface BranchCase {
  name?: string | undefined;
  when: string;
  steps: Step[];
}
export interface BranchStep {
  id: string;
  description?: string | undefined;
  kind: 'branch';
  cases: BranchCase[];
  default?: Step[] | undefined;
}
export type Step = MapStep | BranchStep | ActionStep | WaitStep | RespondStep;
export type StepKind = Step['kind'];
export const stepKinds = [
  'map',
  'branch',
  'action',
  'wait',
  'respond',
] as const satisfies readonly StepKind[];

export const BranchCase: z.ZodType<BranchCase> = z.lazy(() =>
  z
    .object({
      name: z.string().optional(),
      when: Expression,
      steps: z.array(Step).min(1),
    })
    .strict(),
);

export const BranchStep: z.ZodType<BranchStep> = z.lazy(() =>
  z
    .object({
      ...stepBase,
      kind: z.literal('branch'),
      cases: z.array(BranchCase).min(1),
      default: z.array(Step).optional(),
    })
    .strict(),
);

const stepByKind = {
  map: MapStep,
  branch: BranchStep,
  action: ActionStep,
  wait: WaitStep,
  respond: RespondStep,
} satisfies Record<StepKind, z.ZodType>;

/**
 * A Step, chosen by its `kind`. Dispatching by hand (rather than z.discriminatedUnion) keeps the
 * error for an unknown kind short and lets the recursive branch schema stay lazy.
 */
export const Step: z.ZodType<Step> = z.lazy(() =>
  z
    .object({ kind: z.enum(stepKinds, { message: `kind must be one of: ${stepKinds.join(', ')}` }) })
    .passthrough()
    .transform((v, ctx): Step => {
      return parseAs(stepByKind[v.kind] as z.ZodType<Step>, v, ctx);
    }),
);
