import type { SerializedError } from '../contract/errors.js';
import type { Flow } from '../contract/flow.js';
import type { TriggerCursorRecord } from './port.js';
import type {
  ActionRecord,
  AuditEventRecord,
  EventPayload,
  EventRecord,
  EventSource,
  ExceptionRecord,
  ExceptionStatus,
  FlowRecord,
  FlowVersionRecord,
  JournalEntry,
  RunRecord,
  RunStatus,
  ScheduleStateRecord,
  StepStatus,
  TokenRecord,
} from './records.js';

/**
 * Dialect-neutral rows (snake_case, as the drivers return them) and their mapping to records. The
 * dialects differ only in how JSON columns arrive: `J` is that column type (SQLite: JSON text; pg:
 * JSONB, already parsed), and each dialect's rows.ts supplies the decoder. Columns that hold JSON
 * as TEXT in both schemas (audit `data`) are parsed here.
 */

/** How a dialect reads its rows. */
export interface RowDialect<J, JR extends JournalRowOf<J> = JournalRowOf<J>> {
  /** Decodes a JSON column; SQL NULL reads as null. The cast is the schema's promise, not a check. */
  json<T>(value: J | null): T;
  /** Whether a journal row carries an edited input (JSON null is a real edit, SQL NULL is none). */
  hasEditedInput(row: JR): boolean;
}

/** Parses a JSON-as-TEXT column; SQL NULL reads as null. */
export function parseJsonText<T>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}

export interface FlowVersionRowOf<J> {
  id: string;
  flow_name: string;
  version: number;
  source_hash: string;
  source: string;
  definition: J;
  created_at: number;
  created_by: string;
}

export interface FlowRow {
  name: string;
  current_version_id: string;
  current_version: number;
  trigger_kind: FlowRecord['triggerKind'];
  created_at: number;
  updated_at: number;
}

export interface EventRowOf<J> {
  id: string;
  flow_name: string;
  source: EventSource;
  dedupe_key: string | null;
  payload: J;
  received_at: number;
}

export interface RunRowOf<J> {
  id: string;
  event_id: string;
  flow_name: string;
  flow_version_id: string;
  status: RunStatus;
  run_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  output: J | null;
  error: J | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface JournalRowOf<J> {
  run_id: string;
  step_id: string;
  status: StepStatus;
  attempts: number;
  input: J;
  output: J;
  error: J | null;
  resume_at: number | null;
  edited_input: J | null;
  started_at: number;
  finished_at: number | null;
}

export interface ActionRowOf<J> {
  idempotency_key: string;
  run_id: string;
  step_id: string;
  item_key: string;
  attempts: number;
  status: ActionRecord['status'];
  request: J;
  response_status: number | null;
  response: J;
  first_attempt_at: number;
  last_attempt_at: number;
}

export interface ExceptionRowOf<J> {
  id: string;
  run_id: string;
  flow_name: string;
  step_id: string;
  status: ExceptionStatus;
  error: J;
  error_code: string;
  input: J;
  attempts: number;
  retries: number;
  created_at: number;
  updated_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution: string | null;
}

export interface ScheduleStateRow {
  flow_name: string;
  flow_version_id: string;
  last_tick_at: number;
}

export interface TokenRow {
  id: string;
  name: string;
  role: TokenRecord['role'];
  token_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  /** JSON text in both dialects (the hash chain covers it as written). */
  data: string | null;
  prev_hash: string;
  hash: string;
}

export const toFlow = (r: FlowRow): FlowRecord => ({
  name: r.name,
  currentVersionId: r.current_version_id,
  currentVersion: r.current_version,
  triggerKind: r.trigger_kind,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toScheduleState = (r: ScheduleStateRow): ScheduleStateRecord => ({
  flowName: r.flow_name,
  flowVersionId: r.flow_version_id,
  lastTickAt: r.last_tick_at,
});

export interface TriggerCursorRow {
  key: string;
  cursor: string | null;
  lease_owner: string | null;
  lease_until: number;
  polled_at: number | null;
  updated_at: number;
}

export const toTriggerCursor = (r: TriggerCursorRow): TriggerCursorRecord => ({
  key: r.key,
  cursor: r.cursor,
  leaseOwner: r.lease_owner,
  leaseUntil: r.lease_until,
  polledAt: r.polled_at,
  updatedAt: r.updated_at,
});

export const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  tokenHash: r.token_hash,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export const toAuditEvent = (r: AuditRow): AuditEventRecord => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  target: r.target,
  data: parseJsonText<unknown>(r.data),
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** The mappers whose rows hold JSON columns, bound to a dialect's decoder. */
export function recordMappers<J, JR extends JournalRowOf<J>>(d: RowDialect<J, JR>) {
  return {
    toFlowVersion: (r: FlowVersionRowOf<J>): FlowVersionRecord => ({
      id: r.id,
      flowName: r.flow_name,
      version: r.version,
      sourceHash: r.source_hash,
      source: r.source,
      definition: d.json<Flow>(r.definition),
      createdAt: r.created_at,
      createdBy: r.created_by,
    }),

    toEvent: (r: EventRowOf<J>): EventRecord => ({
      id: r.id,
      flowName: r.flow_name,
      source: r.source,
      dedupeKey: r.dedupe_key,
      payload: d.json<EventPayload>(r.payload),
      receivedAt: r.received_at,
    }),

    toRun: (r: RunRowOf<J>): RunRecord => ({
      id: r.id,
      eventId: r.event_id,
      flowName: r.flow_name,
      flowVersionId: r.flow_version_id,
      status: r.status,
      runAt: r.run_at,
      leaseOwner: r.lease_owner,
      leaseExpiresAt: r.lease_expires_at,
      output: d.json<unknown>(r.output),
      error: d.json<SerializedError | null>(r.error),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      finishedAt: r.finished_at,
    }),

    toJournalEntry: (r: JR): JournalEntry => ({
      runId: r.run_id,
      stepId: r.step_id,
      status: r.status,
      attempts: r.attempts,
      input: d.json<unknown>(r.input),
      output: d.json<unknown>(r.output),
      error: d.json<SerializedError | null>(r.error),
      resumeAt: r.resume_at,
      // Absent unless an edit-and-retry set it; JSON null is a real edit.
      ...(d.hasEditedInput(r) ? { editedInput: d.json<unknown>(r.edited_input) } : {}),
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    }),

    toAction: (r: ActionRowOf<J>): ActionRecord => ({
      idempotencyKey: r.idempotency_key,
      runId: r.run_id,
      stepId: r.step_id,
      itemKey: r.item_key,
      attempts: r.attempts,
      status: r.status,
      request: d.json<ActionRecord['request']>(r.request),
      responseStatus: r.response_status,
      response: d.json<unknown>(r.response),
      firstAttemptAt: r.first_attempt_at,
      lastAttemptAt: r.last_attempt_at,
    }),

    toException: (r: ExceptionRowOf<J>): ExceptionRecord => ({
      id: r.id,
      runId: r.run_id,
      flowName: r.flow_name,
      stepId: r.step_id,
      status: r.status,
      error: d.json<SerializedError>(r.error),
      input: d.json<unknown>(r.input),
      attempts: r.attempts,
      retries: r.retries,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      resolvedAt: r.resolved_at,
      resolvedBy: r.resolved_by,
      resolution: r.resolution,
    }),
  };
}
