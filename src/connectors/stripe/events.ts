import { definePollTrigger } from '../../connector/triggers.js';
import { stripeListAll } from './resource-actions.js';
import { StripeEvent, type StripeEvent as StripeEventType } from './schemas.js';

/**
 * Changes since a cursor, read from `GET /v1/events` (kept 30 days by Stripe). The cursor is the
 * `created` second of the newest event seen; the next poll asks for `created[gte]` that second, so
 * events sharing it are not lost, and the engine's dedupe on the event id drops the repeats.
 */
export const stripeEventsPollTrigger = definePollTrigger({
  name: 'events',
  description: 'Poll Stripe events (a fallback when webhooks cannot reach Weft)',
  record: StripeEvent,
  fetchChanges: async (ctx, cursor) => {
    const since = cursor === null ? Math.floor(ctx.now() / 1000) - 3600 : Number(cursor);
    const events: StripeEventType[] = [];
    for await (const raw of stripeListAll<StripeEventType>(ctx, '/v1/events', { created: { gte: since } })) {
      events.push(StripeEvent.parse(raw));
    }
    // Stripe lists newest first; a flow wants them in the order they happened.
    events.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id));
    const newest = events.at(-1)?.created ?? since;
    return {
      changes: events.map((e) => ({ dedupeKey: e.id, type: e.type, payload: e })),
      cursor: String(newest),
    };
  },
});
