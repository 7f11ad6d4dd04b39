import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { AssociationPage } from './schemas.js';

/**
 * Associations through the v4 API. Creating one is a PUT of the pair: repeating it leaves one
 * association, so retries are safe by construction. Without `types` the pair gets HubSpot's default
 * (unlabelled) type; with them, the HUBSPOT_DEFINED ids given (e.g. 1 = contact's primary company).
 */

const ObjectType = z.enum(['contacts', 'companies', 'deals', 'tasks']);
const Id = z.string().regex(/^\d+$/, 'HubSpot record ids are numeric');

/** HubSpot-defined association type ids between the standard objects (direction matters). */
export const hubspotAssociationTypes = {
  contactToCompany: 279,
  contactToCompanyPrimary: 1,
  companyToContact: 280,
  dealToContact: 3,
  contactToDeal: 4,
  dealToCompany: 341,
  dealToCompanyPrimary: 5,
  companyToDeal: 342,
  taskToContact: 204,
  taskToCompany: 192,
  taskToDeal: 216,
} as const;

const Pair = z.object({
  fromObjectType: ObjectType,
  fromObjectId: Id,
  toObjectType: ObjectType,
  toObjectId: Id,
});

const pairPath = (p: z.infer<typeof Pair>) =>
  `/crm/v4/objects/${p.fromObjectType}/${p.fromObjectId}/associations/${p.toObjectType}/${p.toObjectId}`;

export const associationActions = {
  'associations.create': defineAction({
    kind: 'write',
    name: 'associations.create',
    description: 'Associate two records (default type, or the given HUBSPOT_DEFINED / USER_DEFINED types)',
    input: Pair.extend({
      types: z
        .array(
          z.object({
            associationCategory: z.enum(['HUBSPOT_DEFINED', 'USER_DEFINED', 'INTEGRATOR_DEFINED']),
            associationTypeId: z.number().int(),
          }),
        )
        .min(1)
        .optional(),
    }),
    output: z.looseObject({}),
    idempotency: { strategy: 'upsert', externalIdField: 'fromObjectId+toObjectId' },
    run: async (ctx, { types, ...pair }) => {
      const { body } = types
        ? await ctx.http.request({ method: 'PUT', path: pairPath(pair), json: types })
        : await ctx.http.request({
            method: 'PUT',
            path: `/crm/v4/objects/${pair.fromObjectType}/${pair.fromObjectId}/associations/default/${pair.toObjectType}/${pair.toObjectId}`,
          });
      return body ?? {};
    },
  }),
  'associations.list': defineAction({
    kind: 'read',
    name: 'associations.list',
    description: "One record's associations to an object type, one page (limit ≤ 500, paging.next.after)",
    input: z.object({
      fromObjectType: ObjectType,
      fromObjectId: Id,
      toObjectType: ObjectType,
      limit: z.number().int().min(1).max(500).optional(),
      after: z.string().optional(),
    }),
    output: AssociationPage,
    run: async (ctx, i) =>
      (
        await ctx.http.request({
          method: 'GET',
          path: `/crm/v4/objects/${i.fromObjectType}/${i.fromObjectId}/associations/${i.toObjectType}`,
          query: { limit: i.limit, after: i.after },
        })
      ).body,
  }),
  'associations.delete': defineAction({
    kind: 'write',
    name: 'associations.delete',
    description: 'Remove every association between two records',
    input: Pair,
    output: z.object({ deleted: z.literal(true) }),
    // Deleting the pair twice leaves the same state.
    idempotency: { strategy: 'upsert', externalIdField: 'fromObjectId+toObjectId' },
    run: async (ctx, pair) => {
      await ctx.http.request({ method: 'DELETE', path: pairPath(pair) });
      return { deleted: true as const };
    },
  }),
};
