import { z } from 'zod';
import { ConnectionName, Duration, Expression, SecretName } from './flow-fields.js';

/** What starts a flow's runs: one schema per trigger kind. */

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
