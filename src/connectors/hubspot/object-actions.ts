import { z } from 'zod';
import { type ActionDefinition, defineAction } from '../../connector/action.js';
import type { ConnectorContext } from '../../connector/context.js';
import { cursorPages } from '../../connector/pagination.js';
import { WeftError } from '../../contract/errors.js';
import { batchResult, listPage, searchPage, upserted } from './schemas.js';
import { SearchRequest } from './search.js';

/**
 * Builders for the actions every CRM object shares (get, list, search, create, update, upsert,
 * batch upsert, archive), so each object's file states only its path, schemas and keys.
 */

export type CrmObjectType = 'contacts' | 'companies' | 'deals' | 'tasks';

/** What one CRM object's actions need to know about it. */
export interface ObjectSpec<T extends CrmObjectType, O extends z.ZodType> {
  type: T;
  /** Singular, for descriptions. */
  noun: string;
  /** The record as HubSpot returns it. */
  object: O;
  /** The `properties` a write may send. */
  writable: z.ZodObject;
  /**
   * How `create` finds its first try on a retry: by a natural unique property the input carries
   * (contacts: email) or, when absent, by the Connection's idempotency property it stamps.
   */
  naturalKey?: string;
  /** The unique property `upsert` matches on when the input names none. */
  defaultIdProperty: (ctx: ConnectorContext) => string;
}

/** Defaults of the Connection settings the connector reads. */
export const settingDefaults = {
  /** A custom unique-value property (single-line text) that upserts match on. */
  externalIdProperty: 'weft_external_id',
  /** A custom unique-value property `create` writes the engine's idempotency key into. */
  idempotencyProperty: 'weft_idempotency_key',
} as const;

export function setting(ctx: ConnectorContext, name: keyof typeof settingDefaults): string {
  const value = ctx.connection.settings[name];
  return value !== undefined && value !== '' ? value : settingDefaults[name];
}

/** HubSpot ids are numeric; a unique property value may be anything, so it is always encoded. */
const RecordRef = z.string().min(1).max(1000);
const PropertyNames = z.array(z.string().regex(/^[a-z0-9_]+$/i, 'not a property name')).max(500);
const ObjectTypeNames = z.array(z.enum(['contacts', 'companies', 'deals', 'tasks'])).max(4);

const AssociationInput = z.object({
  to: z.object({ id: z.string().regex(/^\d+$/) }),
  types: z
    .array(
      z.object({
        associationCategory: z.enum(['HUBSPOT_DEFINED', 'USER_DEFINED', 'INTEGRATOR_DEFINED']),
        associationTypeId: z.number().int(),
      }),
    )
    .min(1),
});

export const ListInput = z.object({
  limit: z.number().int().min(1).max(100).optional(),
  after: z.string().optional(),
  properties: PropertyNames.optional(),
  associations: ObjectTypeNames.optional(),
  archived: z.boolean().optional(),
});

const path = (type: CrmObjectType, ...rest: string[]) =>
  ['/crm/v3/objects', type, ...rest.map((r) => encodeURIComponent(r))].join('/');

const csv = (names: readonly string[] | undefined) =>
  names && names.length > 0 ? names.join(',') : undefined;

/** Reads one record by id, or by a unique property (`idProperty=email`); not found is `undefined`. */
export async function findRecord(
  ctx: ConnectorContext,
  type: CrmObjectType,
  id: string,
  idProperty?: string,
): Promise<unknown | undefined> {
  try {
    return (await ctx.http.request({ method: 'GET', path: path(type, id), query: { idProperty } })).body;
  } catch (err) {
    if (err instanceof WeftError && err.code === 'not_found') return undefined;
    throw err;
  }
}

/**
 * The record a create stamped with idempotency key `key`. A unique-value property is read directly
 * (consistent at once); where the portal could not make it unique (HubSpot refuses it as an
 * `idProperty`), search for it instead, which trails writes by a few seconds.
 */
export async function findByIdempotencyKey(
  ctx: ConnectorContext,
  type: CrmObjectType,
  property: string,
  key: string,
): Promise<unknown | undefined> {
  try {
    return await findRecord(ctx, type, key, property);
  } catch (err) {
    if (!(err instanceof WeftError) || err.code !== 'invalid_input') throw err;
  }
  const { body } = await ctx.http.request({
    method: 'POST',
    path: path(type, 'search'),
    json: { filterGroups: [{ filters: [{ propertyName: property, operator: 'EQ', value: key }] }], limit: 1 },
  });
  return searchPage(z.unknown()).parse(body).results[0];
}

