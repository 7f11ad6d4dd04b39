import type {
  AcceptEvent,
  AcceptEventResult,
  AdvanceTriggerCursor,
  AuditInput,
  ClaimedRun,
  ClaimRuns,
  EventFilter,
  ExceptionFilter,
  LeaseTriggerCursor,
  MigrationReport,
  PublishFlowVersion,
  ResolveException,
  RetryException,
  RunFilter,
  RunProgress,
  Store,
  StoreInspection,
  StoreTopic,
  Subscription,
  TakeRateLimit,
  TriggerCursorRecord,
} from '../port.js';
import type {
  ActionRecord,
  AuditEventRecord,
  ConnectionRecord,
  EventRecord,
  ExceptionRecord,
  FlowRecord,
  FlowVersionRecord,
  JournalEntry,
  RunRecord,
  RunStatus,
  ScheduleStateRecord,
  TokenRecord,
} from '../records.js';
import { MemoryTokenBuckets } from '../token-buckets.js';
import { TopicListeners } from '../topics.js';
import { Connection, type SqliteStoreOptions } from './connection.js';
import { inspect, migrate } from './migrate.js';
import * as admin from './queries-admin.js';
import * as audit from './queries-audit.js';
import * as connections from './queries-connections.js';
import * as cursors from './queries-cursors.js';
import * as exceptions from './queries-exceptions.js';
import * as flows from './queries-flows.js';
import * as progress from './queries-progress.js';
import * as runs from './queries-runs.js';

export type { SqliteStoreOptions } from './connection.js';

/**
 * The embedded Store: one better-sqlite3 connection in WAL mode.
 *
 * `acceptEvent` and `saveProgress` are group-committed: calls made in the same event-loop turn share
 * one transaction (each in its own savepoint, so one failure stays its own) and resolve after its
 * COMMIT. Every other write runs at once in its own transaction, after anything already queued, so
 * writes take effect in the order they were issued. Reads never wait for the queue: a write whose
 * promise has not resolved is not yet visible.
 *
 * `open` does not change the schema: call `migrate()` once at boot.
 *
 * @example
 * const store = SqliteStore.open({ path: '.weft/weft.db' });
 * await store.migrate();
 * const [claimed] = await store.claimRuns({ owner: 'w1', limit: 1, leaseMs: 30_000, now: Date.now() });
 */
