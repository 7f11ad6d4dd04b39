import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { confidential, pii } from '../../connector/classification.js';
import type { ConnectorContext } from '../../connector/context.js';
import { idempotencyTag, ZendeskId, zendeskRequest } from './client.js';
import { deleteAction } from './delete-action.js';
import { cursorPage, ZendeskComment, ZendeskTicket } from './schemas.js';

const Comment = z.union([
  pii(confidential(z.string().min(1))),
  z.object({
    body: pii(confidential(z.string().min(1))).optional(),
    html_body: pii(confidential(z.string().min(1))).optional(),
    public: z.boolean().optional(),
    author_id: ZendeskId.optional(),
  }),
]);

const CustomFields = confidential(z.array(z.object({ id: ZendeskId, value: z.unknown() })));

/** Fields a ticket create and update share (names per Zendesk's TicketCreate/TicketUpdate). */
const TicketFields = z.object({
  subject: confidential(z.string()).optional(),
  status: z.enum(['new', 'open', 'pending', 'hold', 'solved', 'closed']).optional(),
  priority: z.enum(['urgent', 'high', 'normal', 'low']).optional(),
  type: z.enum(['problem', 'incident', 'question', 'task']).optional(),
  assignee_id: ZendeskId.nullable().optional(),
  group_id: ZendeskId.nullable().optional(),
  organization_id: ZendeskId.nullable().optional(),
  external_id: z.string().optional(),
  tags: z.array(z.string()).optional(),
  custom_fields: CustomFields.optional(),
  due_at: z.string().nullable().optional(),
});

const TicketCreate = TicketFields.extend({
  comment: Comment,
  requester_id: ZendeskId.optional(),
  /** A requester by address: Zendesk finds the user or creates an end user. */
  requester: z.object({ email: pii(z.email()), name: pii(z.string()).optional() }).optional(),
});

const TicketUpdate = TicketFields.extend({
  id: ZendeskId,
  comment: Comment.optional(),
  requester_id: ZendeskId.optional(),
  additional_tags: z.array(z.string()).optional(),
  remove_tags: z.array(z.string()).optional(),
  /** With `updated_stamp` (the `updated_at` you read): Zendesk refuses with 409 if the ticket changed since. */
  safe_update: z.boolean().optional(),
  updated_stamp: z.string().optional(),
});

const TicketAnswer = z.looseObject({ ticket: ZendeskTicket });

/**
 * The ticket a create with this key made, if any: Zendesk lists tickets by `external_id` at once
 * (search is indexed later, so it is no use here), and the key's tag tells ours from others that
 * share the external id.
 */
async function findCreated(ctx: ConnectorContext, externalId: string, key: string) {
  const { body } = await zendeskRequest(ctx, {
    method: 'GET',
    path: '/api/v2/tickets',
    query: { external_id: externalId },
  });
  const tag = idempotencyTag(key);
  return z
    .looseObject({ tickets: z.array(ZendeskTicket) })
    .parse(body)
    .tickets.find((t) => t.tags.includes(tag));
}

/** The external id a create writes: the caller's, or one made from the key so the look-up has a handle. */
const externalIdFor = (input: { external_id?: string | undefined }, key: string) =>
  input.external_id ?? `weft:${key}`;

