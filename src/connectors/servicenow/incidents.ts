import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { confidential, pii } from '../../connector/classification.js';
import type { ConnectorContext } from '../../connector/context.js';
import { WeftError } from '../../contract/errors.js';
import { CorrelationId, IncidentWritableFields, ServiceNowIncident, SysId } from './schemas.js';
import { getRecordAction, listRecordsAction, snQuery, snResult, tablePath } from './table-api.js';

const table = 'incident';
const record = ServiceNowIncident;
const noun = 'incident';
/** Writes answer plain values with bare sys_ids, whatever the instance's defaults. */
const writeQuery = { sysparm_display_value: 'false', sysparm_exclude_reference_link: 'true' };

/**
 * The correlation_id a create carries: the caller's own external id when given, else the engine's
 * idempotency key (hashed when it would not fit the field's 100 characters or contains `^`).
 */
export function correlationIdFor(input: { correlation_id?: string | undefined }, key: string): string {
  if (input.correlation_id !== undefined) return input.correlation_id;
  if (key.length <= 100 && !key.includes('^')) return key;
  return `weft-${createHash('sha256').update(key).digest('hex')}`;
}

/** The oldest incident carrying `correlationId`, if any: the ledger's "did it land?" question. */
export async function findIncidentByCorrelationId(
  ctx: ConnectorContext,
  correlationId: string,
): Promise<z.output<typeof record> | undefined> {
  const { records } = await snQuery(ctx, table, {
    sysparm_query: `correlation_id=${correlationId}^ORDERBYsys_created_on^ORDERBYsys_id`,
    sysparm_limit: 1,
    sysparm_no_count: 'true',
    ...writeQuery,
  });
  return records.length === 0 ? undefined : record.parse(records[0]);
}

const CreateInput = IncidentWritableFields.extend({
  short_description: confidential(z.string().min(1).max(160)),
  /** The external system's id for this incident; defaults to the idempotency key. */
  correlation_id: CorrelationId.optional(),
  /** Journal fields: a create is protected by the ledger, so the first note cannot be doubled. */
  work_notes: confidential(z.string()).optional(),
  comments: pii(z.string()).optional(),
});

const UpdateInput = IncidentWritableFields.partial().extend({
  sys_id: SysId,
  correlation_id: CorrelationId.optional(),
});

function body(input: Record<string, unknown>): Record<string, unknown> {
  const {
    custom_fields,
    sys_id: _id,
    ...fields
  } = input as { custom_fields?: Record<string, string>; sys_id?: string };
  return { ...fields, ...(custom_fields ?? {}) };
}

export const incidentActions = {
  'incidents.get': getRecordAction({ name: 'incidents.get', table, record, noun }),
  'incidents.list': listRecordsAction({ name: 'incidents.list', table, record, noun }),
  /**
   * ServiceNow has no idempotency key, so a create writes a correlation_id and the engine's ledger
   * asks for it before any retry: a create whose answer was lost is found, not repeated.
   */
  'incidents.create': defineAction({
    kind: 'write',
    name: 'incidents.create',
    description: 'Create an incident; retries look it up by correlation_id first (ledger)',
    input: CreateInput,
    output: record,
    idempotency: {
      strategy: 'ledger',
      lookup: (ctx, input, key) => findIncidentByCorrelationId(ctx, correlationIdFor(input, key)),
    },
    run: async (ctx, input, call) =>
      snResult(
        await ctx.http.request({
          method: 'POST',
          path: tablePath(table),
          query: writeQuery,
          json: { ...body(input), correlation_id: correlationIdFor(input, call.idempotencyKey) },
        }),
      ),
  }),
  /**
   * PATCH by sys_id sets absolute values, so repeating it converges on the same record: keyed by
   * sys_id like an upsert. Journal fields (work_notes, comments) are left out on purpose: they
   * append, and a retried append would add the note twice.
   */
  'incidents.update': defineAction({
    kind: 'write',
    name: 'incidents.update',
    description: 'Update fields of an incident by sys_id (PATCH); repeating it converges',
    input: UpdateInput,
    output: record,
    idempotency: { strategy: 'upsert', externalIdField: 'sys_id' },
    run: async (ctx, input) =>
      snResult(
        await ctx.http.request({
          method: 'PATCH',
          path: `${tablePath(table)}/${input.sys_id}`,
          query: writeQuery,
          json: body(input),
        }),
      ),
  }),
  /**
   * DELETE by sys_id converges too. A retry that finds the record gone (404) means the first
   * attempt landed; a 404 on the first attempt is still an error (wrong sys_id).
   */
  'incidents.delete': defineAction({
    kind: 'write',
    name: 'incidents.delete',
    description: 'Delete an incident by sys_id; a retry after a lost answer succeeds',
    input: z.object({ sys_id: SysId }),
    output: z.object({ sys_id: z.string(), deleted: z.literal(true) }),
    idempotency: { strategy: 'upsert', externalIdField: 'sys_id' },
    run: async (ctx, input, call) => {
      try {
        await ctx.http.request({ method: 'DELETE', path: `${tablePath(table)}/${input.sys_id}` });
      } catch (err) {
        if (!(err instanceof WeftError && err.code === 'not_found' && call.attempt > 1)) throw err;
      }
      return { sys_id: input.sys_id, deleted: true as const };
    },
  }),
};
