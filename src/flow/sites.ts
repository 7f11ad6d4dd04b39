/**
 * @module flow/sites
 * Where a flow holds code: every JSONata expression and `{{ }}` template, with its path. One walk
 * shared by validation (to report problems at the right line) and compilation (to compile each
 * source once), so the two can never disagree about what a flow contains.
 */
import { type Flow, isConnectorAction, type Step, type StepKind } from '../contract/flow.js';

export type SitePath = (string | number)[];

/** One expression or template in a flow definition. */
export interface ExpressionSite {
  kind: 'expression' | 'template';
  source: string;
  path: SitePath;
}

/** A step with its path, such as `['steps', 1, 'cases', 0, 'steps', 2]`. */
export interface StepSite {
  step: Step;
  path: SitePath;
}

type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;
type Collect<K extends StepKind> = (step: StepOf<K>, at: SitePath, out: ExpressionSite[]) => void;

const expr = (out: ExpressionSite[], source: string | undefined, path: SitePath): void => {
  if (source !== undefined) out.push({ kind: 'expression', source, path });
};
const tmpl = (out: ExpressionSite[], source: string, path: SitePath): void => {
  out.push({ kind: 'template', source, path });
};

/** Per kind, the expressions a step holds itself (nested steps are walked by {@link stepSites}). */
const collectors: { [K in StepKind]: Collect<K> } = {
  map: (s, at, out) => {
    for (const [key, source] of Object.entries(s.set ?? {})) expr(out, source, [...at, 'set', key]);
    expr(out, s.expression, [...at, 'expression']);
  },
  branch: (s, at, out) => {
    s.cases.forEach((c, i) => {
      expr(out, c.when, [...at, 'cases', i, 'when']);
    });
  },
  action: (s, at, out) => {
    if (isConnectorAction(s)) {
      expr(out, s.input, [...at, 'input']);
    } else {
      const req = [...at, 'request'];
      tmpl(out, s.request.url, [...req, 'url']);
      for (const [name, value] of Object.entries(s.request.headers)) {
        // A secret reference is resolved by the executor, not evaluated.
        if (typeof value === 'string') tmpl(out, value, [...req, 'headers', name]);
      }
      for (const [name, value] of Object.entries(s.request.query)) tmpl(out, value, [...req, 'query', name]);
      expr(out, s.request.body, [...req, 'body']);
    }
    expr(out, s.forEach, [...at, 'forEach']);
    expr(out, s.itemKey, [...at, 'itemKey']);
  },
  wait: (s, at, out) => {
    expr(out, s.until, [...at, 'until']);
  },
  respond: (s, at, out) => {
    for (const [name, value] of Object.entries(s.headers)) tmpl(out, value, [...at, 'headers', name]);
    expr(out, s.body, [...at, 'body']);
  },
};

/** Every step of a flow, nested branch steps included, in document order. */
export function stepSites(flow: Flow): StepSite[] {
  const out: StepSite[] = [];
  const visit = (steps: Step[], at: SitePath): void => {
    steps.forEach((step, i) => {
      const path = [...at, i];
      out.push({ step, path });
      if (step.kind === 'branch') {
        step.cases.forEach((c, j) => {
          visit(c.steps, [...path, 'cases', j, 'steps']);
        });
        if (step.default) visit(step.default, [...path, 'default']);
      }
    });
  };
  visit(flow.steps, ['steps']);
  return out;
}

/** Every expression and template in a flow (trigger included), in document order. */
export function expressionSites(flow: Flow): ExpressionSite[] {
  const out: ExpressionSite[] = [];
  if (flow.trigger.kind === 'webhook')
    expr(out, flow.trigger.dedupe?.expression, ['trigger', 'dedupe', 'expression']);
  for (const { step, path } of stepSites(flow)) {
    (collectors[step.kind] as Collect<StepKind>)(step as StepOf<StepKind>, path, out);
  }
  return out;
}