export const ticketActions = {
  'tickets.get': defineAction({
    kind: 'read',
    name: 'tickets.get',
    description: 'Show one ticket by id',
    input: z.object({ id: ZendeskId }),
    output: ZendeskTicket,
    run: async (ctx, { id }) =>
      TicketAnswer.parse((await zendeskRequest(ctx, { method: 'GET', path: `/api/v2/tickets/${id}` })).body)
        .ticket,
  }),

  'tickets.list': defineAction({
    kind: 'read',
    name: 'tickets.list',
    description: 'One page of tickets (cursor paging: page_size, after; sort e.g. -updated_at)',
    input: z.object({
      page_size: z.number().int().min(1).max(100).optional(),
      after: z.string().optional(),
      sort: z.enum(['id', '-id', 'updated_at', '-updated_at', 'created_at', '-created_at']).optional(),
      external_id: z.string().optional(),
    }),
    output: cursorPage('tickets', ZendeskTicket),
    run: async (ctx, input) =>
      (
        await zendeskRequest(ctx, {
          method: 'GET',
          path: '/api/v2/tickets',
          query: {
            'page[size]': input.page_size ?? 100,
            'page[after]': input.after,
            sort: input.sort,
            external_id: input.external_id,
          },
        })
      ).body,
  }),

  'tickets.comments': defineAction({
    kind: 'read',
    name: 'tickets.comments',
    description: "One page of a ticket's comments (cursor paging)",
    input: z.object({
      id: ZendeskId,
      page_size: z.number().int().min(1).max(100).optional(),
      after: z.string().optional(),
    }),
    output: cursorPage('comments', ZendeskComment),
    run: async (ctx, input) =>
      (
        await zendeskRequest(ctx, {
          method: 'GET',
          path: `/api/v2/tickets/${input.id}/comments`,
          query: { 'page[size]': input.page_size ?? 100, 'page[after]': input.after },
        })
      ).body,
  }),

  /**
   * Tickets have no upsert. The create sends Zendesk's own `Idempotency-Key` (replayed while Zendesk
   * keeps the key) and, because the engine may retry later than that, writes an external id and a
   * tag derived from the key that the ledger look-up finds before any retry.
   */
  'tickets.create': defineAction({
    kind: 'write',
    name: 'tickets.create',
    description: 'Create a ticket with its first comment',
    input: TicketCreate,
    output: ZendeskTicket,
    idempotency: {
      strategy: 'ledger',
      lookup: (ctx, input, key) => findCreated(ctx, externalIdFor(input, key), key),
    },
    run: async (ctx, input, call) => {
      const ticket = {
        ...input,
        external_id: externalIdFor(input, call.idempotencyKey),
        tags: [...(input.tags ?? []), idempotencyTag(call.idempotencyKey)],
      };
      const { body } = await zendeskRequest(ctx, {
        method: 'POST',
        path: '/api/v2/tickets',
        json: { ticket },
        idempotencyKey: call.idempotencyKey,
      });
      return TicketAnswer.parse(body).ticket;
    },
  }),

  /**
   * Field changes are absolute (or set operations on tags), so repeating them converges. A comment
   * is not: an update with one also adds the key's tag in the same request, and the look-up skips
   * the retry when the ticket already carries it.
   */
  'tickets.update': defineAction({
    kind: 'write',
    name: 'tickets.update',
    description: 'Update ticket fields and/or add a comment',
    input: TicketUpdate,
    output: ZendeskTicket,
    idempotency: {
      strategy: 'ledger',
      lookup: async (ctx, input, key) => {
        if (input.comment === undefined) return undefined;
        const { body } = await zendeskRequest(ctx, { method: 'GET', path: `/api/v2/tickets/${input.id}` });
        const ticket = TicketAnswer.parse(body).ticket;
        return ticket.tags.includes(idempotencyTag(key)) ? ticket : undefined;
      },
    },
    run: async (ctx, input, call) => {
      const { id, ...fields } = input;
      const ticket =
        fields.comment === undefined
          ? fields
          : fields.tags !== undefined
            ? { ...fields, tags: [...fields.tags, idempotencyTag(call.idempotencyKey)] }
            : {
                ...fields,
                additional_tags: [...(fields.additional_tags ?? []), idempotencyTag(call.idempotencyKey)],
              };
      const { body } = await zendeskRequest(ctx, {
        method: 'PUT',
        path: `/api/v2/tickets/${id}`,
        json: { ticket },
      });
      return TicketAnswer.parse(body).ticket;
    },
  }),

  'tickets.delete': deleteAction({
    name: 'tickets.delete',
    plural: 'tickets',
    description: 'Delete a ticket (Zendesk keeps it restorable for 30 days)',
  }),
};
