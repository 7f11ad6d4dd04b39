import type { SecretSource } from '../config.js';
import { type SerializedError, toWeftError, WeftError } from '../contract/errors.js';
import type { Step, StepKind } from '../contract/flow.js';
import { newId } from '../contract/ids.js';
import type { CompiledFlow, Scope } from '../flow/compiled.js';
import type { Policy } from '../governance/policy.js';
import type { Logger } from '../observability/logger.js';
import type { ClaimedRun, NewRunProgress, RunProgress, RunStateChange, Store } from '../store/port.js';
import type { ActionRecord, JournalEntry } from '../store/records.js';
import { type ConnectionAccess, noConnections } from './connection-access.js';
import type { FlowResponse } from './ingest-port.js';
import { chosenSteps } from './steps/branch.js';
import type { ActionLedger, StepEnv, StepExecutors, StepOutcome } from './steps/step-env.js';

export interface RunExecutorDeps {
  store: Store;
  executors: StepExecutors;
  secrets: SecretSource;
  policy: Policy;
  /** Default: none, so an action naming a Connection fails with `not_found`. */
  connections?: ConnectionAccess;
  logger: Logger;
  now(): number;
  random(): number;
}

export type RunOutcome =
  | { status: 'succeeded' | 'failed' }
  | { status: 'waiting'; resumeAt: number }
  | { status: 'lease_lost' };

type Walk =
  | { type: 'continue' }
  | { type: 'suspend'; resumeAt: number }
  | { type: 'fail'; stepId: string }
  /** Speculation reached a step that is not pure. */
  | { type: 'stop' };

/**
 * Steps that only compute from the scope: no write to another system, no time passing. They may
 * run before their run is stored (`speculate`), since running them again changes nothing.
 */
const pureKinds: Record<StepKind, boolean> = {
  map: true,
  branch: true,
  respond: true,
  action: false,
  wait: false,
};

/** What `speculate` produced, for the caller to commit with the event. */
export interface Speculation {
  /** The run ended (succeeded or failed) within its leading pure steps. */
  finished: boolean;
  /** The reply of a `respond` step among them; send it only once `progress` is committed. */
  response: FlowResponse | undefined;
  progress: NewRunProgress;
}

/**
 * Executes one claimed run: replays what the journal already holds, executes the rest, and
 * commits progress in as few writes as possible (pure steps are batched; every write to another
 * system is recorded as soon as it is done). A `respond` step's reply is handed to `onResponse`
 * only after it is committed.
 */
export class RunExecution {
  private readonly journal: Map<string, JournalEntry>;
  private readonly pendingJournal = new Map<string, JournalEntry>();
  private readonly pendingActions = new Map<string, ActionRecord>();
  /**
   * An action's outcome waits to be committed. It is committed before the next step starts, or
   * with the run's final state when the action was the last step: one write instead of two for
   * the common "…, then write" run. Until then a crash repeats the call with the same
   * idempotency key, exactly as a crash during the call would.
   */
  private actionUnflushed = false;
  private readonly passedRetriedSteps = new Set<string>();
  private ledgerCache: Map<string, ActionRecord> | undefined;
  private readonly scope: Scope;
  private response: FlowResponse | undefined;
  private responseDelivered = false;
  private lastOutput: unknown = null;
  private speculative = false;
  private failure: { stepId: string; error: WeftError; input: unknown; attempts: number } | undefined;

  constructor(
    private readonly deps: RunExecutorDeps,
    private readonly claimed: ClaimedRun,
    private readonly flow: CompiledFlow,
    private readonly owner: string,
    private readonly onResponse: (response: FlowResponse | undefined) => void = () => undefined,
  ) {
    this.journal = new Map(claimed.journal.map((e) => [e.stepId, e]));
    const { event, run } = claimed;
    this.scope = {
      event: {
        id: event.id,
        source: event.source,
        receivedAt: new Date(event.receivedAt).toISOString(),
        body: event.payload.body,
        headers: event.payload.headers,
        query: event.payload.query,
      },
      steps: {},
      run: { id: run.id, flow: run.flowName, version: flow.version.version },
    };
  }

  async execute(): Promise<RunOutcome> {
    try {
      const walk = await this.walk(this.flow.definition.steps);
      return await this.finish(walk);
    } catch (err) {
      const error = toWeftError(err);
      if (error.code === 'lease_lost') {
        this.deps.logger.warn({ runId: this.claimed.run.id }, 'lease lost; another worker owns the run now');
        return { status: 'lease_lost' };
      }
      throw err;
    } finally {
      // A caller waiting for a reply is never left hanging, whatever happened.
      if (!this.responseDelivered) this.onResponse(undefined);
    }
  }

