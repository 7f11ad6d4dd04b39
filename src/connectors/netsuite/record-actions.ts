import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import type { ConnectorContext } from '../../connector/context.js';
import type { ConnectorResponse } from '../../connector/http-client.js';
import { WeftError } from '../../contract/errors.js';
import { CollectionPage, DeleteResult, ExternalId, WriteResult } from './schemas.js';

/**
 * Builders for the actions every NetSuite record type shares (get, list, create, upsert, update,
 * delete), so each record file states only its type, schemas and field list.
 */

export type NetSuiteRecordType = 'customer' | 'salesOrder' | 'invoice';

interface RecordSpec<O extends z.ZodType> {
  /** Action prefix, e.g. `customers`. */
  prefix: string;
  type: NetSuiteRecordType;
  noun: string;
  object: O;
}

const keyFields = {
  id: z.string().regex(/^\d+$/, 'internal ids are digits').optional(),
  externalId: ExternalId.optional(),
};
const oneKey = (k: { id?: string | undefined; externalId?: string | undefined }) =>
  (k.id === undefined) !== (k.externalId === undefined);
const oneKeyMessage = 'give exactly one of id or externalId';

/** `/record/v1/customer/123` or `/record/v1/customer/eid:CRM-42`. */
export function recordPath(
  type: NetSuiteRecordType,
  key: { id?: string | undefined; externalId?: string | undefined },
): string {
  return `/record/v1/${type}/${key.id ?? `eid:${key.externalId}`}`;
}

/**
 * The external id a `create` stamps on its record when the caller gives none: derived from the
 * engine's idempotency key, so before a retry the ledger look-up can ask `eid:` whether the first
 * attempt landed.
 */
export function externalIdForKey(idempotencyKey: string): string {
  return `weft-${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`;
}

/** Writes answer 204 with the record's URL in `Location`; the id is its last path segment. */
export function writeResult(res: ConnectorResponse, externalId?: string): WriteResult {
  const location = res.headers.get('location') ?? '';
  const id = /\/(\d+)$/.exec(location)?.[1];
  if (id === undefined) {
    throw new WeftError({
      code: 'internal',
      message: `NetSuite answered ${res.status} without a record Location`,
      details: { status: res.status },
    });
  }
  return { id, location, ...(externalId === undefined ? {} : { externalId }) };
}

/** Flattens `customFields` into the body, as NetSuite expects `custentity_*` next to standard fields. */
export function toBody(input: Record<string, unknown>): Record<string, unknown> {
  const { customFields, ...rest } = input;
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...rest, ...((customFields as Record<string, unknown>) ?? {}) })) {
    if (v !== undefined) body[k] = v;
  }
  return body;
}

/** The record with that external id, or undefined: the ledger look-up of creates. */
export async function findByExternalId(
  ctx: ConnectorContext,
  type: NetSuiteRecordType,
  externalId: string,
): Promise<WriteResult | undefined> {
  try {
    const res = await ctx.http.request<{ id: string }>({
      method: 'GET',
      path: recordPath(type, { externalId }),
      query: { fields: 'id,externalId' },
    });
    const id = String(res.body.id);
    return { id, externalId, location: ctx.http.urlFor(recordPath(type, { id })).toString() };
  } catch (err) {
    if (err instanceof WeftError && err.code === 'not_found') return undefined;
    throw err;
  }
}

export function getAction<O extends z.ZodType>(spec: RecordSpec<O>) {
  return defineAction({
    kind: 'read',
    name: `${spec.prefix}.get`,
    description: `Get one ${spec.noun} by internal id or external id, with its sublists expanded`,
    input: z
      .object({ ...keyFields, fields: z.array(z.string().regex(/^\w+$/)).optional() })
      .refine(oneKey, oneKeyMessage),
    output: spec.object,
    run: async (ctx, input) =>
      (
        await ctx.http.request({
          method: 'GET',
          path: recordPath(spec.type, input),
          query: { expandSubResources: true, ...(input.fields ? { fields: input.fields.join(',') } : {}) },
        })
      ).body,
  });
}

export function listAction<O extends z.ZodType>(spec: RecordSpec<O>) {
  return defineAction({
    kind: 'read',
    name: `${spec.prefix}.list`,
    description: `List ${spec.noun} ids, one page (limit/offset; q filters like 'email START_WITH "ada"')`,
    input: z.object({
      limit: z.number().int().min(1).max(1000).optional(),
      /** A multiple of limit. */
      offset: z.number().int().min(0).optional(),
      q: z.string().optional(),
    }),
    output: CollectionPage,
    run: async (ctx, input) =>
      (await ctx.http.request({ method: 'GET', path: `/record/v1/${spec.type}`, query: input })).body,
  });
}

