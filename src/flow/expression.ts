/**
 * @module flow/expression
 * JSONata compiled once and evaluated under a wall-clock deadline and a depth limit, so a user
 * expression cannot hang a worker.
 *
 * Why the guard is built this way (jsonata 2.2.2, checked by the tests beside this file):
 * - JSONata 2.x calls `Symbol.for('jsonata.__evaluate_entry')` / `…__evaluate_exit` found in its
 *   environment before and after every AST node. But `evaluate(input, bindings)` binds only
 *   `Object.keys(bindings)`, so symbol-keyed hooks passed per evaluation are silently dropped.
 *   The hooks are therefore installed once per compiled expression with `assign`, and read their
 *   per-evaluation state (deadline, depth) from a binding named {@link GUARD_BINDING}. Its name
 *   holds a space, which JSONata syntax cannot express, so an expression can neither read nor
 *   shadow it; concurrent evaluations each get their own state.
 * - A single native call cannot be interrupted by hooks. Regex backtracking is the known case,
 *   so regex literals are checked with safe-regex2 at compile time, and every regex JSONata builds
 *   at run time (including inside `$eval`) goes through {@link CheckedRegExp}.
 * - Evaluation runs on microtasks and would starve timers and I/O for its whole budget, so the
 *   entry hook yields to the event loop every {@link YIELD_EVERY_MS}.
 * - Literals, field paths and simple comparisons skip JSONata altogether (see ./fast-path.ts):
 *   they are most of the expressions in flows, and JSONata's per-node async machinery (with the
 *   hooks above) was the largest allocator on the webhook path.
 */
import jsonata from 'jsonata';
import { WeftError } from '../contract/errors.js';
import { type AstNode, findUnsafeRegexes, isSafePattern } from './ast.js';
import type { CompiledExpression, Scope } from './compiled.js';
import { compileFastPath, type FastPath, SLOW } from './fast-path.js';

/** Limits of one evaluation. */
export interface ExpressionLimits {
  /** Wall-clock budget of one evaluation (the flow's `limits.expressionTimeoutMs`). */
  timeoutMs: number;
  /**
   * Deepest nesting of AST evaluations; stops runaway non-tail recursion long before memory
   * does. About 5 levels per user-level recursive call.
   * @default 1000
   */
  maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 1000;
/** How often a long evaluation lets timers and I/O run. */
export const YIELD_EVERY_MS = 10;
export const GUARD_BINDING = 'weft guard';

const ENTRY = Symbol.for('jsonata.__evaluate_entry');
const EXIT = Symbol.for('jsonata.__evaluate_exit');

interface Guard {
  deadline: number;
  maxDepth: number;
  depth: number;
  lastYield: number;
  tripped: 'timeout' | 'depth' | undefined;
}

/** The slice of a JSONata environment the hooks use. */
interface HookEnvironment {
  lookup(name: string): unknown;
}

/** Thrown inside the hooks to unwind JSONata; mapped to a WeftError by `evaluate`. */
class GuardTripped extends Error {}

/**
 * RegExp that refuses unsafe patterns, handed to JSONata as its `RegexEngine` so regexes built at
 * run time (through `$eval`) are checked like the literals checked at compile time.
 */
class CheckedRegExp extends RegExp {
  constructor(pattern: string | RegExp, flags?: string) {
    if (!isSafePattern(pattern)) {
      throw new WeftError({
        code: 'expression_error',
        message: `regular expression /${typeof pattern === 'string' ? pattern : pattern.source}/ may backtrack catastrophically`,
      });
    }
    super(pattern, flags);
  }
}

function onEntry(_node: unknown, _input: unknown, env: HookEnvironment): Promise<void> | undefined {
  const guard = env.lookup(GUARD_BINDING) as Guard | undefined;
  if (guard === undefined) return undefined;
  guard.depth++;
  if (guard.depth > guard.maxDepth) {
    guard.tripped = 'depth';
    throw new GuardTripped('depth');
  }
  const t = performance.now();
  if (t > guard.deadline) {
    guard.tripped = 'timeout';
    throw new GuardTripped('timeout');
  }
  if (t - guard.lastYield >= YIELD_EVERY_MS) {
    guard.lastYield = t;
    return new Promise((resolve) => setImmediate(resolve));
  }
  return undefined;
}

function onExit(_node: unknown, _input: unknown, env: HookEnvironment): void {
  const guard = env.lookup(GUARD_BINDING) as Guard | undefined;
  if (guard !== undefined) guard.depth--;
}

/** The fields of a JSONata error object (JSONata throws plain objects, not Errors). */
interface JsonataErrorShape {
  code?: string;
  position?: number;
  message?: string;
}

function jsonataError(err: unknown): JsonataErrorShape {
  return err !== null && typeof err === 'object' ? (err as JsonataErrorShape) : { message: String(err) };
}

/** A compiled JSONata expression; see the module comment for how it is guarded. */
export class JsonataExpression implements CompiledExpression {
  readonly source: string;
  private readonly compiled: jsonata.Expression;
  private readonly timeoutMs: number;
  private readonly maxDepth: number;
  private readonly fast: FastPath | undefined;

