/**
 * A parser for the subset of SuiteQL the sandbox answers honestly: one table (with an optional
 * alias), a select list of columns, `*`, `TO_CHAR`, `UPPER`, `LOWER` (with `AS` aliases), a WHERE of
 * comparisons, `IS [NOT] NULL`, `[NOT] IN`, `[NOT] LIKE`, `BETWEEN`, AND / OR / NOT and parentheses,
 * with `TO_TIMESTAMP` / `TO_DATE` literals, and ORDER BY. Anything else (joins, grouping,
 * aggregates, subqueries) is refused with a message naming it, never answered wrongly.
 */

export class SuiteQlError extends Error {}

export type Operand =
  | { kind: 'column'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'null' }
  | { kind: 'call'; fn: 'TO_TIMESTAMP' | 'TO_DATE' | 'TO_CHAR' | 'UPPER' | 'LOWER'; args: Operand[] };

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; inner: Condition }
  | { kind: 'compare'; op: '=' | '<>' | '<' | '<=' | '>' | '>='; left: Operand; right: Operand }
  | { kind: 'isNull'; operand: Operand; negated: boolean }
  | { kind: 'in'; operand: Operand; values: Operand[]; negated: boolean }
  | { kind: 'like'; operand: Operand; pattern: Operand; negated: boolean }
  | { kind: 'between'; operand: Operand; low: Operand; high: Operand };

export interface SelectItem {
  expr: Operand;
  alias?: string;
}

export interface Query {
  select: SelectItem[] | '*';
  table: string;
  alias?: string;
  where?: Condition;
  orderBy: { expr: Operand; desc: boolean }[];
}

interface Token {
  type: 'word' | 'string' | 'number' | 'symbol';
  text: string;
}

const unsupported = new Set([
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'OUTER',
  'CROSS',
  'GROUP',
  'HAVING',
  'UNION',
  'DISTINCT',
  'EXISTS',
  'CASE',
  'COUNT',
  'SUM',
  'MIN',
  'MAX',
  'AVG',
  'FETCH',
  'ROWNUM',
  'BUILTIN',
  'INSERT',
  'UPDATE',
  'DELETE',
]);
const functions = new Set(['TO_TIMESTAMP', 'TO_DATE', 'TO_CHAR', 'UPPER', 'LOWER']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re =
    /\s*(?:('(?:[^']|'')*')|(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_$#]*(?:\.[A-Za-z_][A-Za-z0-9_$#]*)?)|(<>|!=|<=|>=|[=<>(),*]))/y;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (m === null) {
      if (text.slice(pos).trim() === '') break;
      throw new SuiteQlError(`unexpected character near "${text.slice(pos, pos + 12).trim()}"`);
    }
    pos = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ type: 'string', text: m[1].slice(1, -1).replace(/''/g, "'") });
    else if (m[2] !== undefined) tokens.push({ type: 'number', text: m[2] });
    else if (m[3] !== undefined) tokens.push({ type: 'word', text: m[3] });
    else if (m[4] !== undefined) tokens.push({ type: 'symbol', text: m[4] === '!=' ? '<>' : m[4] });
  }
  return tokens;
}

class Parser {
  #i = 0;
  constructor(private readonly tokens: Token[]) {}

  #peek(): Token | undefined {
    return this.tokens[this.#i];
  }

  #isWord(word: string, offset = 0): boolean {
    const t = this.tokens[this.#i + offset];
    return t?.type === 'word' && t.text.toUpperCase() === word;
  }

