import { SalesforceFault } from './errors.js';
import { normaliseId, parseDateTime } from './ids.js';
import { type FieldDef, type FieldType, type ObjectDef, objectNamed } from './objects.js';
import type { SfRecord, SfValue } from './records.js';

/**
 * A small, honest SOQL subset: `SELECT fields | COUNT() FROM Object [WHERE …] [ORDER BY …]
 * [LIMIT n] [OFFSET n]`. WHERE takes comparisons (`= != <> < <= > >=`, `LIKE`, `[NOT] IN (…)`)
 * joined by AND / OR (mixing them needs parentheses, as in Salesforce) and NOT, with string,
 * number, boolean, null, date and datetime literals. Everything else (relationship paths, GROUP BY,
 * subqueries, date literals such as TODAY) is refused with the error Salesforce would use for it, and
 * a message that says the sandbox lacks it — never silently ignored.
 */

type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'date'; value: string }
  | { kind: 'datetime'; ms: number };

export type Condition =
  | { kind: 'cmp'; field: FieldDef; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal }
  | { kind: 'in'; field: FieldDef; not: boolean; values: Literal[] }
  | { kind: 'like'; field: FieldDef; pattern: RegExp }
  | { kind: 'and' | 'or'; items: Condition[] }
  | { kind: 'not'; item: Condition };

export interface SoqlQuery {
  object: ObjectDef;
  /** Selected fields in the order asked, or `count` for `SELECT COUNT()`. */
  fields: FieldDef[] | 'count';
  where?: Condition;
  orderBy: { field: FieldDef; desc: boolean; nullsLast: boolean }[];
  limit?: number;
  offset?: number;
}

type Token =
  | { t: 'ident'; v: string; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: number; at: number }
  | { t: 'date'; v: string; at: number }
  | { t: 'datetime'; v: number; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'punct'; v: string; at: number };

