import { toWeftError } from '../contract/errors.js';
import { newId } from '../contract/ids.js';
import type { CompiledFlow } from '../flow/compiled.js';
import type { Logger } from '../observability/logger.js';
import type { ClaimedRun, Store } from '../store/port.js';
import type { FlowResponse } from './ingest-port.js';
import { RunExecution, type RunExecutorDeps, type RunOutcome } from './run-executor.js';

export interface WorkerOptions {
  /** Identifies this worker in leases; unique per process start. */
  owner: string;
  concurrency: number;
  leaseMs: number;
  heartbeatMs: number;
  /** Safety-net poll; wake-ups normally come from `wake()` and local timers. */
  pollMs: number;
}

export interface WorkerDeps {
  store: Store;
  /** Resolves the FlowVersion a run was started on (runs never switch versions). */
  flowVersion(id: string): Promise<CompiledFlow>;
  executor: RunExecutorDeps;
  logger: Logger;
}

/**
 * Claims due runs and executes them, up to `concurrency` at once, keeping their leases alive with
 * heartbeats. A run this worker loses (crash, stall) is reclaimed by any worker once its lease
 * expires; a run it finishes releases its lease in the same write as its final state.
 */
export class Worker {
  private readonly active = new Map<string, Promise<void>>();
  private reserved = 0;
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private wakeSleep: (() => void) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private wakeTimer: { at: number; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly deps: WorkerDeps,
    readonly options: WorkerOptions,
  ) {}

  static ownerId(role = 'worker'): string {
    return newId(role);
  }

  start(): void {
    this.loopDone = this.loop();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Stops claiming, then waits (bounded) for runs in flight; unfinished ones are reclaimed later. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    this.wake();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer.timer);
    await this.loopDone;
    await Promise.race([Promise.allSettled([...this.active.values()]), delay(graceMs)]);
  }

  /** Something became due (a new event, a retry from the error queue): claim now. */
  wake(): void {
    const wake = this.wakeSleep;
    this.wakeSleep = undefined;
    wake?.();
  }

  /** Claims again at `at` (a timer or backoff of a run this process gave up). */
  wakeAt(at: number, now: number): void {
    if (this.wakeTimer && this.wakeTimer.at <= at) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer.timer);
    const timer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wake();
      },
      Math.max(0, at - now),
    );
    timer.unref();
    this.wakeTimer = { at, timer };
  }

  /** Reserves a slot for a run that the caller will lease at creation and hand to `runInline`. */
  tryReserve(): boolean {
    if (this.stopping || this.active.size + this.reserved >= this.options.concurrency) return false;
    this.reserved += 1;
    return true;
  }

  release(): void {
    this.reserved = Math.max(0, this.reserved - 1);
  }

  /**
   * Executes a run created already leased to this worker (uses a slot from `tryReserve`).
   * Resolves with the flow's reply once committed, or undefined when the run ends, suspends, or
   * `awaitMs` passes without one; the run itself goes on regardless.
   */
  runInline(
    claimed: ClaimedRun,
    flow: CompiledFlow,
    awaitMs: number | undefined,
  ): Promise<FlowResponse | undefined> {
    this.release();
    return new Promise((resolve) => {
      let settled = false;
      const settle = (response: FlowResponse | undefined) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        resolve(response);
      };
      const timer = awaitMs === undefined ? undefined : setTimeout(() => settle(undefined), awaitMs);
      this.track(claimed, () => Promise.resolve(flow), settle);
      if (awaitMs === undefined) settle(undefined);
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const capacity = this.options.concurrency - this.active.size - this.reserved;
      let claimedFull = false;
      if (capacity > 0) {
        const limit = Math.min(capacity, 100);
        try {
          const claimed = await this.deps.store.claimRuns({
            owner: this.options.owner,
            limit,
            leaseMs: this.options.leaseMs,
            now: this.deps.executor.now(),
          });
          for (const c of claimed)
            this.track(
              c,
              (id) => this.deps.flowVersion(id),
              () => undefined,
            );
          claimedFull = claimed.length === limit;
        } catch (err) {
          this.deps.logger.error({ err: toWeftError(err).toJSON() }, 'claiming runs failed; will try again');
        }
      }
      if (claimedFull || this.stopping) continue;
      await new Promise<void>((resolve) => {
        this.wakeSleep = resolve;
        const t = setTimeout(resolve, this.options.pollMs);
        t.unref();
      });
    }
  }

  private track(
    claimed: ClaimedRun,
    loadFlow: (versionId: string) => Promise<CompiledFlow>,
    onResponse: (r: FlowResponse | undefined) => void,
  ): void {
    const runId = claimed.run.id;
    const done = this.execute(claimed, loadFlow, onResponse).finally(() => {
      this.active.delete(runId);
      // A slot just freed up: there may be due runs waiting for it.
      this.wake();
    });
    this.active.set(runId, done);
  }

  private async execute(
    claimed: ClaimedRun,
    loadFlow: (versionId: string) => Promise<CompiledFlow>,
    onResponse: (r: FlowResponse | undefined) => void,
  ): Promise<void> {
    let outcome: RunOutcome;
    try {
      const flow = await loadFlow(claimed.run.flowVersionId);
      outcome = await new RunExecution(
        this.deps.executor,
        claimed,
        flow,
        this.options.owner,
        onResponse,
      ).execute();
    } catch (err) {
      onResponse(undefined);
      // Left leased: the lease expires and the run is tried again, by this or another worker.
      this.deps.logger.error(
        { runId: claimed.run.id, err: toWeftError(err).toJSON() },
        'run execution crashed',
      );
      return;
    }
    if (outcome.status === 'waiting') this.wakeAt(outcome.resumeAt, this.deps.executor.now());
  }

  private async heartbeat(): Promise<void> {
    const runIds = [...this.active.keys()];
    if (runIds.length === 0) return;
    try {
      await this.deps.store.heartbeat({
        owner: this.options.owner,
        runIds,
        leaseMs: this.options.leaseMs,
        now: this.deps.executor.now(),
      });
    } catch (err) {
      this.deps.logger.error({ err: toWeftError(err).toJSON() }, 'heartbeat failed');
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
