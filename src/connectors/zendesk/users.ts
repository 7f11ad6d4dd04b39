import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { confidential, pii } from '../../connector/classification.js';
import { ZendeskId, zendeskRequest } from './client.js';
import { cursorPage, searchResult, ZendeskUser } from './schemas.js';

/** Writable user fields (subset flows use; names per Zendesk's User). */
const UserFields = z.object({
  name: pii(z.string().min(1)).optional(),
  email: pii(z.email()).optional(),
  phone: pii(z.string()).nullable().optional(),
  alias: pii(z.string()).nullable().optional(),
  role: z.enum(['end-user', 'agent', 'admin']).optional(),
  organization_id: ZendeskId.nullable().optional(),
  external_id: z.string().nullable().optional(),
  tags: z.array(z.string()).optional(),
  details: confidential(z.string()).nullable().optional(),
  notes: confidential(z.string()).nullable().optional(),
  time_zone: z.string().optional(),
  locale: z.string().optional(),
  verified: z.boolean().optional(),
  user_fields: confidential(z.record(z.string(), z.unknown())).optional(),
});

const UserAnswer = z.looseObject({ user: ZendeskUser });

export const userActions = {
  'users.get': defineAction({
    kind: 'read',
    name: 'users.get',
    description: 'Show one user by id (deleted users answer with active: false)',
    input: z.object({ id: ZendeskId }),
    output: ZendeskUser,
    run: async (ctx, { id }) =>
      UserAnswer.parse((await zendeskRequest(ctx, { method: 'GET', path: `/api/v2/users/${id}` })).body).user,
  }),

  'users.list': defineAction({
    kind: 'read',
    name: 'users.list',
    description: 'One page of users (cursor paging: page_size, after)',
    input: z.object({
      page_size: z.number().int().min(1).max(100).optional(),
      after: z.string().optional(),
      sort: z.enum(['id', '-id', 'updated_at', '-updated_at', 'created_at', '-created_at']).optional(),
    }),
    output: cursorPage('users', ZendeskUser),
    run: async (ctx, input) =>
      (
        await zendeskRequest(ctx, {
          method: 'GET',
          path: '/api/v2/users',
          query: { 'page[size]': input.page_size ?? 100, 'page[after]': input.after, sort: input.sort },
        })
      ).body,
  }),

  'users.search': defineAction({
    kind: 'read',
    name: 'users.search',
    description: 'Find users by external id, or by a query such as "email:ada@example.com"',
    input: z
      .object({ query: z.string().min(1).optional(), external_id: z.string().min(1).optional() })
      .refine((i) => i.query !== undefined || i.external_id !== undefined, 'give query or external_id'),
    output: searchResult('users', ZendeskUser),
    run: async (ctx, input) =>
      (
        await zendeskRequest(ctx, {
          method: 'GET',
          path: '/api/v2/users/search',
          query: { query: input.query, external_id: input.external_id },
        })
      ).body,
  }),

  /**
   * Zendesk's upsert: the user whose `external_id` matches, else whose email matches, is updated;
   * otherwise one is created. Repeating it converges, so a retry never duplicates.
   */
  'users.createOrUpdate': defineAction({
    kind: 'write',
    name: 'users.createOrUpdate',
    description: 'Create or update a user matched by external_id or email',
    input: UserFields.refine(
      (u) => (u.external_id ?? undefined) !== undefined || u.email !== undefined,
      'give external_id or email: the upsert needs a key to match on',
    ),
    output: ZendeskUser,
    idempotency: { strategy: 'upsert', externalIdField: 'external_id' },
    run: async (ctx, user) =>
      UserAnswer.parse(
        (
          await zendeskRequest(ctx, {
            method: 'POST',
            path: '/api/v2/users/create_or_update',
            json: { user },
          })
        ).body,
      ).user,
  }),

  /** Sets fields on the user with this id: absolute values, so a repeat converges. */
  'users.update': defineAction({
    kind: 'write',
    name: 'users.update',
    description: 'Update a user by id',
    input: UserFields.extend({ id: ZendeskId }),
    output: ZendeskUser,
    idempotency: { strategy: 'upsert', externalIdField: 'id' },
    run: async (ctx, { id, ...user }) =>
      UserAnswer.parse(
        (await zendeskRequest(ctx, { method: 'PUT', path: `/api/v2/users/${id}`, json: { user } })).body,
      ).user,
  }),

  'users.delete': defineAction({
    kind: 'write',
    name: 'users.delete',
    description: 'Delete (deactivate) a user; answers the user with active: false',
    input: z.object({ id: ZendeskId }),
    output: ZendeskUser,
    idempotency: {
      strategy: 'ledger',
      // Zendesk keeps a deleted user readable and inactive: that is the earlier attempt's mark.
      lookup: async (ctx, { id }) => {
        const user = UserAnswer.parse(
          (await zendeskRequest(ctx, { method: 'GET', path: `/api/v2/users/${id}` })).body,
        ).user;
        return user.active ? undefined : user;
      },
    },
    run: async (ctx, { id }) =>
      UserAnswer.parse((await zendeskRequest(ctx, { method: 'DELETE', path: `/api/v2/users/${id}` })).body)
        .user,
  }),
};