const malformed = (message: string) => new SalesforceFault(400, 'MALFORMED_QUERY', message);
const unsupported = (what: string) =>
  new SalesforceFault(400, 'MALFORMED_QUERY', `${what} is not supported by the Weft Salesforce sandbox`);

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const rest = q.slice(i);
    const ws = /^\s+/.exec(rest);
    if (ws) {
      i += ws[0].length;
      continue;
    }
    if (rest[0] === "'") {
      let v = '';
      let j = 1;
      for (; j < rest.length && rest[j] !== "'"; j++) {
        if (rest[j] === '\\') {
          j++;
          const c = rest[j];
          v += c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : (c ?? '');
        } else v += rest[j];
      }
      if (j >= rest.length) throw malformed(`unterminated string literal at column ${i + 1}`);
      out.push({ t: 'string', v, at: i });
      i += j + 1;
      continue;
    }
    const dt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})/.exec(rest);
    if (dt) {
      const ms = parseDateTime(dt[0]);
      if (ms === undefined) throw malformed(`invalid datetime literal ${dt[0]}`);
      out.push({ t: 'datetime', v: ms, at: i });
      i += dt[0].length;
      continue;
    }
    const date = /^\d{4}-\d{2}-\d{2}(?![\d:T])/.exec(rest);
    if (date) {
      out.push({ t: 'date', v: date[0], at: i });
      i += date[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?(?![\w])/.exec(rest);
    if (num) {
      out.push({ t: 'number', v: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    const op = /^(<=|>=|!=|<>|=|<|>)/.exec(rest);
    if (op) {
      out.push({ t: 'op', v: op[0] === '<>' ? '!=' : op[0], at: i });
      i += op[0].length;
      continue;
    }
    if (rest[0] === ',' || rest[0] === '(' || rest[0] === ')') {
      out.push({ t: 'punct', v: rest[0], at: i });
      i += 1;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_.]*(:\d+)?/.exec(rest);
    if (ident) {
      if (ident[1] !== undefined) throw unsupported(`date literal ${ident[0]}`);
      out.push({ t: 'ident', v: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    throw malformed(`unexpected token: '${rest.slice(0, 10)}' at column ${i + 1}`);
  }
  return out;
}

const keywordsAfterFrom = new Set(['WHERE', 'ORDER', 'LIMIT', 'OFFSET']);

class Parser {
  #pos = 0;
  #object: ObjectDef | undefined;

  constructor(private readonly tokens: Token[]) {}

  parse(): SoqlQuery {
    this.#keyword('SELECT');
    const names: string[] = [];
    let count = false;
    if (this.#isKeyword('COUNT') && this.#peek(1)?.v === '(') {
      this.#pos += 1;
      this.#punct('(');
      this.#punct(')');
      count = true;
    } else {
      do {
        const tok = this.#next();
        if (tok?.t !== 'ident') throw malformed(`unexpected token: '${String(tok?.v ?? 'end of query')}'`);
        if (this.#peek()?.v === '(') throw unsupported(`the function ${tok.v}()`);
        names.push(tok.v);
      } while (this.#takePunct(','));
      if (this.#peek()?.v === '(') throw unsupported('a subquery');
    }
    this.#keyword('FROM');
    const from = this.#next();
    if (from?.t !== 'ident') throw malformed('expected an object name after FROM');
    const object = objectNamed(from.v);
    if (object === undefined) {
      throw new SalesforceFault(400, 'INVALID_TYPE', `sObject type '${from.v}' is not supported.`);
    }
    this.#object = object;
    const seen = new Set<string>();
    const fields = count
      ? ('count' as const)
      : names
          .map((n) => this.#field(n))
          .filter((f) => {
            if (seen.has(f.name)) return false;
            seen.add(f.name);
            return true;
          });
    const query: SoqlQuery = { object, fields, orderBy: [] };
    if (this.#isKeyword('WHERE')) {
      this.#pos += 1;
      query.where = this.#expr();
    }
    if (this.#isKeyword('ORDER')) {
      this.#pos += 1;
      this.#keyword('BY');
      do {
        const tok = this.#next();
        if (tok?.t !== 'ident') throw malformed('expected a field after ORDER BY');
        const field = this.#field(tok.v);
        let desc = false;
        if (this.#isKeyword('ASC')) this.#pos += 1;
        else if (this.#isKeyword('DESC')) {
          this.#pos += 1;
          desc = true;
        }
        let nullsLast = false;
        if (this.#isKeyword('NULLS')) {
          this.#pos += 1;
          if (this.#isKeyword('LAST')) nullsLast = true;
          else if (!this.#isKeyword('FIRST')) throw malformed('expected FIRST or LAST after NULLS');
          this.#pos += 1;
        }
        query.orderBy.push({ field, desc, nullsLast });
      } while (this.#takePunct(','));
    }
    if (this.#isKeyword('LIMIT')) {
      this.#pos += 1;
      query.limit = this.#integer('LIMIT');
    }
    if (this.#isKeyword('OFFSET')) {
      this.#pos += 1;
      query.offset = this.#integer('OFFSET');
      if (query.offset > 2000) {
        throw new SalesforceFault(400, 'NUMBER_OUTSIDE_VALID_RANGE', 'Maximum SOQL offset allowed is 2000');
      }
    }
    const extra = this.#peek();
    if (extra !== undefined) {
      if (extra.t === 'ident' && /^(GROUP|HAVING|FOR|WITH|USING|TYPEOF)$/i.test(extra.v)) {
        throw unsupported(`the ${extra.v.toUpperCase()} clause`);
      }
      throw malformed(`unexpected token: '${String(extra.v)}' at column ${extra.at + 1}`);
    }
    return query;
  }

  #field(name: string): FieldDef {
    const object = this.#object as ObjectDef;
    if (name.includes('.')) {
      throw new SalesforceFault(
        400,
        'INVALID_FIELD',
        `Didn't understand relationship '${name.split('.')[0]}' in field path (relationship queries are not supported by the Weft Salesforce sandbox)`,
      );
    }
    const field = object.byLower.get(name.toLowerCase());
    if (field === undefined) {
      throw new SalesforceFault(
        400,
        'INVALID_FIELD',
        `No such column '${name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
      );
    }
    return field;
  }

  #expr(): Condition {
    const first = this.#factor();
    let joiner: 'AND' | 'OR' | undefined;
    const items = [first];
    for (;;) {
      const word = this.#isKeyword('AND') ? 'AND' : this.#isKeyword('OR') ? 'OR' : undefined;
      if (word === undefined) break;
      if (joiner !== undefined && joiner !== word) {
        throw malformed(`unexpected token: '${word}' (use parentheses to mix AND and OR)`);
      }
      joiner = word;
      this.#pos += 1;
      items.push(this.#factor());
    }
    if (joiner === undefined) return first;
    return { kind: joiner === 'AND' ? 'and' : 'or', items };
  }

  #factor(): Condition {
    if (this.#isKeyword('NOT')) {
      this.#pos += 1;
      return { kind: 'not', item: this.#factor() };
    }
    if (this.#takePunct('(')) {
      const inner = this.#expr();
      this.#punct(')');
      return inner;
    }
    const tok = this.#next();
    if (tok?.t !== 'ident' || keywordsAfterFrom.has(tok.v.toUpperCase())) {
      throw malformed(`unexpected token: '${String(tok?.v ?? 'end of query')}'`);
    }
    const field = this.#field(tok.v);
    if (this.#isKeyword('LIKE')) {
      this.#pos += 1;
      const value = this.#next();
      if (value?.t !== 'string') throw malformed('LIKE needs a string pattern');
      return { kind: 'like', field, pattern: likePattern(value.v) };
    }
    let not = false;
    if (this.#isKeyword('NOT')) {
      this.#pos += 1;
      not = true;
      if (!this.#isKeyword('IN')) throw malformed('expected IN after NOT');
    }
    if (this.#isKeyword('IN')) {
      this.#pos += 1;
      this.#punct('(');
      if (this.#isKeyword('SELECT')) throw unsupported('a semi-join subquery');
      const values: Literal[] = [];
      do values.push(this.#literal(field));
      while (this.#takePunct(','));
      this.#punct(')');
      return { kind: 'in', field, not, values };
    }
    const op = this.#next();
    if (op?.t !== 'op') throw malformed(`unexpected token: '${String(op?.v ?? 'end of query')}'`);
    const value = this.#literal(field);
    if (value.kind === 'null' && op.v !== '=' && op.v !== '!=')
      throw malformed(`null is only compared with = or !=`);
    return { kind: 'cmp', field, op: op.v as '=' | '!=' | '<' | '<=' | '>' | '>=', value };
  }

  /** A literal, checked against the field's type as Salesforce does before running anything. */
  #literal(field: FieldDef): Literal {
    const tok = this.#next();
    if (tok === undefined) throw malformed('unexpected end of query');
    let lit: Literal;
    if (tok.t === 'string') lit = { kind: 'string', value: tok.v };
    else if (tok.t === 'number') lit = { kind: 'number', value: tok.v };
    else if (tok.t === 'date') lit = { kind: 'date', value: tok.v };
    else if (tok.t === 'datetime') lit = { kind: 'datetime', ms: tok.v };
    else if (tok.t === 'ident' && /^(true|false)$/i.test(tok.v))
      lit = { kind: 'boolean', value: tok.v.toLowerCase() === 'true' };
    else if (tok.t === 'ident' && /^null$/i.test(tok.v)) lit = { kind: 'null' };
    else if (tok.t === 'ident' && /^[A-Z_]+$/.test(tok.v)) throw unsupported(`date literal ${tok.v}`);
    else throw malformed(`unexpected token: '${String(tok.v)}'`);
    if (lit.kind === 'null') return lit;
    const expected = literalKind(field.type);
    if (lit.kind !== expected) {
      const quoted =
        expected === 'string' ? 'should be enclosed in quotes' : 'should not be enclosed in quotes';
      throw new SalesforceFault(
        400,
        'INVALID_FIELD',
        `value of filter criterion for field '${field.name}' must be of type ${field.type} and ${quoted}`,
      );
    }
    if (lit.kind === 'string' && (field.type === 'id' || field.type === 'reference')) {
      return { kind: 'string', value: normaliseId(lit.value) ?? lit.value };
    }
    return lit;
  }

  #integer(clause: string): number {
    const tok = this.#next();
    if (tok?.t !== 'number' || !Number.isInteger(tok.v) || tok.v < 0) {
      throw malformed(`${clause} needs a non-negative integer`);
    }
    return tok.v;
  }

  #peek(ahead = 0): Token | undefined {
    return this.tokens[this.#pos + ahead];
  }
  #next(): Token | undefined {
    const tok = this.tokens[this.#pos];
    this.#pos += 1;
    return tok;
  }
  #isKeyword(word: string): boolean {
    const tok = this.#peek();
    return tok?.t === 'ident' && tok.v.toUpperCase() === word;
  }
  #keyword(word: string): void {
    if (!this.#isKeyword(word)) {
      throw malformed(`expected ${word}, found '${String(this.#peek()?.v ?? 'end of query')}'`);
    }
    this.#pos += 1;
  }
  #takePunct(p: string): boolean {
    const tok = this.#peek();
    if (tok?.t === 'punct' && tok.v === p) {
      this.#pos += 1;
      return true;
    }
    return false;
  }
  #punct(p: string): void {
    if (!this.#takePunct(p))
      throw malformed(`expected '${p}', found '${String(this.#peek()?.v ?? 'end of query')}'`);
  }
}

function literalKind(type: FieldType): Literal['kind'] {
  if (type === 'boolean') return 'boolean';
  if (type === 'int' || type === 'double' || type === 'currency' || type === 'percent') return 'number';
  if (type === 'date') return 'date';
  if (type === 'datetime') return 'datetime';
  return 'string';
}

function likePattern(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) {
      i += 1;
      re += (pattern[i] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'is');
}

/** Parses a SOQL string; throws the SalesforceFault Salesforce would answer. */
export function parseSoql(q: string): SoqlQuery {
  return new Parser(tokenize(q)).parse();
}

/** Runs a parsed query over the object's records: filter, order, offset, limit. */
export function runSoql(query: SoqlQuery, records: SfRecord[]): SfRecord[] {
  let rows = query.where ? records.filter((r) => matches(query.where as Condition, r)) : [...records];
  if (query.orderBy.length > 0) {
    rows.sort((a, b) => {
      for (const o of query.orderBy) {
        const av = a[o.field.name] ?? null;
        const bv = b[o.field.name] ?? null;
        if (av === null || bv === null) {
          // NULLS FIRST/LAST holds in either direction.
          if (av === bv) continue;
          return (av === null) !== o.nullsLast ? -1 : 1;
        }
        const c = compareForOrder(o.field, av, bv);
        if (c !== 0) return o.desc ? -c : c;
      }
      return 0;
    });
  }
  if (query.offset !== undefined) rows = rows.slice(query.offset);
  if (query.limit !== undefined) rows = rows.slice(0, query.limit);
  return rows;
}

/**
 * The earliest `SystemModstamp` (epoch ms) a record matching `where` can have, or undefined when
 * the condition does not bound it from below.
 */
function modstampFloor(cond: Condition | undefined): number | undefined {
  if (cond === undefined) return undefined;
  switch (cond.kind) {
    case 'cmp':
      return cond.field.name === 'SystemModstamp' &&
        cond.value.kind === 'datetime' &&
        (cond.op === '>' || cond.op === '>=' || cond.op === '=')
        ? cond.value.ms
        : undefined;
    case 'and': {
      const floors = cond.items.map(modstampFloor).filter((f) => f !== undefined);
      return floors.length === 0 ? undefined : Math.max(...floors);
    }
    case 'or': {
      const floors = cond.items.map(modstampFloor);
      return floors.some((f) => f === undefined) ? undefined : Math.min(...(floors as number[]));
    }
    default:
      return undefined;
  }
}

/**
 * Where a query can be answered from records read in `SystemModstamp` order, starting at a floor,
 * instead of from every record of the object: it orders by `SystemModstamp ASC` first, has a
 * LIMIT, and its WHERE bounds `SystemModstamp` from below. That is the shape of every delta poll
 * (`… WHERE SystemModstamp > t … ORDER BY SystemModstamp, Id LIMIT n`), which otherwise reads,
 * filters and sorts the whole object on each page: quadratic over a bulk sync.
 */
export function modstampScan(query: SoqlQuery): { fromMs: number } | undefined {
  const first = query.orderBy[0];
  if (first === undefined || first.field.name !== 'SystemModstamp' || first.desc) return undefined;
  if (query.limit === undefined || query.fields === 'count') return undefined;
  const fromMs = modstampFloor(query.where);
  return fromMs === undefined ? undefined : { fromMs };
}

/**
 * {@link runSoql} over records given in ascending `SystemModstamp` order (see {@link modstampScan}).
 * Reading stops once LIMIT + OFFSET records match and the timestamp has moved past the last of
 * them: the rest sort after every one of those. Records at that last timestamp are all read,
 * because the later ORDER BY keys (Id) decide among them. The same answer as `runSoql`.
 */
export function runSoqlByModstamp(query: SoqlQuery, ordered: Iterable<SfRecord>): SfRecord[] {
  const need = (query.limit ?? Number.POSITIVE_INFINITY) + (query.offset ?? 0);
  const matched: SfRecord[] = [];
  let lastMs: number | undefined;
  for (const r of ordered) {
    const ms = parseDateTime(String(r.SystemModstamp)) ?? 0;
    if (matched.length >= need && lastMs !== undefined && ms > lastMs) break;
    if (query.where !== undefined && !matches(query.where, r)) continue;
    matched.push(r);
    lastMs = ms;
  }
  const { where: _filtered, ...rest } = query;
  return runSoql(rest, matched);
}

function matches(cond: Condition, r: SfRecord): boolean {
  switch (cond.kind) {
    case 'and':
      return cond.items.every((c) => matches(c, r));
    case 'or':
      return cond.items.some((c) => matches(c, r));
    case 'not':
      return !matches(cond.item, r);
    case 'like': {
      const v = r[cond.field.name];
      return typeof v === 'string' && cond.pattern.test(v);
    }
    case 'in': {
      const found = cond.values.some((lit) => compare(cond.field, r[cond.field.name] ?? null, lit) === 0);
      return cond.not ? !found : found;
    }
    case 'cmp': {
      const v = r[cond.field.name] ?? null;
      if (cond.value.kind === 'null') return cond.op === '=' ? v === null : v !== null;
      if (v === null) return cond.op === '!=';
      const c = compare(cond.field, v, cond.value);
      if (c === undefined) return false;
      switch (cond.op) {
        case '=':
          return c === 0;
        case '!=':
          return c !== 0;
        case '<':
          return c < 0;
        case '<=':
          return c <= 0;
        case '>':
          return c > 0;
        case '>=':
          return c >= 0;
      }
    }
  }
}

/** Record value vs literal; text compares case-insensitively (SOQL does), ids exactly. */
function compare(field: FieldDef, v: SfValue, lit: Literal): number | undefined {
  if (v === null || lit.kind === 'null') return v === null && lit.kind === 'null' ? 0 : undefined;
  switch (lit.kind) {
    case 'datetime': {
      const ms = typeof v === 'string' ? parseDateTime(v) : undefined;
      return ms === undefined ? undefined : Math.sign(ms - lit.ms);
    }
    case 'number':
      return typeof v === 'number' ? Math.sign(v - lit.value) : undefined;
    case 'boolean':
      return v === lit.value ? 0 : 1;
    case 'date':
      return typeof v === 'string' ? cmpStr(v, lit.value) : undefined;
    case 'string':
      if (typeof v !== 'string') return undefined;
      return field.type === 'id' || field.type === 'reference'
        ? cmpStr(v, lit.value)
        : cmpStr(v.toLowerCase(), lit.value.toLowerCase());
  }
}

function compareForOrder(
  field: FieldDef,
  a: string | number | boolean,
  b: string | number | boolean,
): number {
  if (field.type === 'datetime')
    return Math.sign((parseDateTime(String(a)) ?? 0) - (parseDateTime(String(b)) ?? 0));
  if (typeof a === 'number' && typeof b === 'number') return Math.sign(a - b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const text = field.type !== 'id' && field.type !== 'reference';
  return text ? cmpStr(String(a).toLowerCase(), String(b).toLowerCase()) : cmpStr(String(a), String(b));
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
