import type { SerializedError } from '../contract/errors.js';
import type { Flow } from '../contract/flow.js';
import type {
  ActionRecord,
  AuditEventRecord,
  ConnectionRecord,
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
  TokenRecord,
} from './records.js';

/**
 * The Store port: everything Weft keeps durably goes through this narrow, async interface.
 * Two implementations (SQLite embedded, PostgreSQL cluster) pass one conformance suite
 * (`src/store/conformance.ts`), so nothing above this line may assume a dialect.
 *
 * Every mutation that a person or API client causes takes an `audit` entry, written in the same
 * transaction as the change it describes.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  migrate(): Promise<MigrationReport>;
  close(): Promise<void>;
  /** Server version, migration state and clock skew, for `weft doctor`. Changes nothing. */
  inspect(): Promise<StoreInspection>;

  /**
   * Calls `listener` after a commit that other processes' workers and registries must hear about:
   * `'runs'` when runs became due for any worker (an event accepted without an inline claim, a
   * retry from the error queue), `'flows'` when a new flow version was published, `'connections'`
   * when a Connection was created, replaced or deleted, `'tokens'` when a token was revoked.
   * PostgreSQL delivers them across processes (LISTEN/NOTIFY); SQLite, one process by design,
   * in-process.
   *
   * A hint, not a log: topics may repeat or arrive with nothing new (after a reconnect both are
   * sent, since something may have been missed), and a listener must tolerate that. Subscribe
   * before loading the state the topic refreshes, so no change falls between the two.
   */
  subscribe(listener: (topic: StoreTopic) => void): Subscription;

  // Flows
  publishFlowVersion(input: PublishFlowVersion): Promise<{ version: FlowVersionRecord; created: boolean }>;
  listFlows(): Promise<FlowRecord[]>;
  getFlow(name: string): Promise<FlowRecord | null>;
  listFlowVersions(flowName: string): Promise<FlowVersionRecord[]>;
  getFlowVersion(id: string): Promise<FlowVersionRecord | null>;
  /** The current version of every flow. */
  currentFlowVersions(): Promise<FlowVersionRecord[]>;

  // Events and runs
  /**
   * Commits an Event and its Run atomically. A repeated (flowName, dedupeKey) commits nothing and
   * reports the original. With `claim`, the new run is leased to that owner at once (inline run).
   * With `scheduleTick`, the schedule's cursor moves in the same transaction. With `progress`
   * (only with `claim`), so does the run's progress; a store that writes it answers
   * `progressSaved: true`, and one that does not leaves it to the caller's `saveProgress`.
   */
  acceptEvent(input: AcceptEvent): Promise<AcceptEventResult>;
  /**
   * Leases up to `limit` runs that are due, and runs whose lease expired (a dead worker's). A run
   * whose flow version set `concurrency` is leased only while fewer than that many limited runs of
   * its flow are `running`, also under claimers in other processes. A running run whose lease
   * expired keeps its slot until it is taken over (taking it over uses no new slot), so the count
   * never depends on clocks, and a stalled worker whose lease comes back cannot exceed the limit.
   */
  claimRuns(input: ClaimRuns): Promise<ClaimedRun[]>;
  /** Loads a run with its event and journal (for a run already leased to the caller). */
  loadRun(runId: string): Promise<ClaimedRun | null>;
  /** Extends the leases the owner still holds; returns the ids it still holds. */
  heartbeat(input: { owner: string; runIds: string[]; leaseMs: number; now: number }): Promise<string[]>;
  /**
   * Writes a run's progress atomically: journal entries, write-ledger rows, the run's new state and
   * an Exception. Fenced: fails with `lease_lost` when the run is no longer leased to `owner`.
   */
  saveProgress(input: RunProgress): Promise<void>;
  /** Marks every lease as expired; only for a process that owns the database alone (embedded). */
  expireAllLeases(): Promise<number>;
  getRun(id: string): Promise<RunRecord | null>;
  listRuns(filter: RunFilter): Promise<RunRecord[]>;
  countRuns(filter: { flowName?: string; status?: RunStatus }): Promise<number>;
  getJournal(runId: string): Promise<JournalEntry[]>;
  listActions(runId: string): Promise<ActionRecord[]>;
  getEvent(id: string): Promise<EventRecord | null>;
  listEvents(filter: EventFilter): Promise<EventRecord[]>;

  // Error queue
  listExceptions(filter: ExceptionFilter): Promise<ExceptionRecord[]>;
  getException(id: string): Promise<ExceptionRecord | null>;
  /** Re-queues the run at the failed step, optionally with an edited step input. */
  retryException(input: RetryException): Promise<ExceptionRecord>;
  /** Retries every open exception matching the filter; returns how many. */
  retryExceptions(input: { filter: ExceptionFilter; audit: AuditInput; now: number }): Promise<number>;
  resolveException(input: ResolveException): Promise<ExceptionRecord>;

  // Schedules
  getScheduleState(flowName: string): Promise<ScheduleStateRecord | null>;
  /** Creates the schedule cursor if it does not exist yet; returns the stored state. */
  initScheduleState(state: ScheduleStateRecord): Promise<ScheduleStateRecord>;

  // Limits
  /**
   * Takes one token from the shared bucket `key` (capacity `burst`, refilled at `perSecond`),
   * atomically across every process on the database. `waitMs` 0: taken. Otherwise nothing was
   * taken and a token is expected in `waitMs`: ask again then (others may take it first).
   */
  takeRateLimit(input: TakeRateLimit): Promise<{ waitMs: number }>;

  // Trigger cursors
  /**
   * Takes or renews the poll lease of trigger cursor `key` (created on first use, cursor null) for
   * `owner`. The cursor when the lease is `owner`'s; null when another live process holds it.
   */
  leaseTriggerCursor(input: LeaseTriggerCursor): Promise<{ cursor: string | null } | null>;
  /**
   * Moves the cursor from `from` to `to` while `owner` holds the lease. False when the lease was
   * lost or the cursor moved meanwhile: nothing changes, and the next poll fetches from the stored
   * cursor again (the events' dedupe keys drop what was already accepted).
   */
  advanceTriggerCursor(input: AdvanceTriggerCursor): Promise<boolean>;
  /** Gives the lease up (on shutdown) so another process may poll at once. */
  releaseTriggerCursor(input: { key: string; owner: string }): Promise<void>;
  getTriggerCursor(key: string): Promise<TriggerCursorRecord | null>;

  /**
   * Stores a token. WeftError `conflict` when its id or hash exists, or when a token that is not
   * revoked already has its name (the name is the audit actor, so live names are unique).
   */
  createToken(input: { token: TokenRecord; audit: AuditInput }): Promise<void>;
  findTokenByHash(tokenHash: string): Promise<TokenRecord | null>;
  /** Every token, revoked ones too, newest first. */
  listTokens(): Promise<TokenRecord[]>;
  /**
   * Sets `revokedAt` to `now` and writes the audit entry in the same transaction; returns the
   * revoked token. WeftError `not_found` for an unknown id, `conflict` if already revoked.
   */
  revokeToken(input: { id: string; audit: AuditInput; now: number }): Promise<TokenRecord>;
  countTokens(): Promise<number>;

  // Connections
  /**
   * Creates or replaces the Connection `record.name`, with the audit entry in the same
   * transaction (the caller keeps secret values out of it: the store only ever sees ciphertext).
   * A replacement keeps the stored `createdAt`. Returns what is stored, and whether it is new.
   * Announces `'connections'` after the commit.
   */
  putConnection(input: { record: ConnectionRecord; audit: AuditInput }): Promise<{
    record: ConnectionRecord;
    created: boolean;
  }>;
  getConnection(name: string): Promise<ConnectionRecord | null>;
  /** Every Connection, by name. */
  listConnections(): Promise<ConnectionRecord[]>;
  /**
   * Deletes a Connection with its audit entry in the same transaction and returns what was
   * stored; WeftError `not_found` for an unknown name. Announces `'connections'`.
   */
  deleteConnection(input: { name: string; audit: AuditInput }): Promise<ConnectionRecord>;

  listAudit(filter: { limit: number; afterSeq?: number }): Promise<AuditEventRecord[]>;
}

