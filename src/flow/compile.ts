/**
 * @module flow/compile
 * FlowVersion → CompiledFlow: every expression and template of the definition compiled once.
 */
import { WeftError } from '../contract/errors.js';
import type { Step } from '../contract/flow.js';
import type { FlowVersionRecord } from '../store/records.js';
import type { CompiledExpression, CompiledFlow, CompiledTemplate } from './compiled.js';
import { compileExpression, type ExpressionLimits } from './expression.js';
import { formatPath } from './parse.js';
import { expressionSites } from './sites.js';
import { compileTemplate } from './template.js';

/**
 * Compiles a published FlowVersion. Identical sources share one compiled object. Throws WeftError
 * `expression_error` if an expression does not compile, which a deployed version never does:
 * deploy runs the same compilation first.
 *
 * @example
 * const flow = compileFlow(versionRecord);
 * const url = await flow.template(step.request.url).render(scope);
 */
export function compileFlow(version: FlowVersionRecord): CompiledFlow {
  const definition = version.definition;
  const limits: ExpressionLimits = { timeoutMs: definition.limits.expressionTimeoutMs };
  const expressions = new Map<string, CompiledExpression>();
  const templates = new Map<string, CompiledTemplate>();

  for (const site of expressionSites(definition)) {
    if ((site.kind === 'expression' ? expressions : templates).has(site.source)) continue;
    try {
      if (site.kind === 'expression') expressions.set(site.source, compileExpression(site.source, limits));
      else templates.set(site.source, compileTemplate(site.source, limits));
    } catch (err) {
      if (!(err instanceof WeftError)) throw err;
      throw new WeftError({
        code: err.code,
        message: `flow ${version.flowName} v${version.version}: ${formatPath(site.path)}: ${err.message}`,
        cause: err,
        details: { ...err.details, flowVersionId: version.id, path: formatPath(site.path) },
      });
    }
  }

  return {
    version,
    definition,
    responds: hasRespondStep(definition.steps),
    expression(source) {
      const found = expressions.get(source);
      if (found === undefined) throw notInFlow(version, 'expression', source);
      return found;
    },
    template(source) {
      const found = templates.get(source);
      if (found === undefined) throw notInFlow(version, 'template', source);
      return found;
    },
  };
}

/** Asking for code the flow does not hold is a bug in the caller, never a user error. */
function notInFlow(version: FlowVersionRecord, kind: string, source: string): WeftError {
  return new WeftError({
    code: 'internal',
    message: `${kind} is not part of flow ${version.flowName} v${version.version}`,
    details: { flowVersionId: version.id, [kind]: source },
  });
}

/** True when a respond step appears anywhere, including inside branches. */
export function hasRespondStep(steps: readonly Step[]): boolean {
  return steps.some((s) => {
    if (s.kind === 'respond') return true;
    if (s.kind !== 'branch') return false;
    return s.cases.some((c) => hasRespondStep(c.steps)) || hasRespondStep(s.default ?? []);
  });
}
