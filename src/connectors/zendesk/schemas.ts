import { z } from 'zod';
import { confidential, pii } from '../../connector/classification.js';

/**
 * Zendesk Support objects as `/api/v2` returns them (field names per the project's Zendesk
 * summary). Loose objects: Zendesk adds fields over time and a new one must not break a flow.
 * Timestamps are ISO 8601 UTC to the second.
 */
const Id = z.number().int();
const Timestamp = z.string();
const CustomField = z.looseObject({ id: Id, value: z.unknown() });

export const ZendeskTicket = z.looseObject({
  id: Id,
  url: z.string().optional(),
  external_id: z.string().nullable(),
  subject: confidential(z.string()).nullable(),
  raw_subject: confidential(z.string()).nullable().optional(),
  /** The first comment's text: whatever the customer wrote, personal data included. */
  description: pii(confidential(z.string())).optional(),
  status: z.enum(['new', 'open', 'pending', 'hold', 'solved', 'closed', 'deleted']),
  priority: z.enum(['urgent', 'high', 'normal', 'low']).nullable(),
  type: z.enum(['problem', 'incident', 'question', 'task']).nullable().optional(),
  requester_id: Id,
  submitter_id: Id.nullable().optional(),
  assignee_id: Id.nullable(),
  organization_id: Id.nullable(),
  group_id: Id.nullable().optional(),
  tags: z.array(z.string()),
  custom_fields: confidential(z.array(CustomField)).optional(),
  via: z.looseObject({ channel: z.string() }).optional(),
  due_at: Timestamp.nullable().optional(),
  created_at: Timestamp,
  updated_at: Timestamp,
  /** Only in incremental exports: epoch seconds of the change. */
  generated_timestamp: z.number().int().optional(),
});
export type ZendeskTicket = z.infer<typeof ZendeskTicket>;

export const ZendeskComment = z.looseObject({
  id: Id,
  type: z.string(),
  author_id: Id,
  body: pii(confidential(z.string())),
  html_body: pii(confidential(z.string())).optional(),
  public: z.boolean(),
  created_at: Timestamp,
});
export type ZendeskComment = z.infer<typeof ZendeskComment>;

export const ZendeskUser = z.looseObject({
  id: Id,
  url: z.string().optional(),
  name: pii(z.string()),
  email: pii(z.string()).nullable(),
  phone: pii(z.string()).nullable().optional(),
  alias: pii(z.string()).nullable().optional(),
  role: z.enum(['end-user', 'agent', 'admin']),
  organization_id: Id.nullable(),
  external_id: z.string().nullable(),
  active: z.boolean(),
  verified: z.boolean().optional(),
  suspended: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
  details: confidential(z.string()).nullable().optional(),
  notes: confidential(z.string()).nullable().optional(),
  user_fields: confidential(z.record(z.string(), z.unknown())).optional(),
  time_zone: z.string().optional(),
  locale: z.string().optional(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type ZendeskUser = z.infer<typeof ZendeskUser>;

export const ZendeskOrganization = z.looseObject({
  id: Id,
  url: z.string().optional(),
  name: z.string(),
  external_id: z.string().nullable(),
  domain_names: z.array(z.string()).optional(),
  details: confidential(z.string()).nullable().optional(),
  notes: confidential(z.string()).nullable().optional(),
  group_id: Id.nullable().optional(),
  shared_tickets: z.boolean().optional(),
  shared_comments: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
  organization_fields: confidential(z.record(z.string(), z.unknown())).optional(),
  created_at: Timestamp,
  updated_at: Timestamp,
  /** Only in the incremental export: when the organization was deleted. */
  deleted_at: Timestamp.nullable().optional(),
});
export type ZendeskOrganization = z.infer<typeof ZendeskOrganization>;

/**
 * A Zendesk event delivered to a webhook subscribed to `zen:event-type:*`. `detail` is the object's
 * snapshot (string ids), `event` the change (`{current, previous}` and the like).
 */
export const ZendeskEvent = z.looseObject({
  id: z.string(),
  type: z.string().startsWith('zen:event-type:'),
  subject: z.string(),
  time: z.string(),
  account_id: z.number().int(),
  zendesk_event_version: z.string().optional(),
  detail: pii(confidential(z.looseObject({}))),
  event: confidential(z.looseObject({})).optional(),
});
export type ZendeskEvent = z.infer<typeof ZendeskEvent>;

/** One page of a cursor-paged list: `{<collection>: [...], meta: {has_more, after_cursor}, links}`. */
export function cursorPage<K extends string, T extends z.ZodType>(collection: K, item: T) {
  return z.looseObject({
    [collection]: z.array(item),
    meta: z.looseObject({
      has_more: z.boolean(),
      after_cursor: z.string().nullable(),
      before_cursor: z.string().nullable().optional(),
    }),
    links: z.looseObject({ next: z.string().nullable().optional(), prev: z.string().nullable().optional() }),
  } as Record<K | 'meta' | 'links', z.ZodType>);
}

/** A search answer: `{<collection>: [...], count, next_page}`. */
export function searchResult<K extends string, T extends z.ZodType>(collection: K, item: T) {
  return z.looseObject({
    [collection]: z.array(item),
    count: z.number().int().optional(),
    next_page: z.string().nullable().optional(),
  } as Record<K | 'count' | 'next_page', z.ZodType>);
}

/** What a delete answers once Zendesk has nothing left to show. */
export const Deleted = z.object({ id: Id, deleted: z.literal(true) });
