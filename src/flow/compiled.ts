import type { Flow } from '../contract/flow.js';
import type { FlowVersionRecord } from '../store/records.js';

/** What an expression sees. `item`/`index` exist only inside an action's `forEach`. */
export interface Scope {
  event: {
    id: string;
    source: string;
    receivedAt: string;
    body: unknown;
    headers: Record<string, string>;
    query: Record<string, string>;
  };
  steps: Record<string, unknown>;
  run: { id: string; flow: string; version: number };
  item?: unknown;
  index?: number;
}

/** A JSONata expression compiled once per FlowVersion, evaluated under the flow's time limit. */
export interface CompiledExpression {
  readonly source: string;
  /** Throws WeftError `expression_error` or `expression_timeout` (neither retryable). */
  evaluate(scope: Scope): Promise<unknown>;
}

/** A string with `{{ JSONata }}` parts; renders to text. */
export interface CompiledTemplate {
  readonly source: string;
  render(scope: Scope): Promise<string>;
}

/**
 * A FlowVersion ready to run: every expression and template in it compiled up front, so a bad
 * expression fails at deploy time and a run never pays for compilation.
 */
export interface CompiledFlow {
  readonly version: FlowVersionRecord;
  readonly definition: Flow;
  /** A `respond` step appears somewhere (branches included): a webhook caller waits for its reply. */
  readonly responds: boolean;
  /** The compiled form of an expression that appears in this flow's definition. */
  expression(source: string): CompiledExpression;
  template(source: string): CompiledTemplate;
}
