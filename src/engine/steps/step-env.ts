import type { SecretSource } from '../../config.js';
import type { SerializedError, WeftError } from '../../contract/errors.js';
import type { Step, StepKind } from '../../contract/flow.js';
import type { CompiledFlow, Scope } from '../../flow/compiled.js';
import type { Policy } from '../../governance/policy.js';
import type { ActionRecord, JournalEntry, RunRecord } from '../../store/records.js';
import type { ConnectionAccess } from '../connection-access.js';

/** The write ledger of one run as a step sees it: look up before calling, record after. */
export interface ActionLedger {
  get(idempotencyKey: string): ActionRecord | undefined;
  record(entry: ActionRecord): void;
}

/** Everything a step executor may use. Executors never touch the Store directly. */
export interface StepEnv {
  readonly flow: CompiledFlow;
  readonly run: RunRecord;
  readonly scope: Scope;
  /** The step's unfinished journal entry from an earlier attempt (retrying or waiting), if any. */
  readonly entry: JournalEntry | undefined;
  readonly ledger: ActionLedger;
  readonly secrets: SecretSource;
  readonly policy: Policy;
  /** Named Connections, for action steps that name one. */
  readonly connections: ConnectionAccess;
  now(): number;
  random(): number;
  /**
   * Takes a token from a shared rate-limit bucket (the Store's, so every process shares it).
   * `waitMs` 0: go; otherwise no token was taken, and one is expected in `waitMs`.
   */
  takeRateLimit(limit: { key: string; perSecond: number; burst: number }): Promise<{ waitMs: number }>;
}

export type StepOutcome =
  | { type: 'succeeded'; output: unknown; input?: unknown; attempts?: number }
  | {
      type: 'suspended';
      status: 'waiting' | 'retrying';
      resumeAt: number;
      attempts: number;
      input?: unknown;
      error?: SerializedError;
    }
  | { type: 'failed'; error: WeftError; input?: unknown; attempts: number };

export type StepExecutor<S extends Step> = (step: S, env: StepEnv) => Promise<StepOutcome>;

/** One executor per kind; the mapped type makes a new kind fail to build until it has one. */
export type StepExecutors = { [K in StepKind]: StepExecutor<Extract<Step, { kind: K }>> };

/** Step outputs are stored as JSON; this drops functions and undefined the way the store would. */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as unknown;
}
