import type { SerializedError } from '../contract/errors.js';
import type { Flow } from '../contract/flow.js';

/** Rows as the Store hands them out. Times are epoch milliseconds; JSON columns are parsed. */

export interface FlowVersionRecord {
  id: string;
  flowName: string;
  version: number;
  /** sha256 of the YAML source; deploying identical source twice publishes nothing new. */
  sourceHash: string;
  source: string;
  definition: Flow;
  createdAt: number;
  createdBy: string;
}

export interface FlowRecord {
  name: string;
  currentVersionId: string;
  currentVersion: number;
  triggerKind: Flow['trigger']['kind'];
  createdAt: number;
  updatedAt: number;
}

export type EventSource = 'webhook' | 'schedule' | 'manual' | 'poll';

export interface EventRecord {
  id: string;
  flowName: string;
  source: EventSource;
  /** Unique per flow; a repeat is acknowledged and dropped. */
  dedupeKey: string | null;
  payload: EventPayload;
  receivedAt: number;
}

/** What an expression sees as `event`. Headers are lower-cased; secret-bearing ones are dropped. */
export interface EventPayload {
  body: unknown;
  headers: Record<string, string>;
  query: Record<string, string>;
}

export const runStatuses = ['queued', 'running', 'waiting', 'succeeded', 'failed'] as const;
export type RunStatus = (typeof runStatuses)[number];

export interface RunRecord {
  id: string;
  eventId: string;
  flowName: string;
  flowVersionId: string;
  status: RunStatus;
  /** The run may be claimed from this time on (backoff, durable timers). */
  runAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  output: unknown;
  error: SerializedError | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export const stepStatuses = ['succeeded', 'failed', 'retrying', 'waiting'] as const;
export type StepStatus = (typeof stepStatuses)[number];

/**
 * One step's entry in a run's journal. A `succeeded` entry is never executed again: its output is
 * replayed. `retrying` and `waiting` entries remember attempts and timers across restarts.
 */
export interface JournalEntry {
  runId: string;
  stepId: string;
  status: StepStatus;
  attempts: number;
  input: unknown;
  output: unknown;
  error: SerializedError | null;
  /** For `waiting` (durable timer) and `retrying` (backoff): when to look again. */
  resumeAt: number | null;
  /** Set by an edit-and-retry from the error queue: used instead of the computed input. */
  editedInput?: unknown;
  startedAt: number;
  finishedAt: number | null;
}

/** The write ledger: every outbound action with its idempotency key and outcome. */
export interface ActionRecord {
  idempotencyKey: string;
  runId: string;
  stepId: string;
  itemKey: string;
  attempts: number;
  status: 'pending' | 'succeeded' | 'failed';
  request: { method: string; url: string };
  responseStatus: number | null;
  /** The parsed response of a succeeded write, replayed instead of calling again. */
  response: unknown;
  firstAttemptAt: number;
  lastAttemptAt: number;
}

export const exceptionStatuses = ['open', 'retrying', 'resolved'] as const;
export type ExceptionStatus = (typeof exceptionStatuses)[number];

/** An item of the error queue: a step that failed for good, with what is needed to retry it. */
export interface ExceptionRecord {
  id: string;
  runId: string;
  flowName: string;
  stepId: string;
  status: ExceptionStatus;
  error: SerializedError;
  /** The step's resolved input (secret-free), editable on retry. */
  input: unknown;
  attempts: number;
  /** How many times people retried it from the queue. */
  retries: number;
  createdAt: number;
  updatedAt: number;
  resolvedAt: number | null;
  resolvedBy: string | null;
  resolution: string | null;
}

export interface TokenRecord {
  id: string;
  name: string;
  role: 'admin' | 'operator' | 'viewer';
  tokenHash: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface AuditEventRecord {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  data: unknown;
  prevHash: string;
  hash: string;
}

export interface ScheduleStateRecord {
  flowName: string;
  flowVersionId: string;
  /** The last tick that was turned into an Event. */
  lastTickAt: number;
}

/** A Connection's limits as stored; every field is optional (the connector's defaults apply). */
export interface ConnectionLimitsRecord {
  requestsPerSecond?: number;
  burst?: number;
  timeoutMs?: number;
}

/**
 * A Connection as stored. Its secrets (the `auth` fields and the webhook secrets) are only ever
 * here as `secret`, ciphertext sealed above the store (src/connections/secret-box.ts); the store
 * never sees a plaintext secret. `authFields` and `webhookSecretCount` describe the secrets
 * without revealing them, so lists need no key.
 */
export interface ConnectionRecord {
  name: string;
  connector: string;
  baseUrl: string | null;
  settings: Record<string, string>;
  limits: ConnectionLimitsRecord;
  authKind: string;
  /** Names of the auth fields that are set (`['token']`), never their values. */
  authFields: string[];
  webhookSecretCount: number;
  /** The sealed secrets: `<format>:<key id>:<iv>:<tag>:<ciphertext>`. */
  secret: string;
  createdAt: number;
  updatedAt: number;
}
