import type { StepKind } from '../contract/flow.js';

/**
 * Governance hook points. The engine asks before every step and before every outbound action;
 * a denial ends the step with a non-retryable `policy_denied` error that lands in the error queue.
 * Allow-all is the only policy for now; RBAC and data policies plug in here later.
 */
export interface Policy {
  beforeStep(ctx: StepPolicyContext): Promise<PolicyVerdict> | PolicyVerdict;
  beforeAction(ctx: ActionPolicyContext): Promise<PolicyVerdict> | PolicyVerdict;
}

export type PolicyVerdict = { allow: true } | { allow: false; reason: string };

export interface StepPolicyContext {
  flowName: string;
  flowVersion: number;
  runId: string;
  stepId: string;
  kind: StepKind;
}

export interface ActionPolicyContext extends StepPolicyContext {
  connector: string;
  method: string;
  /** Target URL without query string, so policies can match systems without seeing data. */
  target: string;
}

export const allowAll: Policy = {
  beforeStep: () => ({ allow: true }),
  beforeAction: () => ({ allow: true }),
};