  #isSymbol(symbol: string): boolean {
    const t = this.#peek();
    return t?.type === 'symbol' && t.text === symbol;
  }

  #expectWord(word: string): void {
    if (!this.#isWord(word)) throw new SuiteQlError(`expected ${word} near "${this.#peek()?.text ?? 'end'}"`);
    this.#i++;
  }

  #expectSymbol(symbol: string): void {
    if (!this.#isSymbol(symbol))
      throw new SuiteQlError(`expected "${symbol}" near "${this.#peek()?.text ?? 'end'}"`);
    this.#i++;
  }

  parse(): Query {
    for (const t of this.tokens) {
      if (t.type === 'word' && unsupported.has(t.text.toUpperCase()))
        throw new SuiteQlError(`${t.text.toUpperCase()} is not supported by the sandbox's SuiteQL subset`);
    }
    this.#expectWord('SELECT');
    let select: Query['select'];
    if (this.#isSymbol('*')) {
      this.#i++;
      select = '*';
    } else {
      select = [this.#selectItem()];
      while (this.#isSymbol(',')) {
        this.#i++;
        select.push(this.#selectItem());
      }
    }
    this.#expectWord('FROM');
    const table = this.#peek();
    if (table?.type !== 'word') throw new SuiteQlError('expected a table name after FROM');
    if (this.#isSymbol('(')) throw new SuiteQlError('subqueries are not supported by the sandbox');
    this.#i++;
    const query: Query = { select, table: table.text.toLowerCase(), orderBy: [] };
    if (this.#peek()?.type === 'word' && !this.#isWord('WHERE') && !this.#isWord('ORDER')) {
      query.alias = (this.tokens[this.#i++] as Token).text.toLowerCase();
    }
    if (this.#isSymbol(',')) throw new SuiteQlError('joins are not supported by the sandbox');
    if (this.#isWord('WHERE')) {
      this.#i++;
      query.where = this.#or();
    }
    if (this.#isWord('ORDER')) {
      this.#i++;
      this.#expectWord('BY');
      do {
        if (this.#isSymbol(',')) this.#i++;
        const expr = this.#operand();
        let desc = false;
        if (this.#isWord('ASC')) this.#i++;
        else if (this.#isWord('DESC')) {
          this.#i++;
          desc = true;
        }
        query.orderBy.push({ expr, desc });
      } while (this.#isSymbol(','));
    }
    if (this.#peek() !== undefined) throw new SuiteQlError(`unexpected "${this.#peek()?.text}"`);
    return query;
  }

  #selectItem(): SelectItem {
    const expr = this.#operand();
    if (this.#isWord('AS')) {
      this.#i++;
      const alias = this.#peek();
      if (alias?.type !== 'word') throw new SuiteQlError('expected an alias after AS');
      this.#i++;
      return { expr, alias: alias.text.toLowerCase() };
    }
    if (this.#peek()?.type === 'word' && !this.#isWord('FROM')) {
      return { expr, alias: (this.tokens[this.#i++] as Token).text.toLowerCase() };
    }
    return { expr };
  }

  #or(): Condition {
    let left = this.#and();
    while (this.#isWord('OR')) {
      this.#i++;
      left = { kind: 'or', left, right: this.#and() };
    }
    return left;
  }

  #and(): Condition {
    let left = this.#not();
    while (this.#isWord('AND')) {
      this.#i++;
      left = { kind: 'and', left, right: this.#not() };
    }
    return left;
  }

  #not(): Condition {
    if (this.#isWord('NOT')) {
      this.#i++;
      return { kind: 'not', inner: this.#not() };
    }
    return this.#primary();
  }

  #primary(): Condition {
    if (this.#isSymbol('(')) {
      this.#i++;
      if (this.#isWord('SELECT')) throw new SuiteQlError('subqueries are not supported by the sandbox');
      const inner = this.#or();
      this.#expectSymbol(')');
      return inner;
    }
    const operand = this.#operand();
    if (this.#isWord('IS')) {
      this.#i++;
      const negated = this.#isWord('NOT');
      if (negated) this.#i++;
      this.#expectWord('NULL');
      return { kind: 'isNull', operand, negated };
    }
    const negated = this.#isWord('NOT');
    if (negated) this.#i++;
    if (this.#isWord('IN')) {
      this.#i++;
      this.#expectSymbol('(');
      if (this.#isWord('SELECT')) throw new SuiteQlError('subqueries are not supported by the sandbox');
      const values = [this.#operand()];
      while (this.#isSymbol(',')) {
        this.#i++;
        values.push(this.#operand());
      }
      this.#expectSymbol(')');
      return { kind: 'in', operand, values, negated };
    }
    if (this.#isWord('LIKE')) {
      this.#i++;
      return { kind: 'like', operand, pattern: this.#operand(), negated };
    }
    if (negated) throw new SuiteQlError('expected IN or LIKE after NOT');
    if (this.#isWord('BETWEEN')) {
      this.#i++;
      const low = this.#operand();
      this.#expectWord('AND');
      return { kind: 'between', operand, low, high: this.#operand() };
    }
    const op = this.#peek();
    if (op?.type !== 'symbol' || !['=', '<>', '<', '<=', '>', '>='].includes(op.text))
      throw new SuiteQlError(`expected a comparison near "${op?.text ?? 'end'}"`);
    this.#i++;
    return {
      kind: 'compare',
      op: op.text as '=' | '<>' | '<' | '<=' | '>' | '>=',
      left: operand,
      right: this.#operand(),
    };
  }

  #operand(): Operand {
    const t = this.#peek();
    if (t === undefined) throw new SuiteQlError('unexpected end of query');
    this.#i++;
    if (t.type === 'string') return { kind: 'string', value: t.text };
    if (t.type === 'number') return { kind: 'number', value: Number(t.text) };
    if (t.type === 'symbol') {
      if (t.text === '(' && this.#isWord('SELECT'))
        throw new SuiteQlError('subqueries are not supported by the sandbox');
      throw new SuiteQlError(`unexpected "${t.text}"`);
    }
    const upper = t.text.toUpperCase();
    if (upper === 'NULL') return { kind: 'null' };
    if (this.#isSymbol('(')) {
      if (!functions.has(upper)) throw new SuiteQlError(`function ${upper} is not supported by the sandbox`);
      this.#i++;
      const args = [this.#operand()];
      while (this.#isSymbol(',')) {
        this.#i++;
        args.push(this.#operand());
      }
      this.#expectSymbol(')');
      return { kind: 'call', fn: upper as 'TO_TIMESTAMP', args };
    }
    return { kind: 'column', name: t.text.toLowerCase() };
  }
}

/** Parses one SuiteQL statement of the supported subset, or throws {@link SuiteQlError}. */
export function parseSuiteQl(text: string): Query {
  return new Parser(tokenize(text.trim().replace(/;\s*$/, ''))).parse();
}