  /**
   * Executes the leading pure steps in memory, before the run is stored, and returns what they
   * did, for the caller to commit together with the event and run: one write per webhook instead
   * of two. Writes nothing and replies to no one. A run that is not `finished` goes on in a new
   * RunExecution over the committed journal, which replays these steps.
   */
  async speculate(): Promise<Speculation> {
    this.speculative = true;
    const walk = await this.walk(this.flow.definition.steps);
    const journal = [...this.pendingJournal.values()];
    if (walk.type === 'stop') {
      return { finished: false, response: this.response, progress: { now: this.deps.now(), journal } };
    }
    const { change, exception } = this.conclude(walk);
    return {
      finished: true,
      response: this.response,
      progress: { now: this.deps.now(), journal, run: change, ...(exception ? { exception } : {}) },
    };
  }

  private async walk(steps: Step[]): Promise<Walk> {
    for (const step of steps) {
      const done = this.journal.get(step.id);
      if (done?.status === 'succeeded') {
        this.scope.steps[step.id] = done.output;
        if (step.kind === 'respond') {
          // Replied before (speculation, or before a crash): the run's output is still the reply.
          this.response = done.output as FlowResponse;
          this.responseDelivered = true;
        }
        if (step.kind === 'branch') {
          const inner = await this.walk(chosenSteps(step, done.output));
          if (inner.type !== 'continue') return inner;
        }
        continue;
      }
      if (this.speculative && !pureKinds[step.kind]) return { type: 'stop' };
      if (this.actionUnflushed) await this.flush();
      if (step.kind === 'action' && this.response !== undefined && !this.responseDelivered) {
        // The caller should not wait for writes to other systems: commit and reply first.
        await this.flush();
      }
      const outcome = await this.executeStep(step, done);
      const walk = this.record(step, done, outcome);
      if (walk.type !== 'continue') return walk;
      if (step.kind === 'action') this.actionUnflushed = true;
      if (step.kind === 'respond')
        this.response = outcome.type === 'succeeded' ? (outcome.output as FlowResponse) : undefined;
      if (step.kind === 'branch' && outcome.type === 'succeeded') {
        const inner = await this.walk(chosenSteps(step, outcome.output));
        if (inner.type !== 'continue') return inner;
      }
    }
    return { type: 'continue' };
  }

  private async executeStep(step: Step, entry: JournalEntry | undefined): Promise<StepOutcome> {
    const attempts = entry?.attempts ?? 0;
    try {
      const verdict = await this.deps.policy.beforeStep({
        flowName: this.flow.version.flowName,
        flowVersion: this.flow.version.version,
        runId: this.claimed.run.id,
        stepId: step.id,
        kind: step.kind,
      });
      if (!verdict.allow) {
        const error = new WeftError({
          code: 'policy_denied',
          message: `policy denied step: ${verdict.reason}`,
        });
        return { type: 'failed', error, attempts };
      }
      if (step.kind === 'action' && entry !== undefined) await this.loadLedger();
      const env = this.env(entry);
      // The table is exhaustive by kind; the cast only bridges TypeScript's view of a union-keyed call.
      const executor = this.deps.executors[step.kind] as (s: Step, e: StepEnv) => Promise<StepOutcome>;
      return await executor(step, env);
    } catch (err) {
      return { type: 'failed', error: toWeftError(err), input: entry?.editedInput, attempts: attempts + 1 };
    }
  }

  private record(step: Step, previous: JournalEntry | undefined, outcome: StepOutcome): Walk {
    const now = this.deps.now();
    // Entries are spelled out in full, not spread from a shared base: spread objects came out
    // with dictionary properties (~1 KB each instead of ~100 bytes), and as they live until the
    // commit they were most of what the webhook path promoted to the old generation.
    const runId = this.claimed.run.id;
    const startedAt = previous?.startedAt ?? now;
    const input = outcome.input ?? null;
    switch (outcome.type) {
      case 'succeeded':
        this.pendingJournal.set(step.id, {
          runId,
          stepId: step.id,
          status: 'succeeded',
          attempts: (outcome.attempts ?? 0) + 1,
          input,
          output: outcome.output,
          error: null,
          resumeAt: null,
          startedAt,
          finishedAt: now,
        });
        this.scope.steps[step.id] = outcome.output;
        this.lastOutput = outcome.output;
        if (previous !== undefined) this.passedRetriedSteps.add(step.id);
        return { type: 'continue' };
      case 'suspended':
        this.pendingJournal.set(step.id, {
          runId,
          stepId: step.id,
          status: outcome.status,
          attempts: outcome.attempts,
          input,
          output: null,
          error: outcome.error ?? null,
          resumeAt: outcome.resumeAt,
          startedAt,
          finishedAt: null,
        });
        return { type: 'suspend', resumeAt: outcome.resumeAt };
      case 'failed':
        this.pendingJournal.set(step.id, {
          runId,
          stepId: step.id,
          status: 'failed',
          attempts: outcome.attempts,
          input,
          output: null,
          error: outcome.error.toJSON(),
          resumeAt: null,
          startedAt,
          finishedAt: now,
        });
        this.failure = {
          stepId: step.id,
          error: outcome.error,
          input: outcome.input ?? null,
          attempts: outcome.attempts,
        };
        return { type: 'fail', stepId: step.id };
    }
  }