/**
 * `POST` (204 + Location). NetSuite has no idempotency key for synchronous writes, so a create is
 * stamped with an external id (the caller's, or one derived from the idempotency key) and a retry
 * first looks that id up: if the earlier attempt landed, its record is the answer.
 */
export function createAction<F extends z.ZodObject, O extends z.ZodType>(
  spec: RecordSpec<O> & { fields: F },
) {
  const input = spec.fields.extend({ externalId: ExternalId.optional() });
  return defineAction({
    kind: 'write',
    name: `${spec.prefix}.create`,
    description: `Create a ${spec.noun}; answers its internal id (read from the Location header)`,
    input,
    output: WriteResult,
    idempotency: {
      strategy: 'ledger',
      lookup: (ctx, data, key) =>
        findByExternalId(
          ctx,
          spec.type,
          (data as { externalId?: string }).externalId ?? externalIdForKey(key),
        ),
    },
    run: async (ctx, data, call) => {
      const externalId =
        (data as { externalId?: string }).externalId ?? externalIdForKey(call.idempotencyKey);
      const body = { ...toBody(data as Record<string, unknown>), externalId };
      const res = await ctx.http.request({ method: 'POST', path: `/record/v1/${spec.type}`, json: body });
      return writeResult(res, externalId);
    },
  });
}

/** `PUT …/eid:{externalId}`: creates or updates by external id, so a repeat converges. */
export function upsertAction<F extends z.ZodObject, O extends z.ZodType>(
  spec: RecordSpec<O> & { fields: F },
) {
  return defineAction({
    kind: 'write',
    name: `${spec.prefix}.upsert`,
    description: `Create or update a ${spec.noun} by external id (sublists given are replaced)`,
    input: spec.fields.extend({ externalId: ExternalId }),
    output: WriteResult,
    idempotency: { strategy: 'upsert', externalIdField: 'externalId' },
    run: async (ctx, data) => {
      const { externalId, ...fields } = data as { externalId: string } & Record<string, unknown>;
      const res = await ctx.http.request({
        method: 'PUT',
        path: recordPath(spec.type, { externalId }),
        json: toBody(fields),
      });
      return writeResult(res, externalId);
    },
  });
}

/**
 * `PATCH` by internal id. Keyed by the id and sending `?replace=item` whenever lines are given, so
 * repeating it converges to the same record instead of appending the lines again.
 */
export function updateAction<F extends z.ZodObject, O extends z.ZodType>(
  spec: RecordSpec<O> & { fields: F },
) {
  return defineAction({
    kind: 'write',
    name: `${spec.prefix}.update`,
    description: `Update fields of a ${spec.noun}; given lines replace the item sublist`,
    input: spec.fields.extend({ id: z.string().regex(/^\d+$/, 'internal ids are digits') }),
    output: WriteResult,
    idempotency: { strategy: 'upsert', externalIdField: 'id' },
    run: async (ctx, data) => {
      const { id, ...fields } = data as { id: string } & Record<string, unknown>;
      const path = recordPath(spec.type, { id });
      await ctx.http.request({
        method: 'PATCH',
        path,
        json: toBody(fields),
        ...(fields.item !== undefined ? { query: { replace: 'item' } } : {}),
      });
      return { id, location: ctx.http.urlFor(path).toString() };
    },
  });
}

/** `DELETE`; before a retry the look-up treats "already gone" as done. */
export function deleteAction<O extends z.ZodType>(spec: RecordSpec<O>) {
  const gone = (key: { id?: string | undefined; externalId?: string | undefined }) => ({
    id: key.id ?? `eid:${key.externalId}`,
    deleted: true as const,
  });
  return defineAction({
    kind: 'write',
    name: `${spec.prefix}.delete`,
    description: `Delete a ${spec.noun} by internal id or external id`,
    input: z.object(keyFields).refine(oneKey, oneKeyMessage),
    output: DeleteResult,
    idempotency: {
      strategy: 'ledger',
      lookup: async (ctx, key) => {
        try {
          await ctx.http.request({
            method: 'GET',
            path: recordPath(spec.type, key),
            query: { fields: 'id' },
          });
          return undefined;
        } catch (err) {
          if (err instanceof WeftError && err.code === 'not_found') return gone(key);
          throw err;
        }
      },
    },
    run: async (ctx, key) => {
      await ctx.http.request({ method: 'DELETE', path: recordPath(spec.type, key) });
      return gone(key);
    },
  });
}
