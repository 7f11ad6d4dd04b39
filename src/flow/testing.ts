/**
 * @module flow/testing
 * In-memory fakes for unit tests of the flow registry and the triggers: the few Store methods
 * they use, and a clock that moves only when told. Not used at run time.
 */
import type { Clock } from '../contract/clock.js';
import type { AuditInput, PublishFlowVersion, Store } from '../store/port.js';
import type { FlowVersionRecord, ScheduleStateRecord } from '../store/records.js';

type FlowStoreMethods =
  | 'currentFlowVersions'
  | 'getFlowVersion'
  | 'publishFlowVersion'
  | 'getScheduleState'
  | 'initScheduleState';

/** The flow and schedule part of the Store, in memory, with the same publish semantics. */
export class MemoryFlowStore implements Pick<Store, FlowStoreMethods> {
  readonly versions: FlowVersionRecord[] = [];
  readonly audit: AuditInput[] = [];
  readonly schedules = new Map<string, ScheduleStateRecord>();

  async publishFlowVersion(
    input: PublishFlowVersion,
  ): Promise<{ version: FlowVersionRecord; created: boolean }> {
    const mine = this.versions.filter((v) => v.flowName === input.flowName);
    const current = mine.at(-1);
    if (current !== undefined && current.sourceHash === input.sourceHash)
      return { version: current, created: false };
    const version: FlowVersionRecord = {
      id: input.id,
      flowName: input.flowName,
      version: mine.length + 1,
      sourceHash: input.sourceHash,
      source: input.source,
      definition: input.definition,
      createdAt: input.createdAt,
      createdBy: input.createdBy,
    };
    this.versions.push(version);
    this.audit.push(input.audit);
    return { version, created: true };
  }

  async currentFlowVersions(): Promise<FlowVersionRecord[]> {
    const byName = new Map<string, FlowVersionRecord>();
    for (const v of this.versions) byName.set(v.flowName, v);
    return [...byName.values()];
  }

  async getFlowVersion(id: string): Promise<FlowVersionRecord | null> {
    return this.versions.find((v) => v.id === id) ?? null;
  }

  async getScheduleState(flowName: string): Promise<ScheduleStateRecord | null> {
    const state = this.schedules.get(flowName);
    return state === undefined ? null : { ...state };
  }

  async initScheduleState(state: ScheduleStateRecord): Promise<ScheduleStateRecord> {
    if (!this.schedules.has(state.flowName)) this.schedules.set(state.flowName, { ...state });
    return { ...(this.schedules.get(state.flowName) as ScheduleStateRecord) };
  }

  /** What `acceptEvent({ scheduleTick })` does to the cursor. */
  moveScheduleCursor(flowName: string, tickAt: number): void {
    const state = this.schedules.get(flowName);
    if (state !== undefined) state.lastTickAt = tickAt;
  }
}

/** A clock for tests: `set` and `advance` move it; nothing else does. */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