/**
 * Every record of an object through `after` paging, to the end.
 *
 * @example
 * for await (const c of hubspotListAll(ctx, 'contacts', { properties: ['email'] })) …
 */
export function hubspotListAll<T = unknown>(
  ctx: ConnectorContext,
  type: CrmObjectType,
  opts: { properties?: string[]; pageSize?: number } = {},
): AsyncGenerator<T> {
  const Page = listPage(z.unknown());
  return cursorPages<T>({
    fetchPage: async (after) => {
      const { body } = await ctx.http.request({
        method: 'GET',
        path: path(type),
        query: { limit: opts.pageSize ?? 100, after, properties: csv(opts.properties) },
      });
      const page = Page.parse(body);
      return { items: page.results as T[], nextCursor: page.paging?.next?.after };
    },
  });
}

/** The verbs every object has: `contacts.get`, `deals.upsert`, … */
export type ObjectVerb =
  | 'get'
  | 'list'
  | 'search'
  | 'create'
  | 'update'
  | 'upsert'
  | 'batchUpsert'
  | 'archive';

export function objectActions<T extends CrmObjectType, O extends z.ZodType>(
  spec: ObjectSpec<T, O>,
): Record<`${T}.${ObjectVerb}`, ActionDefinition> {
  const { type, noun, object } = spec;
  const Writable = spec.writable;
  const externalIdDescription =
    spec.naturalKey ?? `${settingDefaults.externalIdProperty} (Connection setting externalIdProperty)`;

  const get = defineAction({
    kind: 'read',
    name: `${type}.get`,
    description: `Read one ${noun} by id, or by a unique property (idProperty)`,
    input: z.object({
      id: RecordRef,
      idProperty: z.string().optional(),
      properties: PropertyNames.optional(),
      associations: ObjectTypeNames.optional(),
      archived: z.boolean().optional(),
    }),
    output: object,
    run: async (ctx, i) =>
      (
        await ctx.http.request({
          method: 'GET',
          path: path(type, i.id),
          query: {
            idProperty: i.idProperty,
            properties: csv(i.properties),
            associations: csv(i.associations),
            archived: i.archived,
          },
        })
      ).body,
  });

  const list = defineAction({
    kind: 'read',
    name: `${type}.list`,
    description: `List ${noun}s, one page (limit ≤ 100, paging.next.after)`,
    input: ListInput,
    output: listPage(object),
    run: async (ctx, i) =>
      (
        await ctx.http.request({
          method: 'GET',
          path: path(type),
          query: {
            limit: i.limit,
            after: i.after,
            properties: csv(i.properties),
            associations: csv(i.associations),
            archived: i.archived,
          },
        })
      ).body,
  });

  const search = defineAction({
    kind: 'read',
    name: `${type}.search`,
    description: `Search ${noun}s: filter groups OR'ed, filters AND'ed; one page (limit ≤ 200, at most 10,000 results)`,
    input: SearchRequest,
    output: searchPage(object),
    run: async (ctx, i) =>
      (await ctx.http.request({ method: 'POST', path: path(type, 'search'), json: i })).body,
  });

  const createInput = z.object({ properties: Writable, associations: z.array(AssociationInput).optional() });
  const create = defineAction({
    kind: 'write',
    name: `${type}.create`,
    description: spec.naturalKey
      ? `Create a ${noun} (a retry finds the first try by ${spec.naturalKey})`
      : `Create a ${noun} (the idempotency key is written to the Connection's idempotencyProperty)`,
    input: spec.naturalKey
      ? createInput.refine(
          (i) => typeof (i.properties as Record<string, unknown>)[spec.naturalKey as string] === 'string',
          {
            message: `properties.${spec.naturalKey} is required: a retried create finds its first try by it`,
          },
        )
      : createInput,
    output: object,
    idempotency: {
      strategy: 'ledger',
      lookup: async (ctx, input, key) => {
        const props = input.properties as Record<string, unknown>;
        const earlier = spec.naturalKey
          ? await findRecord(ctx, type, String(props[spec.naturalKey]), spec.naturalKey)
          : await findByIdempotencyKey(ctx, type, setting(ctx, 'idempotencyProperty'), key);
        return earlier === undefined ? undefined : object.parse(earlier);
      },
    },
    run: async (ctx, i, call) => {
      const properties = spec.naturalKey
        ? i.properties
        : {
            ...(i.properties as Record<string, unknown>),
            [setting(ctx, 'idempotencyProperty')]: call.idempotencyKey,
          };
      return (await ctx.http.request({ method: 'POST', path: path(type), json: { ...i, properties } })).body;
    },
  });

  const update = defineAction({
    kind: 'write',
    name: `${type}.update`,
    description: `Update a ${noun}'s properties by id or unique property (setting the same values twice converges)`,
    input: z.object({ id: RecordRef, idProperty: z.string().optional(), properties: Writable }),
    output: object,
    idempotency: { strategy: 'upsert', externalIdField: 'id' },
    run: async (ctx, i) =>
      (
        await ctx.http.request({
          method: 'PATCH',
          path: path(type, i.id),
          query: { idProperty: i.idProperty },
          json: { properties: i.properties },
        })
      ).body,
  });

  const upsertInputs = (
    ctx: ConnectorContext,
    idProperty: string | undefined,
    items: { id: string; properties: unknown }[],
  ) => {
    const key = idProperty ?? spec.defaultIdProperty(ctx);
    return { inputs: items.map((item) => ({ id: item.id, idProperty: key, properties: item.properties })) };
  };

  const upsert = defineAction({
    kind: 'write',
    name: `${type}.upsert`,
    description: `Create or update one ${noun} matched on a unique property (default ${externalIdDescription}); "new" says which`,
    input: z.object({ id: RecordRef, idProperty: z.string().optional(), properties: Writable }),
    output: upserted(object),
    idempotency: { strategy: 'upsert', externalIdField: externalIdDescription },
    run: async (ctx, i) => {
      const { body } = await ctx.http.request({
        method: 'POST',
        path: path(type, 'batch', 'upsert'),
        json: upsertInputs(ctx, i.idProperty, [i]),
      });
      const result = batchResult(z.unknown()).parse(body);
      if (result.results.length !== 1) {
        throw new WeftError({
          code: 'unavailable',
          message: `HubSpot upsert answered ${result.results.length} results for one input`,
          retryable: true,
          details: { numErrors: result.numErrors ?? 0 },
        });
      }
      return result.results[0];
    },
  });

  const batchUpsert = defineAction({
    kind: 'write',
    name: `${type}.batchUpsert`,
    description: `Create or update up to 100 ${noun}s in one call, matched on a unique property`,
    input: z.object({
      idProperty: z.string().optional(),
      inputs: z
        .array(z.object({ id: RecordRef, properties: Writable }))
        .min(1)
        .max(100),
    }),
    output: batchResult(upserted(object)),
    idempotency: { strategy: 'upsert', externalIdField: externalIdDescription },
    run: async (ctx, i) =>
      (
        await ctx.http.request({
          method: 'POST',
          path: path(type, 'batch', 'upsert'),
          json: upsertInputs(ctx, i.idProperty, i.inputs),
        })
      ).body,
  });

  const archive = defineAction({
    kind: 'write',
    name: `${type}.archive`,
    description: `Archive (soft-delete) a ${noun}; archiving one that is gone already succeeds`,
    input: z.object({ id: z.string().regex(/^\d+$/) }),
    output: z.object({ id: z.string(), archived: z.literal(true) }),
    // Keyed by the record id: repeating the delete leaves the same state.
    idempotency: { strategy: 'upsert', externalIdField: 'id' },
    run: async (ctx, i) => {
      await ctx.http.request({ method: 'DELETE', path: path(type, i.id) });
      return { id: i.id, archived: true };
    },
  });

  const actions: Record<string, ActionDefinition> = {
    [get.name]: get,
    [list.name]: list,
    [search.name]: search,
    [create.name]: create,
    [update.name]: update,
    [upsert.name]: upsert,
    [batchUpsert.name]: batchUpsert,
    [archive.name]: archive,
  };
  return actions as Record<`${T}.${ObjectVerb}`, ActionDefinition>;
}
