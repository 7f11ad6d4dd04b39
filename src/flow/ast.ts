/**
 * @module flow/ast
 * Static checks over JSONata syntax trees: regex literals that could backtrack catastrophically,
 * and the `steps.<id>` paths an expression reads.
 */
import safeRegex from 'safe-regex2';

/** The part of a JSONata AST node these scans read; other fields are walked generically. */
export interface AstNode {
  type: string;
  value?: unknown;
  position?: number;
  steps?: AstNode[];
  [key: string]: unknown;
}

/** A regex literal found unsafe, with its position (1-based character index) in the expression. */
export interface UnsafeRegex {
  pattern: string;
  position: number;
}

/** A `steps.<id>` read, with its position in the expression. */
export interface StepReference {
  stepId: string;
  position: number;
}

/**
 * Whether a pattern is free of the shapes that backtrack exponentially (nested quantifiers, star
 * height > 1, too many repetitions). safe-regex2 is a heuristic: it catches the classic ReDoS
 * shapes, not every super-linear pattern.
 */
export function isSafePattern(pattern: string | RegExp): boolean {
  return safeRegex(pattern);
}

/** Regex literals (`/…/`) in an expression that {@link isSafePattern} rejects. */
export function findUnsafeRegexes(ast: AstNode): UnsafeRegex[] {
  const found: UnsafeRegex[] = [];
  walk(ast, (node) => {
    if (node.type === 'regex' && node.value instanceof RegExp && !isSafePattern(node.value)) {
      found.push({ pattern: node.value.source, position: node.position ?? 0 });
    }
  });
  return found;
}

/** Keys under which JSONata evaluates against something other than the enclosing context. */
const innerContextKeys = new Set(['predicate', 'stages', 'group', 'terms', 'pattern', 'update', 'delete']);

/**
 * The step ids an expression reads as `steps.<id>`, `$.steps.<id>` or `$$.steps.<id>` from the
 * scope root. Best effort: a `steps` field read inside a predicate or a later path step refers to
 * the current item, not the scope, so it is not counted.
 */
export function findStepReferences(ast: AstNode): StepReference[] {
  const refs: StepReference[] = [];
  const seen = new WeakSet<object>();
  const visit = (node: AstNode, atRoot: boolean): void => {
    if (node.type === 'path' && Array.isArray(node.steps)) {
      if (atRoot) {
        const ref = rootStepReference(node.steps);
        if (ref) refs.push(ref);
      }
      node.steps.forEach((step, i) => {
        visit(step, i === 0 ? atRoot : false);
      });
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      if (key === 'steps' || key === 'value') continue;
      const childAtRoot = atRoot && !innerContextKeys.has(key);
      forEachNode(child, (n) => visit(n, childAtRoot), seen);
    }
  };
  visit(ast, true);
  return refs;
}

function rootStepReference(steps: AstNode[]): StepReference | undefined {
  let i = 0;
  const first = steps[0];
  // `$` (context, here the scope) and `$$` (root) are both the scope at the top of an expression.
  if (first?.type === 'variable' && (first.value === '' || first.value === '$')) i = 1;
  const head = steps[i];
  const id = steps[i + 1];
  if (
    head?.type !== 'name' ||
    head.value !== 'steps' ||
    id?.type !== 'name' ||
    typeof id.value !== 'string'
  ) {
    return undefined;
  }
  return { stepId: id.value, position: id.position ?? 0 };
}

function walk(node: AstNode, visit: (node: AstNode) => void): void {
  const seen = new WeakSet<object>();
  const go = (n: AstNode): void => {
    visit(n);
    for (const [key, child] of Object.entries(n)) {
      if (key !== 'value') forEachNode(child, go, seen);
    }
  };
  go(node);
}

/**
 * Calls `fn` for each AST node directly under a value: a node, or arrays and plain wrappers
 * (group `{ lhs }`, sort term `{ expression }`) that hold nodes. The processed AST shares some
 * objects (parent slots), so `seen` keeps a walk from visiting one twice.
 */
function forEachNode(value: unknown, fn: (node: AstNode) => void, seen = new WeakSet<object>()): void {
  if (value === null || typeof value !== 'object' || value instanceof RegExp || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const v of value) forEachNode(v, fn, seen);
  } else if (isAstNode(value)) {
    fn(value);
  } else {
    for (const v of Object.values(value)) forEachNode(v, fn, seen);
  }
}

function isAstNode(value: unknown): value is AstNode {
  return (
    value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string'
  );
}
