import { z } from 'zod';
import { confidential, financial, pii } from '../../connector/classification.js';

/**
 * HubSpot CRM v3 shapes. Every property value is a string (or null) on the wire, whatever the
 * property's type; the envelope is `{id, properties, createdAt, updatedAt, archived}`. Objects are
 * loose: portals add custom properties, and those pass through untyped.
 */

const Text = z.string().nullable().optional();

export const ContactProperties = z.looseObject({
  hs_object_id: Text,
  email: pii(z.string()).nullable().optional(),
  firstname: pii(z.string()).nullable().optional(),
  lastname: pii(z.string()).nullable().optional(),
  phone: pii(z.string()).nullable().optional(),
  mobilephone: pii(z.string()).nullable().optional(),
  address: pii(z.string()).nullable().optional(),
  city: Text,
  state: Text,
  zip: pii(z.string()).nullable().optional(),
  country: Text,
  company: Text,
  jobtitle: Text,
  website: Text,
  lifecyclestage: Text,
  hs_lead_status: Text,
  hubspot_owner_id: Text,
  createdate: Text,
  lastmodifieddate: Text,
});

export const CompanyProperties = z.looseObject({
  hs_object_id: Text,
  name: Text,
  domain: Text,
  website: Text,
  industry: Text,
  phone: Text,
  city: Text,
  country: Text,
  numberofemployees: Text,
  annualrevenue: financial(z.string()).nullable().optional(),
  lifecyclestage: Text,
  description: confidential(z.string()).nullable().optional(),
  hubspot_owner_id: Text,
  createdate: Text,
  hs_lastmodifieddate: Text,
});

export const DealProperties = z.looseObject({
  hs_object_id: Text,
  dealname: Text,
  amount: financial(z.string()).nullable().optional(),
  closedate: Text,
  pipeline: Text,
  dealstage: Text,
  dealtype: Text,
  description: confidential(z.string()).nullable().optional(),
  hs_priority: Text,
  deal_currency_code: Text,
  hubspot_owner_id: Text,
  createdate: Text,
  hs_lastmodifieddate: Text,
});

export const TaskProperties = z.looseObject({
  hs_object_id: Text,
  hs_timestamp: Text,
  hs_task_subject: Text,
  hs_task_body: confidential(z.string()).nullable().optional(),
  hs_task_status: Text,
  hs_task_priority: Text,
  hs_task_type: Text,
  hubspot_owner_id: Text,
  hs_createdate: Text,
  hs_lastmodifieddate: Text,
});

/** `associations` of a v3 read: `{companies: {results: [{id, type}]}}`. */
const EmbeddedAssociations = z.record(
  z.string(),
  z.looseObject({ results: z.array(z.looseObject({ id: z.string(), type: z.string() })) }),
);

function crmObject<P extends z.ZodType>(properties: P) {
  return z.looseObject({
    id: z.string(),
    properties,
    createdAt: z.string(),
    updatedAt: z.string(),
    archived: z.boolean().optional(),
    archivedAt: z.string().optional(),
    associations: EmbeddedAssociations.optional(),
  });
}

export const HubSpotContact = crmObject(ContactProperties);
export type HubSpotContact = z.infer<typeof HubSpotContact>;
export const HubSpotCompany = crmObject(CompanyProperties);
export type HubSpotCompany = z.infer<typeof HubSpotCompany>;
export const HubSpotDeal = crmObject(DealProperties);
export type HubSpotDeal = z.infer<typeof HubSpotDeal>;
export const HubSpotTask = crmObject(TaskProperties);
export type HubSpotTask = z.infer<typeof HubSpotTask>;

/** Any CRM record, for code that does not care which object it is. */
export const HubSpotObject = crmObject(z.record(z.string(), z.string().nullable()));
export type HubSpotObject = z.infer<typeof HubSpotObject>;

const Paging = z.looseObject({
  next: z.looseObject({ after: z.string(), link: z.string().optional() }).optional(),
});

/** One page of `GET /crm/v3/objects/{type}`. */
export function listPage<T extends z.ZodType>(item: T) {
  return z.looseObject({ results: z.array(item), paging: Paging.optional() });
}

/** One page of `POST …/search`: `total` counts every match, `paging.next.after` is an offset. */
export function searchPage<T extends z.ZodType>(item: T) {
  return z.looseObject({ total: z.number().int(), results: z.array(item), paging: Paging.optional() });
}

/** A batch answer (200, or 207 when some inputs failed). */
export function batchResult<T extends z.ZodType>(item: T) {
  return z.looseObject({
    status: z.string(),
    results: z.array(item),
    numErrors: z.number().int().optional(),
    errors: z.array(z.looseObject({ message: z.string(), category: z.string().optional() })).optional(),
  });
}

/** A record written by `batch/upsert`: `new` says whether this call created it. */
export function upserted<T extends z.ZodType>(object: T) {
  return z.intersection(object, z.looseObject({ new: z.boolean() }));
}

/** Property values a write sends: strings, or numbers/booleans HubSpot stores as strings; null clears. */
export const PropertyValue = z.union([z.string(), z.number(), z.boolean()]).nullable();

export const AssociationKind = z.looseObject({
  category: z.string(),
  typeId: z.number().int(),
  label: z.string().nullable().optional(),
});

/** One page of `GET /crm/v4/objects/{type}/{id}/associations/{toType}`. */
export const AssociationPage = z.looseObject({
  results: z.array(
    z.looseObject({
      toObjectId: z.union([z.number(), z.string()]),
      associationTypes: z.array(AssociationKind),
    }),
  ),
  paging: Paging.optional(),
});
export type AssociationPage = z.infer<typeof AssociationPage>;

/** One event of a webhook delivery; a delivery is a JSON array of these. */
export const HubSpotWebhookEvent = z.looseObject({
  eventId: z.number(),
  subscriptionId: z.number(),
  portalId: z.number(),
  appId: z.number().optional(),
  occurredAt: z.number(),
  subscriptionType: z.string(),
  attemptNumber: z.number().int(),
  objectId: z.number(),
  changeSource: z.string().optional(),
  propertyName: z.string().optional(),
  propertyValue: pii(z.string()).optional(),
  changeFlag: z.string().optional(),
});
export type HubSpotWebhookEvent = z.infer<typeof HubSpotWebhookEvent>;