  private async finish(walk: Walk): Promise<RunOutcome> {
    if (walk.type === 'stop') {
      throw new WeftError({ code: 'internal', message: 'a run stopped for speculation outside speculate()' });
    }
    const { change, exception, outcome } = this.conclude(walk);
    await this.flush(change, exception);
    return outcome;
  }

  /** The run's final state change for a finished walk. */
  private conclude(walk: Exclude<Walk, { type: 'stop' }>): {
    change: RunStateChange;
    exception: RunProgress['exception'];
    outcome: RunOutcome;
  } {
    const now = this.deps.now();
    let change: RunStateChange;
    let outcome: RunOutcome;
    let exception: RunProgress['exception'];
    if (walk.type === 'continue') {
      const output = this.response?.body ?? this.lastOutput;
      change = { status: 'succeeded', output, error: null, releaseLease: true, finishedAt: now };
      outcome = { status: 'succeeded' };
    } else if (walk.type === 'suspend') {
      change = { status: 'waiting', runAt: walk.resumeAt, releaseLease: true };
      outcome = { status: 'waiting', resumeAt: walk.resumeAt };
    } else {
      const failure = this.failure as NonNullable<typeof this.failure>;
      const error: SerializedError = failure.error.toJSON();
      change = { status: 'failed', error, releaseLease: true, finishedAt: now };
      exception = {
        id: newId('exc', now),
        stepId: failure.stepId,
        error,
        input: failure.input,
        attempts: failure.attempts,
        at: now,
      };
      outcome = { status: 'failed' };
    }
    return { change, exception, outcome };
  }

  /** Commits pending journal and ledger entries (and a run state change), then replies if due. */
  private async flush(run?: RunStateChange, exception?: RunProgress['exception']): Promise<void> {
    const progress: RunProgress = {
      runId: this.claimed.run.id,
      owner: this.owner,
      now: this.deps.now(),
      journal: [...this.pendingJournal.values()],
      actions: [...this.pendingActions.values()],
      ...(run ? { run } : {}),
      ...(exception ? { exception } : {}),
      ...(this.passedRetriedSteps.size > 0 ? { passedRetriedSteps: [...this.passedRetriedSteps] } : {}),
    };
    await this.deps.store.saveProgress(progress);
    this.actionUnflushed = false;
    for (const e of this.pendingJournal.values()) this.journal.set(e.stepId, e);
    this.pendingJournal.clear();
    this.pendingActions.clear();
    this.passedRetriedSteps.clear();
    if (this.response !== undefined && !this.responseDelivered) {
      this.responseDelivered = true;
      this.onResponse(this.response);
    }
  }

  private async loadLedger(): Promise<void> {
    if (this.ledgerCache !== undefined) return;
    const rows = await this.deps.store.listActions(this.claimed.run.id);
    this.ledgerCache = new Map(rows.map((r) => [r.idempotencyKey, r]));
  }

  private env(entry: JournalEntry | undefined): StepEnv {
    const ledger: ActionLedger = {
      get: (key) => this.pendingActions.get(key) ?? this.ledgerCache?.get(key),
      record: (row) => {
        this.pendingActions.set(row.idempotencyKey, row);
        this.ledgerCache?.set(row.idempotencyKey, row);
      },
    };
    return {
      flow: this.flow,
      run: this.claimed.run,
      scope: this.scope,
      entry: entry?.status === 'succeeded' ? undefined : entry,
      ledger,
      secrets: this.deps.secrets,
      policy: this.deps.policy,
      connections: this.deps.connections ?? noConnections,
      now: this.deps.now,
      random: this.deps.random,
      takeRateLimit: (limit) => this.deps.store.takeRateLimit({ ...limit, now: this.deps.now() }),
    };
  }
}