export interface LeaseTriggerCursor {
  key: string;
  owner: string;
  leaseMs: number;
  now: number;
}

export interface AdvanceTriggerCursor {
  key: string;
  owner: string;
  from: string | null;
  to: string | null;
  now: number;
}

export interface TriggerCursorRecord {
  key: string;
  cursor: string | null;
  leaseOwner: string | null;
  leaseUntil: number;
  polledAt: number | null;
  updatedAt: number;
}

export interface MigrationReport {
  applied: string[];
  current: number;
}

/** What `subscribe` listeners hear: which kind of state changed. */
export type StoreTopic = 'runs' | 'flows' | 'connections' | 'tokens';

/** Every topic, e.g. to emit all of them after a reconnect. */
export const storeTopics: readonly StoreTopic[] = ['runs', 'flows', 'connections', 'tokens'];

/**
 * Ends a subscription when called. `ready` resolves once changes committed from then on are sure
 * to be heard (PostgreSQL: the LISTEN is in place), which tests need; production code need not
 * wait for it.
 */
export interface Subscription {
  (): void;
  readonly ready: Promise<void>;
}

export interface TakeRateLimit {
  /** The bucket: e.g. `api.example.com` from a step, `connection:<name>` from a Connection. */
  key: string;
  /** Refill rate, tokens per second (> 0). */
  perSecond: number;
  /** Capacity: how many calls may go at once after a quiet period (≥ 1). */
  burst: number;
  now: number;
}

