import { SalesforceFault } from './errors.js';
import { normaliseId, parseDateTime } from './ids.js';
import { type FieldDef, type FieldType, type ObjectDef, objectNamed } from './objects.js';

/**
 * A small, honest SOQL subset: `SELECT fields | COUNT() FROM Object [WHERE …] [ORDER BY …]
 * [LIMIT n] [OFFSET n]`. WHERE takes comparisons (`= != <> < <= > >=`, `LIKE`, `[NOT] IN (…)`)
 * joined by AND / OR (mixing them needs parentheses, as in Salesforce) and NOT, with string,
 * number, boolean, null, date and datetime literals. Everything else (relationship paths, GROUP BY,
 * subqueries, date literals such as TODAY) is refused with the error Salesforce would use for it, and
 * a message that says the sandbox lacks it — never silently ignored.
 */

export type Literal =
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
