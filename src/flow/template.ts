/**
 * @module flow/template
 * Text with `{{ expr }}` parts, each part a guarded JSONata expression.
 *
 * A part ends at the first `}}` after which the text inside compiles, so object constructors such
 * as `{{ {"a": {"b": 1}} }}` work without escaping. There is no escape for a literal `{{`.
 */
import { WeftError } from '../contract/errors.js';
import type { CompiledTemplate, Scope } from './compiled.js';
import { compileExpression, type ExpressionLimits, type JsonataExpression } from './expression.js';

type Part = { text: string } | { expression: JsonataExpression };

/** A compiled template; `render` evaluates its parts in order. */
export class JsonataTemplate implements CompiledTemplate {
  readonly source: string;
  private readonly parts: Part[];

  constructor(source: string, limits: ExpressionLimits) {
    this.source = source;
    this.parts = splitTemplate(source, limits);
  }

  /** The compiled `{{ }}` parts, in order. */
  expressions(): JsonataExpression[] {
    return this.parts.flatMap((p) => ('expression' in p ? [p.expression] : []));
  }

  async render(scope: Scope): Promise<string> {
    let out = '';
    for (const part of this.parts) {
      out += 'text' in part ? part.text : renderValue(await part.expression.evaluate(scope));
    }
    return out;
  }
}

/**
 * How a value appears in text: strings as they are, `undefined` (and functions) as nothing,
 * everything else as JSON.
 *
 * @example renderValue(42) // '42'; renderValue({ a: 1 }) // '{"a":1}'
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || typeof value === 'function') return '';
  return JSON.stringify(value) ?? '';
}

/**
 * Compiles a template. Throws WeftError `expression_error` whose `details.position` is the
 * 1-based character index of the problem in the whole template.
 *
 * @example
 * const t = compileTemplate('https://api.example.com/leads/{{ steps.lead.id }}', { timeoutMs: 1000 });
 * await t.render(scope); // 'https://api.example.com/leads/42'
 */
export function compileTemplate(source: string, limits: ExpressionLimits): JsonataTemplate {
  return new JsonataTemplate(source, limits);
}

function splitTemplate(source: string, limits: ExpressionLimits): Part[] {
  const parts: Part[] = [];
  let from = 0;
  for (;;) {
    const open = source.indexOf('{{', from);
    if (open < 0) {
      if (from < source.length) parts.push({ text: source.slice(from) });
      return parts;
    }
    if (open > from) parts.push({ text: source.slice(from, open) });
    const { expression, end } = compilePart(source, open, limits);
    parts.push({ expression });
    from = end;
  }
}

/** Compiles the part opened at `open`; returns it and the index just after its `}}`. */
function compilePart(
  source: string,
  open: number,
  limits: ExpressionLimits,
): { expression: JsonataExpression; end: number } {
  let firstError: WeftError | undefined;
  for (let close = source.indexOf('}}', open + 2); close >= 0; close = source.indexOf('}}', close + 1)) {
    const raw = source.slice(open + 2, close);
    const text = raw.trim();
    const start = open + 2 + (raw.length - raw.trimStart().length);
    if (text === '') {
      firstError ??= templateError(source, 'empty {{ }} in template', open + 1);
      continue;
    }
    try {
      return { expression: compileExpression(text, limits), end: close + 2 };
    } catch (err) {
      if (!(err instanceof WeftError)) throw err;
      const position = typeof err.details.position === 'number' ? err.details.position : 1;
      firstError ??= templateError(source, err.message, start + Math.max(position, 1), err);
    }
  }
  throw firstError ?? templateError(source, '"{{" is never closed with "}}"', open + 1);
}

function templateError(source: string, message: string, position: number, cause?: unknown): WeftError {
  return new WeftError({
    code: 'expression_error',
    message,
    cause,
    details: { expression: source, position },
  });
}
