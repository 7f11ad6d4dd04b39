import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { confidential } from '../../connector/classification.js';
import { ZendeskId, zendeskRequest } from './client.js';
import { deleteAction } from './delete-action.js';
import { cursorPage, searchResult, ZendeskOrganization } from './schemas.js';

/** Writable organization fields (names per Zendesk's Organization). */
const OrganizationFields = z.object({
  name: z.string().min(1).optional(),
  external_id: z.string().nullable().optional(),
  domain_names: z.array(z.string()).optional(),
  details: confidential(z.string()).nullable().optional(),
  notes: confidential(z.string()).nullable().optional(),
  group_id: ZendeskId.nullable().optional(),
  shared_tickets: z.boolean().optional(),
  shared_comments: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
  organization_fields: confidential(z.record(z.string(), z.unknown())).optional(),
});

const OrganizationAnswer = z.looseObject({ organization: ZendeskOrganization });

export const organizationActions = {
  'organizations.get': defineAction({
    kind: 'read',
    name: 'organizations.get',
    description: 'Show one organization by id',
    input: z.object({ id: ZendeskId }),
    output: ZendeskOrganization,
    run: async (ctx, { id }) =>
      OrganizationAnswer.parse(
        (await zendeskRequest(ctx, { method: 'GET', path: `/api/v2/organizations/${id}` })).body,
      ).organization,
  }),

  'organizations.list': defineAction({
    kind: 'read',
    name: 'organizations.list',
    description: 'One page of organizations (cursor paging: page_size, after)',
    input: z.object({
      page_size: z.number().int().min(1).max(100).optional(),
      after: z.string().optional(),
      sort: z.enum(['id', '-id', 'updated_at', '-updated_at', 'created_at', '-created_at']).optional(),
    }),
    output: cursorPage('organizations', ZendeskOrganization),
    run: async (ctx, input) =>
      (
        await zendeskRequest(ctx, {
          method: 'GET',
          path: '/api/v2/organizations',
          query: { 'page[size]': input.page_size ?? 100, 'page[after]': input.after, sort: input.sort },
        })
      ).body,
  }),

  'organizations.search': defineAction({
    kind: 'read',
    name: 'organizations.search',
    description: 'Find organizations by external id or exact name',
    input: z
      .object({ external_id: z.string().min(1).optional(), name: z.string().min(1).optional() })
      .refine((i) => i.external_id !== undefined || i.name !== undefined, 'give external_id or name'),
    output: searchResult('organizations', ZendeskOrganization),
    run: async (ctx, input) =>
      (
        await zendeskRequest(ctx, {
          method: 'GET',
          path: '/api/v2/organizations/search',
          query: { external_id: input.external_id, name: input.name },
        })
      ).body,
  }),

  /**
   * Zendesk's upsert: matched by `id`, then `external_id`, else created. Without either key every
   * call would create, so one of them is required.
   */
  'organizations.createOrUpdate': defineAction({
    kind: 'write',
    name: 'organizations.createOrUpdate',
    description: 'Create or update an organization matched by id or external_id',
    input: OrganizationFields.extend({ id: ZendeskId.optional() }).refine(
      (o) => o.id !== undefined || (o.external_id ?? undefined) !== undefined,
      'give external_id or id: the upsert needs a key to match on',
    ),
    output: ZendeskOrganization,
    idempotency: { strategy: 'upsert', externalIdField: 'external_id' },
    run: async (ctx, organization) =>
      OrganizationAnswer.parse(
        (
          await zendeskRequest(ctx, {
            method: 'POST',
            path: '/api/v2/organizations/create_or_update',
            json: { organization },
          })
        ).body,
      ).organization,
  }),

  'organizations.update': defineAction({
    kind: 'write',
    name: 'organizations.update',
    description: 'Update an organization by id',
    input: OrganizationFields.extend({ id: ZendeskId }),
    output: ZendeskOrganization,
    idempotency: { strategy: 'upsert', externalIdField: 'id' },
    run: async (ctx, { id, ...organization }) =>
      OrganizationAnswer.parse(
        (
          await zendeskRequest(ctx, {
            method: 'PUT',
            path: `/api/v2/organizations/${id}`,
            json: { organization },
          })
        ).body,
      ).organization,
  }),

  'organizations.delete': deleteAction({
    name: 'organizations.delete',
    plural: 'organizations',
    description: 'Delete an organization',
  }),
};