export interface StoreInspection {
  dialect: 'sqlite' | 'postgres';
  /** The database server's version (PostgreSQL) or the SQLite library's. */
  serverVersion: string;
  /** The newest migration recorded in the database (0: none). */
  schemaVersion: number;
  /** The newest migration this Weft knows. */
  knownVersion: number;
  /** Migrations `migrate()` would apply. */
  pending: string[];
  /**
   * Database clock minus this machine's clock, in ms, measured over one round trip; null when
   * they are the same clock (SQLite). Leases compare times written by different machines.
   */
  clockSkewMs: number | null;
  /** Half the round trip of the clock reading: the skew is exact to about this much. */
  clockUncertaintyMs: number | null;
}

export interface AuditInput {
  actor: string;
  action: string;
  target: string;
  data?: unknown;
  at: number;
}

export interface PublishFlowVersion {
  id: string;
  flowName: string;
  source: string;
  sourceHash: string;
  definition: Flow;
  createdAt: number;
  createdBy: string;
  audit: AuditInput;
}

export interface NewEvent {
  id: string;
  flowName: string;
  source: EventSource;
  dedupeKey: string | null;
  payload: EventPayload;
  receivedAt: number;
}

export interface AcceptEvent {
  event: NewEvent;
  /**
   * `concurrency`: the version's per-flow limit (its `concurrency`), kept with the run so claims
   * can enforce it; a limited run must not be accepted with `claim` (it would skip the check).
   */
  run: { id: string; flowVersionId: string; runAt: number; concurrency?: number };
  claim?: { owner: string; leaseMs: number };
  scheduleTick?: { flowName: string; tickAt: number };
  audit?: AuditInput;
  /**
   * What the claimed run did before it was stored: its leading pure steps, run in memory while
   * the caller waited for the commit anyway (see `Engine.ingest`). Written as `saveProgress`
   * would write it, in the same transaction: one write per webhook instead of two.
   */
  progress?: NewRunProgress;
}

/** The progress of a run that does not exist yet: no lease to check, no owner to name. */
export type NewRunProgress = Omit<RunProgress, 'runId' | 'owner'>;

export type AcceptEventResult =
  | {
      accepted: true;
      eventId: string;
      runId: string;
      /** `progress` was written with the event. Absent: the caller must `saveProgress` it. */
      progressSaved?: boolean;
    }
  | { accepted: false; eventId: string; runId: string | null };

export interface ClaimRuns {
  owner: string;
  limit: number;
  leaseMs: number;
  now: number;
}

export interface ClaimedRun {
  run: RunRecord;
  event: EventRecord;
  journal: JournalEntry[];
}

export interface RunStateChange {
  status: RunStatus;
  runAt?: number;
  output?: unknown;
  error?: SerializedError | null;
  /** Gives the lease up (finished, waiting on a timer, or backing off). */
  releaseLease?: boolean;
  finishedAt?: number | null;
}

export interface NewException {
  id: string;
  stepId: string;
  error: SerializedError;
  input: unknown;
  attempts: number;
  at: number;
}

export interface RunProgress {
  runId: string;
  owner: string;
  now: number;
  journal?: JournalEntry[];
  actions?: ActionRecord[];
  run?: RunStateChange;
  /** Opens (or re-opens) the exception of this run's step. */
  exception?: NewException;
  /**
   * Steps that succeeded after an earlier failed or retried attempt: their exceptions in status
   * `retrying` are resolved, even if the run later fails at another step.
   */
  passedRetriedSteps?: string[];
}

export interface RunFilter {
  flowName?: string;
  status?: RunStatus;
  limit: number;
  /** Return runs with ids before this one (ids sort by creation time). */
  before?: string;
}

export interface EventFilter {
  flowName?: string;
  limit: number;
  before?: string;
}

export interface ExceptionFilter {
  status?: ExceptionStatus;
  flowName?: string;
  code?: string;
  stepId?: string;
  limit?: number;
  before?: string;
}

export interface RetryException {
  id: string;
  /** Replaces the failed step's input for the retry (e.g. a corrected request body). */
  input?: unknown;
  audit: AuditInput;
  now: number;
}

export interface ResolveException {
  id: string;
  note: string;
  actor: string;
  audit: AuditInput;
  now: number;
}