export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;

  /**
   * `subscribe` listeners, told after the COMMIT. Embedded mode is one process (the data-dir lock
   * sees to it), so there is no one else to tell; the engine subscribes all the same and runs
   * unchanged on either store.
   */
  private readonly topics = new TopicListeners();
  private readonly buckets = new MemoryTokenBuckets();

  private constructor(private readonly conn: Connection) {}

  /** Opens (creating if needed) the database at `path`; ':memory:' for a private in-memory one. */
  static open(options: SqliteStoreOptions): SqliteStore {
    return new SqliteStore(Connection.open(options));
  }

  /** A PRAGMA's value, for diagnostics and tests (e.g. `journal_mode`). */
  pragma(name: string): unknown {
    return this.conn.pragma(name);
  }

  async migrate(): Promise<MigrationReport> {
    return migrate(this.conn);
  }

  async close(): Promise<void> {
    this.conn.close();
  }

  async inspect(): Promise<StoreInspection> {
    return inspect(this.conn);
  }

  subscribe(listener: (topic: StoreTopic) => void): Subscription {
    return this.topics.add(listener, Promise.resolve());
  }

  // Flows

  async publishFlowVersion(
    input: PublishFlowVersion,
  ): Promise<{ version: FlowVersionRecord; created: boolean }> {
    const published = this.conn.write(() => flows.publishFlowVersion(this.conn.sql, input));
    if (published.created) this.topics.emit('flows');
    return published;
  }

  async listFlows(): Promise<FlowRecord[]> {
    return this.conn.read(() => flows.listFlows(this.conn.sql));
  }

  async getFlow(name: string): Promise<FlowRecord | null> {
    return this.conn.read(() => flows.getFlow(this.conn.sql, name));
  }

  async listFlowVersions(flowName: string): Promise<FlowVersionRecord[]> {
    return this.conn.read(() => flows.listFlowVersions(this.conn.sql, flowName));
  }

  async getFlowVersion(id: string): Promise<FlowVersionRecord | null> {
    return this.conn.read(() => flows.getFlowVersion(this.conn.sql, id));
  }

  async currentFlowVersions(): Promise<FlowVersionRecord[]> {
    return this.conn.read(() => flows.currentFlowVersions(this.conn.sql));
  }

  // Events and runs

  async acceptEvent(input: AcceptEvent): Promise<AcceptEventResult> {
    const result = await this.conn.grouped(() => runs.acceptEvent(this.conn.sql, input));
    if (result.accepted && input.claim === undefined) this.topics.emit('runs');
    return result;
  }

  async claimRuns(input: ClaimRuns): Promise<ClaimedRun[]> {
    return this.conn.write(() => runs.claimRuns(this.conn.sql, input));
  }

  async loadRun(runId: string): Promise<ClaimedRun | null> {
    return this.conn.read(() => runs.loadRun(this.conn.sql, runId));
  }

  async heartbeat(input: {
    owner: string;
    runIds: string[];
    leaseMs: number;
    now: number;
  }): Promise<string[]> {
    return this.conn.write(() => runs.heartbeat(this.conn.sql, input));
  }

  async saveProgress(input: RunProgress): Promise<void> {
    return this.conn.grouped(() => progress.saveProgress(this.conn.sql, input));
  }

  async expireAllLeases(): Promise<number> {
    return this.conn.write(() => runs.expireAllLeases(this.conn.sql));
  }

  async getRun(id: string): Promise<RunRecord | null> {
    return this.conn.read(() => runs.getRun(this.conn.sql, id));
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.conn.read(() => runs.listRuns(this.conn.sql, filter));
  }

  async countRuns(filter: { flowName?: string; status?: RunStatus }): Promise<number> {
    return this.conn.read(() => runs.countRuns(this.conn.sql, filter));
  }

  async getJournal(runId: string): Promise<JournalEntry[]> {
    return this.conn.read(() => runs.getJournal(this.conn.sql, runId));
  }

  async listActions(runId: string): Promise<ActionRecord[]> {
    return this.conn.read(() => runs.listActions(this.conn.sql, runId));
  }

  async getEvent(id: string): Promise<EventRecord | null> {
    return this.conn.read(() => runs.getEvent(this.conn.sql, id));
  }

  async listEvents(filter: EventFilter): Promise<EventRecord[]> {
    return this.conn.read(() => runs.listEvents(this.conn.sql, filter));
  }

  // Error queue

  async listExceptions(filter: ExceptionFilter): Promise<ExceptionRecord[]> {
    return this.conn.read(() => exceptions.listExceptions(this.conn.sql, filter));
  }

  async getException(id: string): Promise<ExceptionRecord | null> {
    return this.conn.read(() => exceptions.getException(this.conn.sql, id));
  }

  async retryException(input: RetryException): Promise<ExceptionRecord> {
    const retried = this.conn.write(() => exceptions.retryException(this.conn.sql, input));
    this.topics.emit('runs');
    return retried;
  }

  async retryExceptions(input: { filter: ExceptionFilter; audit: AuditInput; now: number }): Promise<number> {
    const count = this.conn.write(() => exceptions.retryExceptions(this.conn.sql, input));
    if (count > 0) this.topics.emit('runs');
    return count;
  }

  async resolveException(input: ResolveException): Promise<ExceptionRecord> {
    return this.conn.write(() => exceptions.resolveException(this.conn.sql, input));
  }

  // Schedules

  async getScheduleState(flowName: string): Promise<ScheduleStateRecord | null> {
    return this.conn.read(() => admin.getScheduleState(this.conn.sql, flowName));
  }

  async initScheduleState(state: ScheduleStateRecord): Promise<ScheduleStateRecord> {
    return this.conn.write(() => admin.initScheduleState(this.conn.sql, state));
  }

  // Limits

  async takeRateLimit(input: TakeRateLimit): Promise<{ waitMs: number }> {
    // One process owns this database, so its buckets are in memory (see MemoryTokenBuckets).
    return this.buckets.take(input);
  }

  // Trigger cursors

  async leaseTriggerCursor(input: LeaseTriggerCursor): Promise<{ cursor: string | null } | null> {
    return this.conn.write(() => cursors.leaseTriggerCursor(this.conn.sql, input));
  }

  async advanceTriggerCursor(input: AdvanceTriggerCursor): Promise<boolean> {
    return this.conn.write(() => cursors.advanceTriggerCursor(this.conn.sql, input));
  }

  async releaseTriggerCursor(input: { key: string; owner: string }): Promise<void> {
    this.conn.write(() => cursors.releaseTriggerCursor(this.conn.sql, input));
  }

  async getTriggerCursor(key: string): Promise<TriggerCursorRecord | null> {
    return this.conn.read(() => cursors.getTriggerCursor(this.conn.sql, key));
  }

  // Auth and audit

  async createToken(input: { token: TokenRecord; audit: AuditInput }): Promise<void> {
    this.conn.write(() => admin.createToken(this.conn.sql, input));
  }

  async findTokenByHash(tokenHash: string): Promise<TokenRecord | null> {
    return this.conn.read(() => admin.findTokenByHash(this.conn.sql, tokenHash));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.conn.read(() => admin.listTokens(this.conn.sql));
  }

  async revokeToken(input: { id: string; audit: AuditInput; now: number }): Promise<TokenRecord> {
    const revoked = this.conn.write(() => admin.revokeToken(this.conn.sql, input));
    this.topics.emit('tokens');
    return revoked;
  }

  async countTokens(): Promise<number> {
    return this.conn.read(() => admin.countTokens(this.conn.sql));
  }

  // Connections

  async putConnection(input: {
    record: ConnectionRecord;
    audit: AuditInput;
  }): Promise<{ record: ConnectionRecord; created: boolean }> {
    const put = this.conn.write(() => connections.putConnection(this.conn.sql, input));
    this.topics.emit('connections');
    return put;
  }

  async getConnection(name: string): Promise<ConnectionRecord | null> {
    return this.conn.read(() => connections.getConnection(this.conn.sql, name));
  }

  async listConnections(): Promise<ConnectionRecord[]> {
    return this.conn.read(() => connections.listConnections(this.conn.sql));
  }

  async deleteConnection(input: { name: string; audit: AuditInput }): Promise<ConnectionRecord> {
    const deleted = this.conn.write(() => connections.deleteConnection(this.conn.sql, input));
    this.topics.emit('connections');
    return deleted;
  }

  async listAudit(filter: { limit: number; afterSeq?: number }): Promise<AuditEventRecord[]> {
    return this.conn.read(() => audit.listAudit(this.conn.sql, filter));
  }
}
