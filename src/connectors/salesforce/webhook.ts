import { defineWeftSignedWebhookTrigger, weftSignatureToleranceMs } from '../../connector/signed-webhook.js';
import type { TriggerEvent } from '../../connector/triggers.js';
import { WeftError } from '../../contract/errors.js';
import { SalesforceChangeEvent } from './schemas.js';

export const salesforceWebhookToleranceMs = weftSignatureToleranceMs;

const verbs: Record<string, string> = {
  CREATE: 'created',
  UPDATE: 'updated',
  DELETE: 'deleted',
  UNDELETE: 'undeleted',
};

/**
 * Change notifications POSTed by the org (an Apex callout from a Change Data Capture trigger or a
 * record-triggered Flow, see docs/connectors/salesforce.md), signed with `X-Weft-Signature` since
 * Salesforce signs nothing itself. The body is one CDC-shaped event, an array of them, or
 * `{events: [...]}`; each record id in `ChangeEventHeader.recordIds` is one trigger event, deduped on
 * `<Object>:<Id>:<commitTimestamp>` — the same key the poll triggers use, so a change seen by both
 * runs once.
 */
export const salesforceChangeEventTrigger = defineWeftSignedWebhookTrigger({
  name: 'changeEvents',
  description: 'Record changes pushed by the org, signed with X-Weft-Signature',
  event: SalesforceChangeEvent,
  parse: (rawBody) => {
    const parsed: unknown = JSON.parse(rawBody);
    const list = Array.isArray(parsed)
      ? parsed
      : typeof parsed === 'object' &&
          parsed !== null &&
          Array.isArray((parsed as { events?: unknown }).events)
        ? (parsed as { events: unknown[] }).events
        : [parsed];
    const out: TriggerEvent<SalesforceChangeEvent>[] = [];
    for (const item of list) {
      const result = SalesforceChangeEvent.safeParse(item);
      if (!result.success) {
        throw new WeftError({
          code: 'invalid_input',
          message: 'not a Salesforce change event',
          details: {
            issues: result.error.issues
              .slice(0, 5)
              .map((i) => ({ path: i.path.join('.'), message: i.message })),
          },
        });
      }
      const h = result.data.ChangeEventHeader;
      const verb = verbs[h.changeType] ?? h.changeType.toLowerCase();
      for (const id of h.recordIds) {
        out.push({
          dedupeKey: `${h.entityName}:${id}:${h.commitTimestamp}`,
          type: `${h.entityName}.${verb}`,
          payload: result.data,
        });
      }
    }
    return out;
  },
});
