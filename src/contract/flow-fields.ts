import { z } from 'zod';

/** The values flows are made of: names, expressions, durations, policies and limits. */

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

/** `stripe-main`: lower-case letters, digits and `-`, starting with a letter or digit. */
export const ConnectionNamePattern = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const connectionNameMessage =
  'connection names are lower-case letters, digits and -, at most 63 characters, not starting with -';

/**
 * A Connection's name, as declared in YAML, through the API (`weft connections`) and in flows.
 * The one definition: `src/connections/` imports it, since `contract` depends on nothing.
 */
export const ConnectionName = z.string().regex(ConnectionNamePattern, connectionNameMessage);
