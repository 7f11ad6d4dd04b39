import { toWeftError } from '../contract/errors.js';
import { newId } from '../contract/ids.js';
import type { CompiledFlow } from '../flow/compiled.js';
import type { Logger } from '../observability/logger.js';
import type { ClaimedRun, Store } from '../store/port.js';
import type { FlowResponse } from './ingest-port.js';
import { RunExecution, type RunExecutorDeps, type RunOutcome, type Speculation } from './run-executor.js';
import { WakeTimers } from './wake-timers.js';

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
  /**
   * Runs may be due that this worker had no slot for. Only then does a finished inline run
   * trigger a claim: it frees a slot nobody queued for, and claiming after every one of them cost
   * a write transaction per webhook (and split the group-commit batch it flushed). A finished
   * claimed run always does: it may be what held back runs of a flow with a concurrency limit.
   */
  private backlog = false;
  /** Producers waiting in `reserveSlot`; each freed slot is reserved for the first of them. */
  private readonly slotWaiters: ((reserved: boolean) => void)[] = [];
  /** A wake-up arrived while the loop was busy claiming; it must not be lost. */
  private wakePending = false;
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private wakeSleep: (() => void) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly timers = new WakeTimers({ fire: () => this.wake(), now: () => this.deps.executor.now() });
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly deps: WorkerDeps,
    readonly options: WorkerOptions,
  ) {}

  static ownerId(role = 'worker'): string {
    return newId(role);
  }

  start(): void {
    // Runs other processes made due (an event a `serve` process queued, a retry from the error
    // queue) announce themselves through the store; the poll is only the safety net.
    this.unsubscribe = this.deps.store.subscribe((topic) => {
      if (topic === 'runs') this.wake();
    });
    this.loopDone = this.loop();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Stops claiming, then waits (bounded) for runs in flight; unfinished ones are reclaimed later. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const waiter of this.slotWaiters.splice(0)) waiter(false);
    this.wake();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.unsubscribe?.();
    this.timers.clear();
    await this.loopDone;
    await Promise.race([Promise.allSettled([...this.active.values()]), delay(graceMs)]);
  }

  /** Something became due (a new event, a retry from the error queue): claim now. */
  wake(): void {
    const wake = this.wakeSleep;
    this.wakeSleep = undefined;
    if (wake) wake();
    else this.wakePending = true;
  }

  /** Claims again at `at` (a timer or backoff of a run this process gave up). */
  wakeAt(at: number, now: number): void {
    this.timers.add(at, now);
  }

  /** Reserves a slot for a run that the caller will lease at creation and hand to `runInline`. */
  tryReserve(): boolean {
    if (this.stopping) return false;
    if (this.active.size + this.reserved >= this.options.concurrency) {
      // The caller queues the run instead; a slot that frees up must go and claim it.
      this.backlog = true;
      return false;
    }
    this.reserved += 1;
    return true;
  }

  release(): void {
    this.reserved = Math.max(0, this.reserved - 1);
  }

  /**
   * Reserves a slot, waiting for one to free up: true once it is the caller's (hand it to
   * `Engine.ingest` as `slotReserved`), false when the worker is stopping. A producer that ingests
   * faster than runs finish (the poller during a backfill) waits here, so its runs start inline
   * in this process instead of being queued and claimed back (a claim and a reload each).
   */
  reserveSlot(): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    if (this.active.size + this.reserved < this.options.concurrency) {
      this.reserved += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  /**
   * Runs the leading pure steps of a run that is not stored yet (see `RunExecution.speculate`).
   * The caller holds a slot from `tryReserve` and commits the result with the event.
   */
  speculate(claimed: ClaimedRun, flow: CompiledFlow): Promise<Speculation> {
    return new RunExecution(this.deps.executor, claimed, flow, this.options.owner).speculate();
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
      this.track(claimed, () => Promise.resolve(flow), settle, 'inline');
      if (awaitMs === undefined) settle(undefined);
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.wakePending = false;
      const capacity = this.options.concurrency - this.active.size - this.reserved;
      let claimedFull = false;
      if (capacity <= 0) this.backlog = true;
      else {
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
              'claimed',
            );
          claimedFull = claimed.length === limit;
          // Everything due was taken. A run queued after the claim comes with its own wake-up.
          if (!claimedFull) this.backlog = false;
        } catch (err) {
          this.deps.logger.error({ err: toWeftError(err).toJSON() }, 'claiming runs failed; will try again');
        }
      }
      if (claimedFull || this.stopping || this.wakePending) continue;
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
    origin: 'inline' | 'claimed',
  ): void {
    const runId = claimed.run.id;
    const done = this.execute(claimed, loadFlow, onResponse).finally(() => {
      this.active.delete(runId);
      const waiter = this.slotWaiters.shift();
      if (waiter !== undefined) {
        this.reserved += 1;
        waiter(true);
      }
      // A slot just freed up: claim if due runs may be waiting for one (see `backlog`).
      if (this.backlog || origin === 'claimed') this.wake();
    });
    this.active.set(runId, done);
  }

  private async execute(
    claimed: ClaimedRun,
    loadFlow: (versionId: string) => Promise<CompiledFlow>,
    onResponse: (r: FlowResponse | undefined) => void,
  ): Promise<void> {
    let outcome: RunOutcome;
    let limited = false;
    try {
      const flow = await loadFlow(claimed.run.flowVersionId);
      limited = flow.definition.concurrency !== undefined;
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
    // The run gave its flow's slot back: a run of the flow held back by the limit may go now.
    if (limited) this.backlog = true;
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
