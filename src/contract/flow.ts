import { z } from 'zod';

/**
 * The Flow contract: what a user writes in YAML. Everything here is data checked by a schema;
 * the engine trusts these types once `parseFlow` has accepted a file.
 *
 * Expressions are JSONata source strings. Templates are strings in which `{{ expr }}` parts are
 * JSONata; everything else is literal text. Expression scope: `event` (body, headers, query,
 * receivedAt, source, id), `steps` (each completed step's output by id), `run` (id, flow,
 * version) and, inside `forEach`, `item` and `index`.
 */

export const Identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must start with a letter or _ and contain only letters, digits and _');

export const FlowName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and -, at most 63 characters');

export const Expression = z.string().min(1, 'must not be empty').describe('JSONata expression');
export const Template = z.string().describe('text with {{ JSONata }} parts');
export const SecretName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, 'secret names are UPPER_SNAKE_CASE (resolved from WEFT_SECRET_<NAME>)');

/** Duration as milliseconds or a string such as `500ms`, `30s`, `5m`, `2h`, `1d`. */
export const Duration = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+(ms|s|m|h|d)$/, 'must look like 500ms, 30s, 5m, 2h or 1d'),
]);
export type Duration = z.infer<typeof Duration>;

export const RetryPolicy = z
  .object({
    maxAttempts: z.number().int().min(1).max(100).default(5),
    initialDelayMs: z.number().int().min(0).default(500),
    maxDelayMs: z.number().int().min(0).default(60_000),
    multiplier: z.number().min(1).default(2),
    /** Fraction of the delay randomised either way, so retries from many runs spread out. */
    jitter: z.number().min(0).max(1).default(0.2),
  })
  .strict();
export type RetryPolicy = z.infer<typeof RetryPolicy>;

export const SecretRef = z.object({ secret: SecretName, prefix: z.string().optional() }).strict();
export type SecretRef = z.infer<typeof SecretRef>;
export const HeaderValue = z.union([Template, SecretRef]);

export const HttpRequest = z
  .object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    url: Template,
    headers: z.record(z.string(), HeaderValue).default({}),
    query: z.record(z.string(), Template).default({}),
    /** JSONata expression whose value is sent as the JSON body. */
    body: Expression.optional(),
    timeoutMs: z.number().int().min(1).max(300_000).default(30_000),
  })
  .strict();
export type HttpRequest = z.infer<typeof HttpRequest>;

/**
 * A rate limit shared by every run in every process: a token bucket in the database, one per
 * `key`. Connections (a later issue) will key their limits the same way (e.g.
 * `connection:<name>`), so a step and a Connection naming the same key share one budget.
 */
export const RateLimit = z
  .object({
    /** The bucket's name; steps with the same key share it, across flows. */
    key: z.string().min(1).max(200),
    /** Sustained calls per second (fractions allowed: 0.5 is one call every 2 s). */
    perSecond: z.number().positive().max(100_000),
    /** Calls allowed at once after a quiet period. Default: `perSecond` rounded up (at least 1). */
    burst: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();
export type RateLimit = z.infer<typeof RateLimit>;

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

/** `stripe-main`: lower-case letters, digits and `-`, starting with a letter or digit. */
export const ConnectionNamePattern = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const connectionNameMessage =
  'connection names are lower-case letters, digits and -, at most 63 characters, not starting with -';

/**
 * A Connection's name, as declared in YAML, through the API (`weft connections`) and in flows.
 * The one definition: `src/connections/` imports it, since `contract` depends on nothing.
 */
export const ConnectionName = z.string().regex(ConnectionNamePattern, connectionNameMessage);

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

/** An action step: through a Connection when it names one, else the generic HTTP connector. */
export const ActionStep: z.ZodType<ActionStep> = z
  .object({})
  .passthrough()
  .transform((v, ctx): ActionStep => {
    const schema = 'connection' in v ? ConnectorActionStep : HttpActionStep;
    const parsed = (schema as z.ZodType<ActionStep>).safeParse(v);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      const path =
        issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path;
      ctx.addIssue({ code: 'custom', message: issue.message, path, input: v });
    }
    return z.NEVER;
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
      const parsed = (stepByKind[v.kind] as z.ZodType<Step>).safeParse(v);
      if (parsed.success) return parsed.data;
      for (const issue of parsed.error.issues) {
        // Point at the offending key itself so the YAML locator can report its line.
        const path =
          issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : issue.path;
        ctx.addIssue({ code: 'custom', message: issue.message, path, input: v });
      }
      return z.NEVER;
    }),
);

