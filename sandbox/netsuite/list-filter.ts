import { NsFailure } from './errors.js';

/**
 * The record-collection filter `?q=` (e.g. `email START_WITH "ada" AND dateCreated ON_OR_AFTER
 * "1/1/2025"`): conditions `field OPERATOR value` joined by AND / OR (AND binds tighter; NetSuite
 * has no parentheses here). Strings match case-insensitively. Dates may be `M/D/YYYY`,
 * `M/D/YYYY h:mm am`, or ISO 8601.
 */
export type RecordFilter = (data: Record<string, unknown>) => boolean;

const operators = new Set([
  'IS',
  'IS_NOT',
  'EQUAL',
  'EQUAL_NOT',
  'START_WITH',
  'START_WITH_NOT',
  'CONTAIN',
  'CONTAIN_NOT',
  'EMPTY',
  'EMPTY_NOT',
  'ANY_OF',
  'ANY_OF_NOT',
  'GREATER',
  'GREATER_OR_EQUAL',
  'LESS',
  'LESS_OR_EQUAL',
  'AFTER',
  'ON_OR_AFTER',
  'BEFORE',
  'ON_OR_BEFORE',
  'ON',
]);

const valueless = new Set(['EMPTY', 'EMPTY_NOT']);

function bad(detail: string): NsFailure {
  return new NsFailure(400, 'INVALID_PARAMETER', `Invalid search query: ${detail}`, { errorQueryParam: 'q' });
}

function tokenize(q: string): string[] {
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^\s"[]+)/gy;
  let m = re.exec(q);
  while (m !== null) {
    tokens.push(m[1] ?? '');
    if (re.lastIndex >= q.length) break;
    m = re.exec(q);
  }
  if (tokens.join('').replace(/\s/g, '').length !== q.replace(/\s/g, '').length)
    throw bad('unbalanced quotes');
  return tokens;
}

function unquote(token: string): string {
  return token.startsWith('"') ? token.slice(1, -1).replace(/\\(.)/g, '$1') : token;
}

/** `1/31/2025`, `1/31/2025 3:04 pm`, or ISO → epoch ms (UTC, the sandbox's time zone). */
export function parseFilterDate(text: string): number | undefined {
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm)?)?$/i.exec(
    text.trim(),
  );
  if (us) {
    const [, mo, d, y, h = '0', mi = '0', s = '0', ampm] = us;
    let hour = Number(h);
    if (ampm !== undefined) hour = (hour % 12) + (ampm.toLowerCase() === 'pm' ? 12 : 0);
    return Date.UTC(Number(y), Number(mo) - 1, Number(d), hour, Number(mi), Number(s));
  }
  const iso = Date.parse(text);
  return Number.isNaN(iso) ? undefined : iso;
}

function fieldValue(data: Record<string, unknown>, field: string): unknown {
  const v = data[field];
  if (typeof v === 'object' && v !== null && 'id' in v) return (v as { id: unknown }).id;
  return v;
}

function compare(op: string, actual: unknown, raw: string[]): boolean {
  if (op === 'EMPTY') return actual === undefined || actual === null || actual === '';
  if (op === 'EMPTY_NOT') return !(actual === undefined || actual === null || actual === '');
  if (op === 'ANY_OF' || op === 'ANY_OF_NOT') {
    const hit = raw.some((v) => String(actual ?? '').toLowerCase() === v.toLowerCase());
    return op === 'ANY_OF' ? hit : !hit;
  }
  const value = raw[0] ?? '';
  if (['AFTER', 'ON_OR_AFTER', 'BEFORE', 'ON_OR_BEFORE', 'ON'].includes(op)) {
    const a = typeof actual === 'string' ? parseFilterDate(actual) : undefined;
    const b = parseFilterDate(value);
    if (b === undefined) throw bad(`"${value}" is not a date`);
    if (a === undefined) return false;
    const dayOf = (ms: number) => Math.floor(ms / 86_400_000);
    if (op === 'AFTER') return a > b;
    if (op === 'ON_OR_AFTER') return a >= b;
    if (op === 'BEFORE') return a < b;
    if (op === 'ON_OR_BEFORE') return a <= b;
    return dayOf(a) === dayOf(b);
  }
  if (['GREATER', 'GREATER_OR_EQUAL', 'LESS', 'LESS_OR_EQUAL', 'EQUAL', 'EQUAL_NOT'].includes(op)) {
    const a = Number(actual);
    const b = Number(value);
    if (Number.isNaN(b)) throw bad(`"${value}" is not a number`);
    if (op === 'EQUAL') return a === b;
    if (op === 'EQUAL_NOT') return a !== b;
    if (op === 'GREATER') return a > b;
    if (op === 'GREATER_OR_EQUAL') return a >= b;
    if (op === 'LESS') return a < b;
    return a <= b;
  }
  const a = String(actual ?? '').toLowerCase();
  const b = value.toLowerCase();
  if (op === 'IS') return a === b;
  if (op === 'IS_NOT') return a !== b;
  if (op === 'START_WITH') return a.startsWith(b);
  if (op === 'START_WITH_NOT') return !a.startsWith(b);
  if (op === 'CONTAIN') return a.includes(b);
  return !a.includes(b);
}

/** Compiles `q` against the fields a record type has; unknown fields and operators are refused. */
export function compileRecordFilter(q: string, knownFields: ReadonlySet<string>): RecordFilter {
  const tokens = tokenize(q);
  const groups: ((d: Record<string, unknown>) => boolean)[][] = [[]];
  let i = 0;
  while (i < tokens.length) {
    const field = tokens[i++] ?? '';
    const op = (tokens[i++] ?? '').toUpperCase();
    if (!knownFields.has(field)) throw bad(`field "${field}" is not available for filtering`);
    if (!operators.has(op)) throw bad(`unknown operator "${op}"`);
    let values: string[] = [];
    if (!valueless.has(op)) {
      const token = tokens[i++];
      if (token === undefined) throw bad(`missing value after ${field} ${op}`);
      values = token.startsWith('[')
        ? token
            .slice(1, -1)
            .split(',')
            .map((v) => unquote(v.trim()))
        : [unquote(token)];
      // ANY_OF also takes a comma-separated list without brackets.
      while (op.startsWith('ANY_OF') && values.at(-1)?.endsWith(',') && tokens[i] !== undefined) {
        values = [...values.map((v) => v.replace(/,$/, '')), unquote(tokens[i++] ?? '')];
      }
    }
    groups.at(-1)?.push((d) => compare(op, fieldValue(d, field), values));
    const joiner = tokens[i]?.toUpperCase();
    if (joiner === undefined) break;
    if (joiner !== 'AND' && joiner !== 'OR') throw bad(`expected AND or OR, found "${tokens[i]}"`);
    if (joiner === 'OR') groups.push([]);
    i++;
    if (i >= tokens.length) throw bad(`condition missing after ${joiner}`);
  }
  return (d) => groups.some((g) => g.every((cond) => cond(d)));
}
