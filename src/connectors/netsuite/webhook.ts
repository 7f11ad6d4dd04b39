import { z } from 'zod';
import { pii } from '../../connector/classification.js';
import { defineWeftSignedWebhookTrigger, weftSignatureToleranceMs } from '../../connector/signed-webhook.js';

/**
 * What the SuiteScript User Event script (docs/connectors/netsuite.md) POSTs after a record is
 * saved: NetSuite has no webhooks of its own, so the script signs the body with Weft's header
 * (`X-Weft-Signature: t=…,v1=hex HMAC-SHA256(secret, "t.body")`).
 */
export const NetSuiteRecordChange = z.looseObject({
  /** A fresh id per delivery (the script's `uuid`). */
  id: z.string(),
  /** `<recordType>.<eventType>`, e.g. `customer.edit`. */
  type: z.string(),
  account: z.string(),
  recordType: z.string(),
  recordId: z.string(),
  /** SuiteScript's `context.type`: create, edit, xedit, delete, … */
  eventType: z.string(),
  externalId: z.string().nullable().optional(),
  lastModifiedDate: z.string().nullable().optional(),
  occurredAt: z.string(),
  fields: z
    .looseObject({
      email: pii(z.string()).optional(),
      firstName: pii(z.string()).optional(),
      lastName: pii(z.string()).optional(),
      phone: pii(z.string()).optional(),
    })
    .optional(),
});
export type NetSuiteRecordChange = z.infer<typeof NetSuiteRecordChange>;

export const netsuiteWebhookToleranceMs = weftSignatureToleranceMs;

/**
 * Record-change callouts, verified with the Weft signature. The dedupe key is
 * `<recordType>:<id>:<lastModifiedDate>` (`:deleted` for a delete), so a callout the script
 * repeats for the same save is dropped.
 */
export const netsuiteRecordChangeTrigger = defineWeftSignedWebhookTrigger({
  name: 'recordChanges',
  description: 'Record saves pushed by a SuiteScript afterSubmit callout (signed with X-Weft-Signature)',
  event: NetSuiteRecordChange,
  parse: (rawBody) => {
    const event = NetSuiteRecordChange.parse(JSON.parse(rawBody));
    const version = event.eventType === 'delete' ? 'deleted' : (event.lastModifiedDate ?? event.id);
    return [
      { dedupeKey: `${event.recordType}:${event.recordId}:${version}`, type: event.type, payload: event },
    ];
  },
});