  constructor(source: string, limits: ExpressionLimits) {
    this.source = source;
    this.timeoutMs = limits.timeoutMs;
    this.maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
    try {
      // The type says RegExpConstructor (callable without `new`); JSONata only ever uses `new`.
      this.compiled = jsonata(source, { RegexEngine: CheckedRegExp as unknown as RegExpConstructor });
    } catch (err) {
      const e = jsonataError(err);
      throw new WeftError({
        code: 'expression_error',
        message: `invalid expression: ${e.message ?? 'syntax error'}`,
        cause: err,
        details: { expression: source, jsonataCode: e.code, position: e.position },
      });
    }
    const unsafe = findUnsafeRegexes(this.ast());
    if (unsafe[0] !== undefined) {
      throw new WeftError({
        code: 'expression_error',
        message: `regular expression /${unsafe[0].pattern}/ may backtrack catastrophically (nested or overlapping repetition)`,
        details: { expression: source, position: unsafe[0].position },
      });
    }
    // `assign` accepts symbols at run time; its type only admits strings.
    const assign = this.compiled.assign as (name: string | symbol, value: unknown) => void;
    assign(ENTRY, onEntry);
    assign(EXIT, onExit);
    this.fast = compileFastPath(this.ast());
  }

  /** The parsed syntax tree (for static checks). */
  ast(): AstNode {
    return this.compiled.ast() as unknown as AstNode;
  }

  async evaluate(scope: Scope): Promise<unknown> {
    if (this.fast !== undefined) {
      const value = this.fast(scope);
      // Values straight from the scope: no JSONata bookkeeping to strip.
      if (value !== SLOW) return value;
    }
    const now = performance.now();
    const guard: Guard = {
      deadline: now + this.timeoutMs,
      maxDepth: this.maxDepth,
      depth: 0,
      lastYield: now,
      tripped: undefined,
    };
    let result: unknown;
    try {
      result = await this.compiled.evaluate(scope, { [GUARD_BINDING]: guard });
    } catch (err) {
      throw this.toError(err, guard);
    }
    return plainResult(result);
  }

  private toError(err: unknown, guard: Guard): WeftError {
    const details = { expression: this.source };
    // Checked before the error's shape: `$eval` wraps what its inner expression threw.
    if (guard.tripped === 'timeout') {
      return new WeftError({
        code: 'expression_timeout',
        message: `expression ran longer than ${this.timeoutMs} ms`,
        details,
      });
    }
    if (guard.tripped === 'depth') {
      return new WeftError({
        code: 'expression_error',
        message: `expression nested deeper than ${this.maxDepth} levels (runaway recursion?)`,
        details,
      });
    }
    if (err instanceof WeftError) {
      return new WeftError({ code: err.code, message: err.message, cause: err, details });
    }
    const e = jsonataError(err);
    return new WeftError({
      code: 'expression_error',
      message: e.message ?? 'expression failed',
      cause: err,
      details: { ...details, jsonataCode: e.code, position: e.position },
    });
  }
}

/** Bookkeeping JSONata sets on the arrays it builds. */
const sequenceFlags = ['sequence', 'keepSingleton', 'outerWrapper', 'tupleStream'] as const;

/**
 * Strips JSONata's bookkeeping flags from the arrays in a result, in place, so results are plain
 * JSON-shaped values (equal to what the journal stores and replays). Only arrays that carry a flag
 * were built by JSONata; input arrays never do, so nothing the caller owns is changed.
 */
function plainResult(value: unknown): unknown {
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      const flagged = v as unknown[] & Record<string, unknown>;
      for (const flag of sequenceFlags) if (Object.hasOwn(flagged, flag)) delete flagged[flag];
      for (const item of v) visit(item);
    } else {
      for (const item of Object.values(v)) visit(item);
    }
  };
  visit(value);
  return value;
}

/**
 * Compiles a JSONata expression. Throws WeftError `expression_error` (with `details.position`, a
 * 1-based character index) on a syntax error or an unsafe regex literal.
 *
 * @example
 * const e = compileExpression('event.body.amount * 2', { timeoutMs: 1000 });
 * await e.evaluate(scope); // 84
 */
export function compileExpression(source: string, limits: ExpressionLimits): JsonataExpression {
  return new JsonataExpression(source, limits);
}
