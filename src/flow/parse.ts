/**
 * @module flow/parse
 * YAML → Flow with every problem pinned to a line and column of the source file.
 *
 * The YAML is parsed into a Document (not plain JS) so that a zod issue path such as
 * `steps[2].request.url` can be walked back to the node the user wrote; when the key is missing,
 * the nearest existing ancestor is reported instead.
 */
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
} from 'yaml';
import type { ZodError } from 'zod';
import { WeftError } from '../contract/errors.js';
import { Flow } from '../contract/flow.js';

/** One thing wrong with a flow file. `line` and `column` are 1-based. */
export interface FlowProblem {
  file: string;
  line: number;
  column: number;
  /** Where in the flow, such as `steps[2].request.url`; empty for the whole file. */
  path: string;
  message: string;
}

/**
 * A flow file that cannot be used. `details.problems` lists every problem found, and the message
 * has one `file:line:column: path: message` line per problem, so a CLI can print it as is.
 *
 * @example
 * try { parseFlowSource(text, 'flows/leads.yaml') } catch (e) { if (e instanceof FlowSourceError) console.error(e.message) }
 */
export class FlowSourceError extends WeftError {
  readonly problems: FlowProblem[];

  constructor(problems: FlowProblem[]) {
    super({ code: 'invalid_input', message: problems.map(formatProblem).join('\n'), details: { problems } });
    this.name = 'FlowSourceError';
    this.problems = problems;
  }
}

/** `file:line:column: path: message` (the path part is left out when it is empty). */
export function formatProblem(p: FlowProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

export type FlowPath = readonly PropertyKey[];

/** Renders a path the way a user reads it: `steps[2].request.headers["x-api-key"]`. */
export function formatPath(path: FlowPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg))
      out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/**
 * Maps flow paths to positions in the YAML source. `index` (a character index inside a string
 * value) refines the position where the scalar's text maps one to one onto the source: plain
 * and quoted one-line scalars before any escape, and `|` block literals.
 */
export class SourceLocator {
  constructor(
    private readonly file: string,
    private readonly source: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** A problem located at `path` (and optionally a character `index` inside its string value). */
  problem(path: FlowPath, message: string, index?: number): FlowProblem {
    const { line, col } = this.lines.linePos(this.offset(path, index));
    return { file: this.file, line, column: col, path: formatPath(path), message };
  }

  private offset(path: FlowPath, index: number | undefined): number {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg));
        if (pair === undefined) return offset;
        // Point at the key: it is where the user looks, and a nested map's value starts a line later.
        offset = rangeStart(pair.key) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return offset;
        offset = rangeStart(item) ?? offset;
        node = item;
      } else {
        return offset;
      }
    }
    if (index !== undefined && isScalar(node))
      return this.inScalar(node, index) ?? rangeStart(node) ?? offset;
    return offset;
  }

  private inScalar(node: Scalar, index: number): number | undefined {
    if (typeof node.value !== 'string' || node.range === undefined || node.range === null) return undefined;
    const value = node.value;
    const start = node.range[0];
    switch (node.type) {
      case 'PLAIN':
      case 'QUOTE_SINGLE':
      case 'QUOTE_DOUBLE': {
        const open = node.type === 'PLAIN' ? start : start + 1;
        // Exact only while the source text equals the value (no escape or line fold before index).
        return this.source.startsWith(value.slice(0, index), open) ? open + index : undefined;
      }
      case 'BLOCK_LITERAL': {
        // Content starts on the line after the `|` indicator and keeps its line breaks.
        const before = value.slice(0, index);
        const lineInValue = before.split('\n').length - 1;
        const colInLine = index - (before.lastIndexOf('\n') + 1);
        const indicatorLine = this.lines.linePos(start).line; // 1-based, so lineStarts[indicatorLine] is the next line
        const firstLine = this.lines.lineStarts[indicatorLine];
        const targetLine = this.lines.lineStarts[indicatorLine + lineInValue];
        if (firstLine === undefined || targetLine === undefined) return undefined;
        const indent = leadingSpaces(this.source, firstLine) - leadingSpaces(value, 0);
        return targetLine + indent + colInLine;
      }
      default:
        return undefined;
    }
  }
}

/** A flow file read as far as it goes: `flow` is set only when `problems` is empty. */
export interface FlowSourceReading {
  flow: Flow | undefined;
  problems: FlowProblem[];
  locator: SourceLocator;
}

/**
 * Reads a flow file without throwing: YAML syntax errors (duplicate keys included) or, when the
 * YAML is well formed, every schema problem. Used by {@link parseFlowSource} and by validation,
 * which adds semantic problems located with the same `locator`.
 */
export function readFlowSource(source: string, file: string): FlowSourceReading {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const locator = new SourceLocator(file, source, doc, lines);

  if (doc.errors.length > 0) {
    const problems = doc.errors.map((err): FlowProblem => {
      const { line, col } = lines.linePos(err.pos[0]);
      return { file, line, column: col, path: '', message: yamlMessage(err.code, err.message) };
    });
    return { flow: undefined, problems, locator };
  }

  let value: unknown;
  try {
    // The alias cap defends against "billion laughs" documents.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { flow: undefined, problems: [{ file, line: 1, column: 1, path: '', message }], locator };
  }

  const parsed = Flow.safeParse(value);
  if (parsed.success) return { flow: parsed.data, problems: [], locator };
  return { flow: undefined, problems: sortProblems(zodProblems(parsed.error, locator)), locator };
}

/**
 * Parses and schema-checks a flow file. Throws {@link FlowSourceError} listing every problem.
 * Semantic checks (unique ids, expressions compile, …) are in `validate.ts`.
 *
 * @example
 * const flow = parseFlowSource(readFileSync('flows/leads.yaml', 'utf8'), 'flows/leads.yaml');
 */
export function parseFlowSource(source: string, file: string): Flow {
  const reading = readFlowSource(source, file);
  if (reading.flow === undefined) throw new FlowSourceError(reading.problems);
  return reading.flow;
}

/** Orders problems as they appear in the file. */
export function sortProblems(problems: FlowProblem[]): FlowProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
}

function zodProblems(error: ZodError, locator: SourceLocator): FlowProblem[] {
  const problems: FlowProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // One problem per key, located at the key itself.
      for (const key of issue.keys)
        problems.push(locator.problem([...issue.path, key], `unknown key "${key}"`));
      continue;
    }
    problems.push(locator.problem(issue.path, humanize(issue.message)));
  }
  return problems;
}

function humanize(message: string): string {
  if (/received undefined$/.test(message)) return 'is required';
  const unknown = /^Unrecognized key: "(.*)"$/.exec(message);
  if (unknown) return `unknown key "${unknown[1]}"`;
  return message;
}

function yamlMessage(code: string, message: string): string {
  // yaml appends " at line X, column Y" in some messages; the position is already in the problem.
  const text = message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
  return code === 'DUPLICATE_KEY' ? `duplicate key: ${text}` : text;
}

function rangeStart(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as Node).range;
  return range ? range[0] : undefined;
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

function leadingSpaces(text: string, from: number): number {
  let n = 0;
  while (text[from + n] === ' ') n++;
  return n;
}
