/**
 * @module flow/fast-path
 * Direct evaluation of the commonest expression shapes in flows: a literal (`"enterprise"`), a
 * field path (`steps.lead.email`), a few string built-ins over those
 * (`$lowercase($trim(event.body.email))`), and two of these compared (`steps.score.value >= 70`).
 * JSONata evaluates every AST node as an async call with entry and exit hooks; for these shapes
 * that is 2–8 µs and 7–19 KB of garbage per evaluation, several times per run (measured in
 * docs/benchmarks.md).
 *
 * A fast path decides only where JSONata's semantics are plain: objects along a path (looked up
 * by own property, as JSONata does), built-ins given the argument types they document, strings
 * and numbers compared, primitives tested for equality. Anything else (an array anywhere on the
 * path, a missing argument, a type mismatch JSONata reports as an error) answers {@link SLOW},
 * and the caller evaluates with JSONata, so results and errors are JSONata's own. A fast path
 * admits no blocks or bindings, so `$lowercase` cannot be anything but the built-in. Its work is
 * bounded by the size of the expression, so it needs neither the time limit nor the yields of
 * the guarded evaluation.
 */
import type { AstNode } from './ast.js';

/** "Not decided here": evaluate with JSONata. */
export const SLOW: unique symbol = Symbol('evaluate with JSONata');

/** Evaluates against the input, or answers {@link SLOW}. */
export type FastPath = (input: unknown) => unknown;

/**
 * The fast path of an expression's AST, or undefined when its shape has none.
 *
 * @example
 * const fast = compileFastPath(jsonata('steps.score.value >= 70').ast());
 * fast?.({ steps: { score: { value: 80 } } }); // true
 */
export function compileFastPath(ast: AstNode): FastPath | undefined {
  const operand = compileOperand(ast);
  if (operand !== undefined) return operand;
  if (ast.type !== 'binary' || !hasOnlyKeys(ast, binaryKeys)) return undefined;
  const op = ast.value;
  const lhs = compileOperand(ast.lhs);
  const rhs = compileOperand(ast.rhs);
  if (lhs === undefined || rhs === undefined) return undefined;
  if (op === '=' || op === '!=') {
    const equal = op === '=';
    return (input) => {
      const l = lhs(input);
      const r = rhs(input);
      if (l === SLOW || r === SLOW) return SLOW;
      // JSONata: equality with a missing value is false, whichever the operator.
      if (l === undefined || r === undefined) return false;
      if (!isPrimitive(l) || !isPrimitive(r)) return SLOW;
      return equal ? l === r : l !== r;
    };
  }
  if (op === '<' || op === '<=' || op === '>' || op === '>=') {
    return (input) => {
      const l = lhs(input);
      const r = rhs(input);
      if (l === SLOW || r === SLOW) return SLOW;
      const lt = typeof l;
      const rt = typeof r;
      if ((lt !== 'number' && lt !== 'string') || lt !== rt) {
        // JSONata: undefined against a string or number is undefined; other mixes are errors.
        const comparable = (t: string) => t === 'undefined' || t === 'number' || t === 'string';
        return (l === undefined || r === undefined) && comparable(lt) && comparable(rt) ? undefined : SLOW;
      }
      const a = l as number | string;
      const b = r as number | string;
      return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
    };
  }
  return undefined;
}

const literalKeys = ['type', 'value', 'position'];
const functionKeys = ['type', 'value', 'position', 'arguments', 'procedure'];

/** JSONata's number syntax for `$number` of a string (hex, octal and binary are left to JSONata). */
const decimal = /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/;

/**
 * Built-ins with their arity, computed as JSONata computes them (jsonata 2.x functions.js) for
 * the argument types they accept without coercion or error; {@link SLOW} for any other argument.
 */
