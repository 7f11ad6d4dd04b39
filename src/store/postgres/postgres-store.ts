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
import { Database, type PostgresStoreOptions } from './database.js';
import { inspect, migrate } from './migrate.js';
import { Notifier } from './notifier.js';
import * as admin from './queries-admin.js';
import * as audit from './queries-audit.js';
import * as connections from './queries-connections.js';
import * as cursors from './queries-cursors.js';
import * as exceptions from './queries-exceptions.js';
import * as flows from './queries-flows.js';
import * as limits from './queries-limits.js';
import * as progress from './queries-progress.js';
import * as runs from './queries-runs.js';

export type { PostgresStoreOptions } from './database.js';

/**
 * The cluster Store: a `pg` connection pool on PostgreSQL 15+, shared by many Weft processes.
 *
 * `acceptEvent` and `saveProgress` are group-committed: calls that arrive while the database is
 * busy share one transaction (each in its own savepoint, so one failure stays its own) and resolve
 * after its COMMIT. Several such batches run in parallel ("lanes", half the pool); calls about the
 * same run or the same event dedupe key always share a lane, so they apply in the order issued. Every other write runs in its own transaction, after anything already queued in
 * this process, so this process's writes take effect in the order they were issued. Reads never
 * wait for the queue: a write whose promise has not resolved is not yet visible.
 *
 * Claims use `FOR UPDATE SKIP LOCKED`, so any number of workers in any number of processes claim
 * disjoint runs; progress writes lock the run row, so a reclaimed run fences its old owner. Claims
 * of flows with a concurrency limit take turns per flow on an advisory lock (queries-limits.ts).
 *
 * `subscribe` hears NOTIFYs sent in the transactions that make runs due or publish a version, from
 * every process, on one LISTEN connection that reconnects by itself (notifier.ts).
 *
 * `open` connects lazily and does not change the schema: call `migrate()` once at boot (safe to
 * run from several processes at once).
 *
 * @example
 * const store = PostgresStore.open({ url: 'postgres://weft@db:5432/weft', poolSize: 20 });
 * await store.migrate();
 * const [claimed] = await store.claimRuns({ owner: 'w1', limit: 1, leaseMs: 30_000, now: Date.now() });
 */
