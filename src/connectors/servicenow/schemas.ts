import { z } from 'zod';
import { confidential, pii } from '../../connector/classification.js';

/**
 * Table API records as Weft reads them. Every value is a string in ServiceNow's JSON (numbers,
 * booleans and dates included); with `sysparm_display_value=true|all` or reference links a value
 * becomes an object, so each field accepts both. Fields are optional because `sysparm_fields`
 * narrows the answer; objects are loose because instances add custom `u_*` fields.
 */
export const SnValue = z.union([
  z.string(),
  z.looseObject({
    value: z.string().optional(),
    display_value: z.string().nullable().optional(),
    link: z.string().optional(),
  }),
]);
export type SnValue = z.infer<typeof SnValue>;

/** The plain value of a field however it was rendered (string, `{value}`, `{display_value}`). */
export function snValue(v: SnValue | undefined): string | undefined {
  if (v === undefined || typeof v === 'string') return v;
  return v.value ?? v.display_value ?? undefined;
}

const v = SnValue.optional();
const personal = pii(SnValue).optional();
const secretive = confidential(SnValue).optional();

const systemFields = {
  sys_id: v,
  sys_created_on: v,
  sys_created_by: v,
  sys_updated_on: v,
  sys_updated_by: v,
  sys_mod_count: v,
};

/** `incident`: caller, text and notes are classified; the caller reference names a person. */
export const ServiceNowIncident = z.looseObject({
  ...systemFields,
  number: v,
  short_description: secretive,
  description: secretive,
  caller_id: personal,
  state: v,
  incident_state: v,
  hold_reason: v,
  impact: v,
  urgency: v,
  priority: v,
  category: v,
  subcategory: v,
  assignment_group: v,
  assigned_to: personal,
  opened_at: v,
  opened_by: personal,
  resolved_at: v,
  resolved_by: personal,
  closed_at: v,
  close_code: v,
  close_notes: secretive,
  contact_type: v,
  company: v,
  cmdb_ci: v,
  business_service: v,
  correlation_id: v,
  correlation_display: v,
  active: v,
  work_notes: secretive,
  comments: personal,
});
export type ServiceNowIncident = z.infer<typeof ServiceNowIncident>;

/** `sys_user`: a person. */
export const ServiceNowUser = z.looseObject({
  ...systemFields,
  user_name: personal,
  first_name: personal,
  last_name: personal,
  name: personal,
  email: personal,
  phone: personal,
  title: v,
  active: v,
  company: v,
  department: v,
});
export type ServiceNowUser = z.infer<typeof ServiceNowUser>;

/** `core_company`: a customer, vendor or the instance owner's own company. */
export const ServiceNowCompany = z.looseObject({
  ...systemFields,
  name: v,
  street: v,
  city: v,
  country: v,
  phone: v,
  website: v,
  customer: v,
  vendor: v,
});
export type ServiceNowCompany = z.infer<typeof ServiceNowCompany>;

/** `sys_user_group`: an assignment group. */
export const ServiceNowGroup = z.looseObject({
  ...systemFields,
  name: v,
  description: v,
  manager: personal,
  email: v,
  active: v,
});

/** One page of a list: the records, the total (`X-Total-Count`) and the next offset (`Link` rel="next"). */
export function snPage<T extends z.ZodType>(record: T) {
  return z.object({
    result: z.array(record),
    totalCount: z.number().int().optional(),
    nextOffset: z.number().int().optional(),
  });
}

/** Input fields of an incident create/update (names per the Table API). */
const text = (max: number) => z.string().max(max);
const level = z.enum(['1', '2', '3']);
/** A sys_id: 32 hex digits. Checked so an id can never rewrite the request path. */
export const SysId = z.string().regex(/^[0-9a-f]{32}$/, 'not a sys_id (32 hex digits)');
/** correlation_id is string(100); a `^` would break the encoded query the ledger look-up sends. */
export const CorrelationId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^^]*$/, 'must not contain ^');

export const IncidentWritableFields = z.object({
  short_description: confidential(text(160)).optional(),
  description: confidential(text(4000)).optional(),
  /** sys_user sys_id of the person reporting. */
  caller_id: pii(z.string()).optional(),
  category: z.string().optional(),
  subcategory: z.string().optional(),
  impact: level.optional(),
  urgency: level.optional(),
  /** Choice values differ per instance (1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled by default). */
  state: z.string().regex(/^\d+$/).optional(),
  hold_reason: z.string().optional(),
  assignment_group: z.string().optional(),
  assigned_to: pii(z.string()).optional(),
  contact_type: z.string().optional(),
  company: z.string().optional(),
  cmdb_ci: z.string().optional(),
  business_service: z.string().optional(),
  close_code: z.string().optional(),
  close_notes: confidential(z.string()).optional(),
  correlation_display: z.string().max(100).optional(),
  /** Instance-specific fields (`u_…`, scoped `x_…`), sent as given. */
  custom_fields: z.record(z.string().regex(/^(u|x)_[a-z0-9_]+$/), z.string()).optional(),
});