export const SignatureCheck = z
  .object({
    secret: SecretName,
    header: z.string().default('x-weft-signature'),
    algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256'),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    /** Text before the digest in the header, such as `sha256=`. */
    prefix: z.string().default(''),
  })
  .strict();
export type SignatureCheck = z.infer<typeof SignatureCheck>;

export const DedupeRule = z
  .object({ header: z.string().optional(), expression: Expression.optional() })
  .strict()
  .refine((d) => (d.header === undefined) !== (d.expression === undefined), {
    message: 'dedupe needs exactly one of `header` or `expression`',
  });
export type DedupeRule = z.infer<typeof DedupeRule>;

export const WebhookTrigger = z
  .object({
    kind: z.literal('webhook'),
    path: z
      .string()
      .regex(/^[a-z0-9][a-z0-9/_-]{0,127}$/, 'must be lower-case letters, digits, /, _ and -')
      .refine((p) => !p.startsWith('connections/'), {
        message: '`connections/` is reserved for connector webhooks (trigger kind connector-webhook)',
      }),
    signature: SignatureCheck.optional(),
    dedupe: DedupeRule.optional(),
    maxBodyBytes: z
      .number()
      .int()
      .min(1)
      .max(50 * 1024 * 1024)
      .default(1024 * 1024),
    /** How long a caller waits for a `respond` step before getting 202 with the run id. */
    respondTimeoutMs: z.number().int().min(1).max(120_000).default(10_000),
  })
  .strict();
export type WebhookTrigger = z.infer<typeof WebhookTrigger>;

export const MissedTickPolicy = z.enum(['skip', 'latest', 'all']);
export type MissedTickPolicy = z.infer<typeof MissedTickPolicy>;

export const ScheduleTrigger = z
  .object({
    kind: z.literal('schedule'),
    cron: z.string().min(1),
    timezone: z.string().default('UTC'),
    /** What happens to ticks that passed while Weft was down: see docs/flows.md. */
    missed: MissedTickPolicy.default('latest'),
    payload: z.unknown().optional(),
  })
  .strict();
export type ScheduleTrigger = z.infer<typeof ScheduleTrigger>;

export const ManualTrigger = z.object({ kind: z.literal('manual') }).strict();
export type ManualTrigger = z.infer<typeof ManualTrigger>;

/**
 * Changes polled from a System through a Connection: the connector's poll trigger supplies
 * "changes since cursor"; the cursor is kept per (Connection, trigger) and survives restarts and
 * redeploys. Each change becomes one Event (deduped by the change's key).
 */
export const PollTrigger = z
  .object({
    kind: z.literal('poll'),
    connection: ConnectionName,
    /** The connector's poll trigger, e.g. `contacts`. */
    trigger: z.string().min(1),
    /** How often to ask for changes (at least 1s). Flows sharing a (Connection, trigger) poll at the shortest. */
    every: Duration.default('1m'),
    /** Only changes of these types (e.g. `contact.updated`); all when absent. */
    types: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();
export type PollTrigger = z.infer<typeof PollTrigger>;

/**
 * Deliveries of a System's own signed webhooks, verified by the connector with the Connection's
 * webhook secrets, at `POST /hooks/connections/<connection>/<trigger>`.
 */
export const ConnectorWebhookTrigger = z
  .object({
    kind: z.literal('connector-webhook'),
    connection: ConnectionName,
    /** The connector's webhook trigger, e.g. `events`. */
    trigger: z.string().min(1),
    /** Only events of these types (e.g. `contact.creation`); all when absent. */
    types: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();
export type ConnectorWebhookTrigger = z.infer<typeof ConnectorWebhookTrigger>;

export const Trigger = z.discriminatedUnion('kind', [
  WebhookTrigger,
  ScheduleTrigger,
  ManualTrigger,
  PollTrigger,
  ConnectorWebhookTrigger,
]);
export type Trigger = z.infer<typeof Trigger>;
export type TriggerKind = Trigger['kind'];

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
