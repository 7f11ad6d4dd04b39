/**
 * Response and shared parameter schemas of the REST API. They document `/api/openapi.json` and
 * type the handlers; records are returned as the Store hands them out (times in epoch ms).
 *
 * @module
 */
import { z } from '@hono/zod-openapi';
import { errorCodes } from '../contract/errors.js';
import { exceptionStatuses, runStatuses, stepStatuses } from '../store/records.js';

const EpochMs = z.number().int().openapi({ description: 'epoch milliseconds', example: 1764000000000 });

export const SerializedErrorSchema = z
  .object({
    code: z.enum(errorCodes),
    message: z.string(),
    retryable: z.boolean(),
    retryAfterMs: z.number().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
    cause: z.string().optional(),
  })
  .openapi('SerializedError');

export const FlowSchema = z
  .object({
    name: z.string(),
    currentVersionId: z.string(),
    currentVersion: z.number().int(),
    triggerKind: z.enum(['webhook', 'schedule', 'manual', 'poll', 'connector-webhook']),
    createdAt: EpochMs,
    updatedAt: EpochMs,
  })
  .openapi('Flow');

export const FlowVersionSummarySchema = z
  .object({
    id: z.string(),
    flowName: z.string(),
    version: z.number().int(),
    sourceHash: z.string(),
    createdAt: EpochMs,
    createdBy: z.string(),
  })
  .openapi('FlowVersionSummary');

export const FlowVersionSchema = FlowVersionSummarySchema.extend({
  source: z.string().openapi({ description: 'the YAML as deployed' }),
  definition: z.unknown().openapi({ description: 'the parsed Flow' }),
}).openapi('FlowVersion');

export const EventPayloadSchema = z
  .object({
    body: z.unknown(),
    headers: z.record(z.string(), z.string()),
    query: z.record(z.string(), z.string()),
  })
  .openapi('EventPayload');

export const EventSchema = z
  .object({
    id: z.string(),
    flowName: z.string(),
    source: z.enum(['webhook', 'schedule', 'manual', 'poll']),
    dedupeKey: z.string().nullable(),
    payload: EventPayloadSchema,
    receivedAt: EpochMs,
  })
  .openapi('Event');

export const IngestResultSchema = z
  .object({
    eventId: z.string(),
    runId: z.string().nullable(),
    duplicate: z.boolean().openapi({ description: 'the dedupe key was seen before; nothing new was stored' }),
  })
  .openapi('IngestResult');

export const RunSchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    flowName: z.string(),
    flowVersionId: z.string(),
    status: z.enum(runStatuses),
    runAt: EpochMs,
    leaseOwner: z.string().nullable(),
    leaseExpiresAt: EpochMs.nullable(),
    output: z.unknown(),
    error: SerializedErrorSchema.nullable(),
    createdAt: EpochMs,
    updatedAt: EpochMs,
    finishedAt: EpochMs.nullable(),
  })
  .openapi('Run');

export const JournalEntrySchema = z
  .object({
    runId: z.string(),
    stepId: z.string(),
    status: z.enum(stepStatuses),
    attempts: z.number().int(),
    input: z.unknown(),
    output: z.unknown(),
    error: SerializedErrorSchema.nullable(),
    resumeAt: EpochMs.nullable(),
    editedInput: z.unknown().optional(),
    startedAt: EpochMs,
    finishedAt: EpochMs.nullable(),
  })
  .openapi('JournalEntry');

export const ActionSchema = z
  .object({
    idempotencyKey: z.string(),
    runId: z.string(),
    stepId: z.string(),
    itemKey: z.string(),
    attempts: z.number().int(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    request: z.object({ method: z.string(), url: z.string() }),
    responseStatus: z.number().int().nullable(),
    response: z.unknown(),
    firstAttemptAt: EpochMs,
    lastAttemptAt: EpochMs,
  })
  .openapi('Action');

export const ExceptionSchema = z
  .object({
    id: z.string(),
    runId: z.string(),
    flowName: z.string(),
    stepId: z.string(),
    status: z.enum(exceptionStatuses),
    error: SerializedErrorSchema,
    input: z.unknown(),
    attempts: z.number().int(),
    retries: z.number().int(),
    createdAt: EpochMs,
    updatedAt: EpochMs,
    resolvedAt: EpochMs.nullable(),
    resolvedBy: z.string().nullable(),
    resolution: z.string().nullable(),
  })
  .openapi('Exception');

export const AuditEventSchema = z
  .object({
    seq: z.number().int(),
    at: EpochMs,
    actor: z.string(),
    action: z.string(),
    target: z.string(),
    data: z.unknown(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEvent');

/** `?limit=` of every list: newest first, at most 500. */
export const Limit = z.coerce
  .number()
  .int()
  .min(1)
  .max(500)
  .default(50)
  .openapi({ param: { name: 'limit', in: 'query' }, example: 50 });

/** `?before=` cursor: ids sort by creation time, so pass the last id of the previous page. */
export const Before = z
  .string()
  .min(1)
  .max(100)
  .optional()
  .openapi({ param: { name: 'before', in: 'query' }, description: 'return items older than this id' });

/** An `{id}` path parameter. */
export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

/** The security requirement of every authenticated route. */
export const bearer = [{ Bearer: [] }];

/** A JSON response entry for `createRoute`. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A JSON request body entry for `createRoute`. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } };
}