export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;

  private constructor(
    private readonly db: Database,
    private readonly notifier: Notifier,
  ) {}

  /** Creates the pool for `url`; no connection is made until the first call (or `subscribe`). */
  static open(options: PostgresStoreOptions): PostgresStore {
    const notifier = new Notifier({
      url: options.url,
      ...(options.onListenError ? { onError: options.onListenError } : {}),
    });
    return new PostgresStore(Database.open(options), notifier);
  }

  async migrate(): Promise<MigrationReport> {
    return this.db.session((client) => migrate(client));
  }

  async close(): Promise<void> {
    await this.notifier.close();
    await this.db.close();
  }

  async inspect(): Promise<StoreInspection> {
    return this.db.session((client) => inspect(client));
  }

  /**
   * Topics arrive through LISTEN on a dedicated connection, opened by the first subscriber: this
   * process's own commits come back that way too, like every other process's.
   */
  subscribe(listener: (topic: StoreTopic) => void): Subscription {
    return this.notifier.subscribe(listener);
  }

  // Flows

  async publishFlowVersion(
    input: PublishFlowVersion,
  ): Promise<{ version: FlowVersionRecord; created: boolean }> {
    return this.db.write((sql) => flows.publishFlowVersion(sql, input));
  }

  async listFlows(): Promise<FlowRecord[]> {
    return this.db.read((sql) => flows.listFlows(sql));
  }

  async getFlow(name: string): Promise<FlowRecord | null> {
    return this.db.read((sql) => flows.getFlow(sql, name));
  }

  async listFlowVersions(flowName: string): Promise<FlowVersionRecord[]> {
    return this.db.read((sql) => flows.listFlowVersions(sql, flowName));
  }

  async getFlowVersion(id: string): Promise<FlowVersionRecord | null> {
    return this.db.read((sql) => flows.getFlowVersion(sql, id));
  }

  async currentFlowVersions(): Promise<FlowVersionRecord[]> {
    return this.db.read((sql) => flows.currentFlowVersions(sql));
  }

  // Events and runs

  async acceptEvent(input: AcceptEvent): Promise<AcceptEventResult> {
    // Deliveries of one event share a lane, so the first one issued is the one accepted.
    const { event, run } = input;
    const key = event.dedupeKey === null ? `run:${run.id}` : `event:${event.flowName}\n${event.dedupeKey}`;
    return this.db.grouped(key, (sql) => runs.acceptEvent(sql, input));
  }

  async claimRuns(input: ClaimRuns): Promise<ClaimedRun[]> {
    return this.db.write((sql) => runs.claimRuns(sql, input));
  }

  async loadRun(runId: string): Promise<ClaimedRun | null> {
    return this.db.snapshot((sql) => runs.loadRun(sql, runId));
  }

  async heartbeat(input: {
    owner: string;
    runIds: string[];
    leaseMs: number;
    now: number;
  }): Promise<string[]> {
    return this.db.write((sql) => runs.heartbeat(sql, input));
  }

  async saveProgress(input: RunProgress): Promise<void> {
    // One run's progress writes share a lane, so they land in the order they were issued.
    return this.db.grouped(`run:${input.runId}`, (sql) => progress.saveProgress(sql, input));
  }

  async expireAllLeases(): Promise<number> {
    return this.db.write((sql) => runs.expireAllLeases(sql));
  }

  async getRun(id: string): Promise<RunRecord | null> {
    return this.db.read((sql) => runs.getRun(sql, id));
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.db.read((sql) => runs.listRuns(sql, filter));
  }

  async countRuns(filter: { flowName?: string; status?: RunStatus }): Promise<number> {
    return this.db.read((sql) => runs.countRuns(sql, filter));
  }

  async getJournal(runId: string): Promise<JournalEntry[]> {
    return this.db.read((sql) => runs.getJournal(sql, runId));
  }

  async listActions(runId: string): Promise<ActionRecord[]> {
    return this.db.read((sql) => runs.listActions(sql, runId));
  }

  async getEvent(id: string): Promise<EventRecord | null> {
    return this.db.read((sql) => runs.getEvent(sql, id));
  }

  async listEvents(filter: EventFilter): Promise<EventRecord[]> {
    return this.db.read((sql) => runs.listEvents(sql, filter));
  }

  // Error queue

  async listExceptions(filter: ExceptionFilter): Promise<ExceptionRecord[]> {
    return this.db.read((sql) => exceptions.listExceptions(sql, filter));
  }

  async getException(id: string): Promise<ExceptionRecord | null> {
    return this.db.read((sql) => exceptions.getException(sql, id));
  }

  async retryException(input: RetryException): Promise<ExceptionRecord> {
    return this.db.write((sql) => exceptions.retryException(sql, input));
  }

  async retryExceptions(input: { filter: ExceptionFilter; audit: AuditInput; now: number }): Promise<number> {
    return this.db.write((sql) => exceptions.retryExceptions(sql, input));
  }

  async resolveException(input: ResolveException): Promise<ExceptionRecord> {
    return this.db.write((sql) => exceptions.resolveException(sql, input));
  }

  // Schedules

  async getScheduleState(flowName: string): Promise<ScheduleStateRecord | null> {
    return this.db.read((sql) => admin.getScheduleState(sql, flowName));
  }

  async initScheduleState(state: ScheduleStateRecord): Promise<ScheduleStateRecord> {
    return this.db.write((sql) => admin.initScheduleState(sql, state));
  }

  // Limits

  async takeRateLimit(input: TakeRateLimit): Promise<{ waitMs: number }> {
    // One upsert, atomic on its own (the row lock orders takers): no transaction, and no need to
    // wait behind this process's queued writes, which never touch a bucket.
    return this.db.read((sql) => limits.takeRateLimit(sql, input));
  }

  // Trigger cursors: single statements, atomic on their own (the row lock orders pollers).

  async leaseTriggerCursor(input: LeaseTriggerCursor): Promise<{ cursor: string | null } | null> {
    return this.db.read((sql) => cursors.leaseTriggerCursor(sql, input));
  }

  async advanceTriggerCursor(input: AdvanceTriggerCursor): Promise<boolean> {
    return this.db.read((sql) => cursors.advanceTriggerCursor(sql, input));
  }

  async releaseTriggerCursor(input: { key: string; owner: string }): Promise<void> {
    await this.db.read((sql) => cursors.releaseTriggerCursor(sql, input));
  }

  async getTriggerCursor(key: string): Promise<TriggerCursorRecord | null> {
    return this.db.read((sql) => cursors.getTriggerCursor(sql, key));
  }

  // Auth and audit

  async createToken(input: { token: TokenRecord; audit: AuditInput }): Promise<void> {
    await this.db.write((sql) => admin.createToken(sql, input));
  }

  async findTokenByHash(tokenHash: string): Promise<TokenRecord | null> {
    return this.db.read((sql) => admin.findTokenByHash(sql, tokenHash));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.db.read((sql) => admin.listTokens(sql));
  }

  async revokeToken(input: { id: string; audit: AuditInput; now: number }): Promise<TokenRecord> {
    return this.db.write((sql) => admin.revokeToken(sql, input));
  }

  async countTokens(): Promise<number> {
    return this.db.read((sql) => admin.countTokens(sql));
  }

  // Connections

  async putConnection(input: {
    record: ConnectionRecord;
    audit: AuditInput;
  }): Promise<{ record: ConnectionRecord; created: boolean }> {
    return this.db.write((sql) => connections.putConnection(sql, input));
  }

  async getConnection(name: string): Promise<ConnectionRecord | null> {
    return this.db.read((sql) => connections.getConnection(sql, name));
  }

  async listConnections(): Promise<ConnectionRecord[]> {
    return this.db.read((sql) => connections.listConnections(sql));
  }

  async deleteConnection(input: { name: string; audit: AuditInput }): Promise<ConnectionRecord> {
    return this.db.write((sql) => connections.deleteConnection(sql, input));
  }

  async listAudit(filter: { limit: number; afterSeq?: number }): Promise<AuditEventRecord[]> {
    return this.db.read((sql) => audit.listAudit(sql, filter));
  }
}
