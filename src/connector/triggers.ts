import type { z } from 'zod';
import type { ConnectorContext } from './context.js';

/** The parts of an inbound webhook request that verification needs: the **raw** body, never re-serialised JSON. */
export interface WebhookRequest {
  headers: Headers;
  rawBody: string;
  /** The method and full URL as the sender addressed them (HubSpot v3 signs both). */
  method?: string;
  url?: string;
}

export type WebhookVerdict =
  | { ok: true }
  | { ok: false; reason: 'missing_signature' | 'bad_signature' | 'stale' | 'malformed' };

/** One fact out of a webhook delivery. The dedupe key makes a redelivery a no-op. */
export interface TriggerEvent<T> {
  dedupeKey: string;
  type: string;
  payload: T;
}

/**
 * A trigger that polls. It supplies only "what changed since this cursor"; the engine owns the
 * schedule, stores the cursor with the Event in one transaction, and dedupes.
 */
export interface PollTriggerDefinition<R extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  record: R;
  /** `cursor` is null on the first poll; return the cursor to resume from next time. */
  fetchChanges(
    ctx: ConnectorContext,
    cursor: string | null,
  ): Promise<{ changes: TriggerEvent<z.output<R>>[]; cursor: string | null }>;
}

/** A trigger fed by the System's signed webhook deliveries. */
export interface WebhookTriggerDefinition<E extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  event: E;
  /** Constant-time signature check with a freshness window. `secrets` allows rotation (old and new). */
  verify(req: WebhookRequest, secrets: readonly string[], now: number): WebhookVerdict;
  /** Called only after `verify` said ok. */
  parse(rawBody: string): TriggerEvent<z.output<E>>[];
  /**
   * A verified delivery that is a handshake, not an event (Slack's `url_verification`): the
   * reply the System expects. Checked after `verify`, before `parse`.
   */
  handshake?(rawBody: string): { status: number; body: unknown } | undefined;
}

/**
 * Declares a poll trigger.
 *
 * @example
 * definePollTrigger({ name: 'events', description: '…', record: Event, fetchChanges: async (ctx, cursor) => ({ changes: [], cursor }) })
 */
export function definePollTrigger<R extends z.ZodType>(
  def: PollTriggerDefinition<R>,
): PollTriggerDefinition<R> {
  return def;
}

/**
 * Declares a webhook trigger.
 *
 * @example
 * defineWebhookTrigger({ name: 'events', description: '…', event: Event, verify, parse })
 */
export function defineWebhookTrigger<E extends z.ZodType>(
  def: WebhookTriggerDefinition<E>,
): WebhookTriggerDefinition<E> {
  return def;
}
