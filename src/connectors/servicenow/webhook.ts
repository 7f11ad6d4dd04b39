import { z } from 'zod';
import { defineWeftSignedWebhookTrigger, weftSignatureToleranceMs } from '../../connector/signed-webhook.js';
import { ServiceNowIncident } from './schemas.js';

/**
 * ServiceNow signs no outbound calls, so the customer's Business Rule (or Flow REST step) signs
 * its POST with the Weft signature (`X-Weft-Signature: t=…,v1=…`); the script is in
 * docs/connectors/servicenow.md. The body is one change of one incident.
 */
export const IncidentChangeEvent = z.looseObject({
  /** gs.generateGUID() of the delivery; informative, the dedupe key is the record version. */
  event_id: z.string().optional(),
  event_type: z.enum(['incident.created', 'incident.updated', 'incident.deleted']),
  table: z.literal('incident'),
  sys_id: z.string().min(1),
  sys_updated_on: z.string(),
  sys_mod_count: z.string().optional(),
  record: ServiceNowIncident,
});
export type IncidentChangeEvent = z.infer<typeof IncidentChangeEvent>;

export const serviceNowWebhookToleranceMs = weftSignatureToleranceMs;

/**
 * Incident changes pushed by a Business Rule. The dedupe key is the record's version:
 * `incident:<sys_id>:<sys_updated_on>:<sys_mod_count>`. sys_updated_on alone is not enough here:
 * two updates within one second are two deliveries, and the second must not be dropped as a
 * repeat of the first; sys_mod_count tells them apart. A redelivery of the same version is a repeat.
 */
export const incidentWebhookTrigger = defineWeftSignedWebhookTrigger({
  name: 'incidents',
  description: 'Incident changes POSTed by a ServiceNow Business Rule, signed with X-Weft-Signature',
  event: IncidentChangeEvent,
  parse: (rawBody) => {
    const event = IncidentChangeEvent.parse(JSON.parse(rawBody));
    const version =
      event.event_type === 'incident.deleted'
        ? 'deleted'
        : `${event.sys_updated_on}:${event.sys_mod_count ?? ''}`;
    return [{ dedupeKey: `incident:${event.sys_id}:${version}`, type: event.event_type, payload: event }];
  },
});
