import { z } from 'zod';
import { type ActionDefinition, defineAction } from '../../connector/action.js';
import type { ConnectorContext } from '../../connector/context.js';
import { WeftError } from '../../contract/errors.js';
import { soqlRecords, soqlString } from './query.js';
import {
  DeleteResult,
  FieldApiName,
  SalesforceId,
  SalesforceInputs,
  type SalesforceObjectName,
  SalesforceRecords,
  SaveResult,
  salesforceObjectNames,
  UpsertResult,
} from './schemas.js';
import { dataPath, salesforceSettings } from './version.js';

/** The action prefix of each object: `accounts.create`, `opportunities.upsert`, … */
export const actionNouns = {
  Account: 'accounts',
  Contact: 'contacts',
  Lead: 'leads',
  Opportunity: 'opportunities',
  Task: 'tasks',
  Case: 'cases',
} as const satisfies Record<SalesforceObjectName, string>;

type SObjectActionName =
  `${(typeof actionNouns)[SalesforceObjectName]}.${'get' | 'create' | 'update' | 'upsert' | 'delete'}`;

const sobjectPath = (ctx: ConnectorContext, object: string, rest = '') =>
  dataPath(ctx, `/sobjects/${object}${rest}`);

/** The record an earlier create stamped with this key, if it landed (the ledger look-up). */
async function findByKey(ctx: ConnectorContext, object: string, key: string) {
  const field = salesforceSettings(ctx).idempotencyKeyField;
  for await (const r of soqlRecords(
    ctx,
    `SELECT Id FROM ${object} WHERE ${field} = ${soqlString(key)} LIMIT 1`,
  )) {
    if (typeof r.Id === 'string') return { id: r.Id, success: true, errors: [] };
  }
  return undefined;
}

/**
 * The five actions of one sObject. How each stays free of duplicates when retried:
 * - `create` stamps the engine's key into the Connection's `idempotencyKeyField` (an External ID
 *   field) and, before a retry, looks the key up with SOQL (`ledger`);
 * - `upsert` is keyed by an External ID value (`PATCH …/{field}/{value}`), so repeating converges;
 * - `update` is a PATCH by record Id: repeating it sets the same values again;
 * - `delete` looks the record up before a retry: gone means the first attempt landed.
 */
function sobjectActions(object: SalesforceObjectName) {
  const noun = actionNouns[object];
  const record = SalesforceRecords[object];
  const fields = SalesforceInputs[object];
  return {
    [`${noun}.get`]: defineAction({
      kind: 'read',
      name: `${noun}.get`,
      description: `Retrieve one ${object} by Id (optionally only some fields)`,
      input: z.object({ id: SalesforceId, fields: z.array(FieldApiName).min(1).optional() }),
      output: record,
      run: async (ctx, input) =>
        (
          await ctx.http.request({
            method: 'GET',
            path: sobjectPath(ctx, object, `/${input.id}`),
            ...(input.fields ? { query: { fields: input.fields.join(',') } } : {}),
          })
        ).body,
    }),
    [`${noun}.create`]: defineAction({
      kind: 'write',
      name: `${noun}.create`,
      description: `Create a ${object}; the engine's idempotency key is written to the idempotency key field`,
      input: z.object({ fields }),
      output: SaveResult,
      idempotency: { strategy: 'ledger', lookup: (ctx, _input, key) => findByKey(ctx, object, key) },
      run: async (ctx, input, call) => {
        const keyField = salesforceSettings(ctx).idempotencyKeyField;
        return (
          await ctx.http.request({
            method: 'POST',
            path: sobjectPath(ctx, object),
            json: { ...input.fields, [keyField]: call.idempotencyKey },
          })
        ).body;
      },
    }),
    [`${noun}.update`]: defineAction({
      kind: 'write',
      name: `${noun}.update`,
      description: `Update fields of a ${object} by Id (null clears a field)`,
      input: z.object({ id: SalesforceId, fields }),
      output: z.object({ id: z.string() }),
      idempotency: { strategy: 'upsert', externalIdField: 'Id' },
      run: async (ctx, input) => {
        await ctx.http.request({
          method: 'PATCH',
          path: sobjectPath(ctx, object, `/${input.id}`),
          json: input.fields,
        });
        return { id: input.id };
      },
    }),
    [`${noun}.upsert`]: defineAction({
      kind: 'write',
      name: `${noun}.upsert`,
      description: `Create or update a ${object} by an External ID field (default: the Connection's externalIdField)`,
      input: z.object({
        externalId: z.string().min(1).max(255),
        externalIdField: FieldApiName.optional(),
        /** Newer API versions: update only, 404 when no record has the value. */
        updateOnly: z.boolean().optional(),
        fields,
      }),
      output: UpsertResult,
      idempotency: { strategy: 'upsert', externalIdField: 'Weft_External_Id__c' },
      run: async (ctx, input) => {
        const field = input.externalIdField ?? salesforceSettings(ctx).externalIdField;
        const path = sobjectPath(ctx, object, `/${field}/${encodeURIComponent(input.externalId)}`);
        // The URL names the key; Salesforce refuses the same field in the body.
        const body = Object.fromEntries(
          Object.entries(input.fields).filter(([k]) => k.toLowerCase() !== field.toLowerCase()),
        );
        const res = await ctx.http.request<unknown>({
          method: 'PATCH',
          path,
          json: body,
          ...(input.updateOnly ? { query: { updateOnly: true } } : {}),
        });
        const result = z.object({ id: z.string(), created: z.boolean() }).safeParse(res.body);
        if (result.success) return { id: result.data.id, created: result.data.created };
        if (res.status === 204) {
          // Before API v46 an update answers 204 with no body: read the id back by the same key.
          const found = await ctx.http.request<{ Id?: unknown }>({
            method: 'GET',
            path,
            query: { fields: 'Id' },
          });
          if (typeof found.body?.Id === 'string') return { id: found.body.Id, created: false };
        }
        throw new WeftError({
          code: 'internal',
          message: `${noun}.upsert: Salesforce answered ${res.status} without an id`,
        });
      },
    }),
    [`${noun}.delete`]: defineAction({
      kind: 'write',
      name: `${noun}.delete`,
      description: `Delete a ${object} by Id (to the recycle bin)`,
      input: z.object({ id: SalesforceId }),
      output: DeleteResult,
      idempotency: {
        strategy: 'ledger',
        lookup: async (ctx, input) => {
          try {
            await ctx.http.request({
              method: 'GET',
              path: sobjectPath(ctx, object, `/${input.id}`),
              query: { fields: 'Id' },
            });
            return undefined;
          } catch (err) {
            if (err instanceof WeftError && err.code === 'not_found')
              return { id: input.id, deleted: true as const };
            throw err;
          }
        },
      },
      run: async (ctx, input) => {
        await ctx.http.request({ method: 'DELETE', path: sobjectPath(ctx, object, `/${input.id}`) });
        return { id: input.id, deleted: true as const };
      },
    }),
  } as Record<string, ActionDefinition>;
}

/** Every sObject action of the connector. */
export const sobjectActionMap: Record<SObjectActionName, ActionDefinition> = Object.assign(
  {},
  ...salesforceObjectNames.map((o) => sobjectActions(o)),
);