const builtins: Record<string, { arity: number; apply: (args: unknown[]) => unknown }> = {
  lowercase: { arity: 1, apply: ([s]) => (typeof s === 'string' ? s.toLowerCase() : SLOW) },
  uppercase: { arity: 1, apply: ([s]) => (typeof s === 'string' ? s.toUpperCase() : SLOW) },
  string: { arity: 1, apply: ([s]) => (typeof s === 'string' ? s : SLOW) },
  trim: {
    arity: 1,
    apply: ([s]) => {
      if (typeof s !== 'string') return SLOW;
      let result = s.replace(/[ \t\n\r]+/gm, ' ');
      if (result.charAt(0) === ' ') result = result.substring(1);
      if (result.charAt(result.length - 1) === ' ') result = result.substring(0, result.length - 1);
      return result;
    },
  },
  substringBefore: {
    arity: 2,
    apply: ([s, chars]) => {
      if (typeof s !== 'string' || typeof chars !== 'string') return SLOW;
      const pos = s.indexOf(chars);
      return pos > -1 ? s.substring(0, pos) : s;
    },
  },
  substringAfter: {
    arity: 2,
    apply: ([s, chars]) => {
      if (typeof s !== 'string' || typeof chars !== 'string') return SLOW;
      const pos = s.indexOf(chars);
      return pos > -1 ? s.substring(pos + chars.length) : s;
    },
  },
  number: {
    arity: 1,
    apply: ([n]) => {
      if (typeof n === 'number') return n;
      if (typeof n === 'string' && decimal.test(n) && Number.isFinite(Number.parseFloat(n))) {
        return Number.parseFloat(n);
      }
      return SLOW;
    },
  },
};
const pathKeys = ['type', 'steps'];
const binaryKeys = ['type', 'value', 'position', 'lhs', 'rhs'];

/**
 * A literal, a plain path or a built-in over operands; anything with predicates, stages, groups,
 * focus or index has none.
 */
function compileOperand(node: unknown): FastPath | undefined {
  if (!isNode(node)) return undefined;
  if (node.type === 'function' && hasOnlyKeys(node, functionKeys)) return compileCall(node);
  if (
    (node.type === 'string' || node.type === 'number' || node.type === 'value') &&
    hasOnlyKeys(node, literalKeys)
  ) {
    const value = node.value;
    return () => value;
  }
  if (node.type !== 'path' || !hasOnlyKeys(node, pathKeys) || !Array.isArray(node.steps)) return undefined;
  const names: string[] = [];
  for (const step of node.steps) {
    if (
      !isNode(step) ||
      step.type !== 'name' ||
      typeof step.value !== 'string' ||
      !hasOnlyKeys(step, literalKeys)
    ) {
      return undefined;
    }
    names.push(step.value);
  }
  return (input) => lookupPath(input, names);
}

function compileCall(node: AstNode): FastPath | undefined {
  const procedure = node.procedure;
  if (!isNode(procedure) || procedure.type !== 'variable' || !hasOnlyKeys(procedure, literalKeys))
    return undefined;
  const builtin = typeof procedure.value === 'string' ? builtins[procedure.value] : undefined;
  if (builtin === undefined || !Object.hasOwn(builtins, procedure.value as string)) return undefined;
  if (!Array.isArray(node.arguments) || node.arguments.length !== builtin.arity) return undefined;
  const args: FastPath[] = [];
  for (const arg of node.arguments) {
    const compiled = compileOperand(arg);
    if (compiled === undefined) return undefined;
    args.push(compiled);
  }
  return (input) => {
    const values: unknown[] = [];
    for (const arg of args) {
      const value = arg(input);
      if (value === SLOW) return SLOW;
      values.push(value);
    }
    return builtin.apply(values);
  };
}

/** JSONata's path over objects: own properties only; a missing one ends the path with undefined. */
function lookupPath(input: unknown, names: readonly string[]): unknown {
  let value = input;
  for (const name of names) {
    // JSONata maps a path over arrays and flattens what it finds: left to JSONata.
    if (Array.isArray(value)) return SLOW;
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return Array.isArray(value) || typeof value === 'function' ? SLOW : value;
}

function isPrimitive(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function isNode(v: unknown): v is AstNode {
  return v !== null && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string';
}

/** Keys holding undefined do not count: the parser leaves some (`name` on calls) unset. */
function hasOnlyKeys(node: object, allowed: readonly string[]): boolean {
  for (const [key, value] of Object.entries(node)) {
    if (value !== undefined && !allowed.includes(key)) return false;
  }
  return true;
}
