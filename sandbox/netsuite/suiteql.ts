import type Database from 'better-sqlite3';
import { type Condition, type Operand, parseSuiteQl, SuiteQlError } from './suiteql-parser.js';
import { defaultDate, formatTime, parseTime } from './suiteql-time.js';

type Kind = 'number' | 'text' | 'bool' | 'datetime' | 'date' | 'ref';
interface Column {
  sql: string;
  kind: Kind;
}
interface Table {
  /** Record types of the store this table reads. */
  types: string[];
  columns: Record<string, Column>;
}

const j = (path: string) => `json_extract(r.data, '$.${path}')`;
const text = (path: string): Column => ({ sql: j(path), kind: 'text' });
const num = (path: string): Column => ({ sql: j(path), kind: 'number' });
const refId = (path: string): Column => ({ sql: j(`${path}.id`), kind: 'ref' });
const bool = (path: string): Column => ({ sql: `CASE WHEN ${j(path)} THEN 'T' ELSE 'F' END`, kind: 'bool' });
const idColumn: Column = { sql: 'CAST(r.id AS INTEGER)', kind: 'number' };
const modified: Column = { sql: 'r.updated_ms', kind: 'datetime' };
const created: Column = { sql: 'r.created_ms', kind: 'datetime' };

/** The SuiteQL tables the sandbox serves, with lower-case column names as SuiteQL spells them. */
const tables: Record<string, Table> = {
  customer: {
    types: ['customer'],
    columns: {
      id: idColumn,
      entityid: text('entityId'),
      companyname: text('companyName'),
      isperson: bool('isPerson'),
      firstname: text('firstName'),
      lastname: text('lastName'),
      email: text('email'),
      phone: text('phone'),
      altphone: text('altPhone'),
      url: text('url'),
      subsidiary: refId('subsidiary'),
      currency: refId('currency'),
      terms: refId('terms'),
      salesrep: refId('salesRep'),
      entitystatus: refId('entityStatus'),
      category: refId('category'),
      parent: refId('parent'),
      creditlimit: num('creditLimit'),
      balance: num('balance'),
      overduebalance: num('overdueBalance'),
      unbilledorders: num('unbilledOrders'),
      comments: text('comments'),
      externalid: text('externalId'),
      isinactive: bool('isInactive'),
      datecreated: created,
      lastmodifieddate: modified,
    },
  },
  transaction: {
    types: ['salesOrder', 'invoice'],
    columns: {
      id: idColumn,
      type: { sql: "CASE r.type WHEN 'salesOrder' THEN 'SalesOrd' ELSE 'CustInvc' END", kind: 'text' },
      recordtype: { sql: "CASE r.type WHEN 'salesOrder' THEN 'salesorder' ELSE 'invoice' END", kind: 'text' },
      tranid: text('tranId'),
      trandate: { sql: j('tranDate'), kind: 'date' },
      duedate: { sql: j('dueDate'), kind: 'date' },
      entity: refId('entity'),
      status: refId('status'),
      createdfrom: refId('createdFrom'),
      currency: refId('currency'),
      exchangerate: num('exchangeRate'),
      subsidiary: refId('subsidiary'),
      terms: refId('terms'),
      memo: text('memo'),
      otherrefnum: text('otherRefNum'),
      email: text('email'),
      foreigntotal: num('total'),
      foreignamountpaid: num('amountPaid'),
      foreignamountremaining: num('amountRemaining'),
      externalid: text('externalId'),
      createddate: created,
      lastmodifieddate: modified,
    },
  },
};

export const suiteQlTables: readonly string[] = Object.keys(tables);

interface Compiled {
  sql: string;
  params: unknown[];
  kind: Kind | 'moment' | 'literal';
}

/** One page of SuiteQL rows: values as strings, NULL columns left out (NetSuite's row shape). */
export interface SuiteQlResult {
  rows: Record<string, string>[];
  total: number;
}

/**
 * Runs the supported SuiteQL subset on the sandbox's SQLite store: the statement is parsed,
 * checked against the table's columns, and compiled to one parameterised SQL query (plus a count).
 * Unknown tables or columns and unsupported syntax raise {@link SuiteQlError}.
 */
export class SuiteQlEngine {
  readonly #statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    // Oracle's LIKE is case-sensitive; SQLite's is not unless told.
    db.pragma('case_sensitive_like = ON');
  }

  run(q: string, page: { limit: number; offset: number }): SuiteQlResult {
    const query = parseSuiteQl(q);
    const table = tables[query.table];
    if (table === undefined)
      throw new SuiteQlError(
        `Record '${query.table}' was not found (the sandbox serves ${suiteQlTables.join(', ')})`,
      );
    const column = (name: string): Column => {
      const [qualifier, bare] = name.includes('.') ? name.split('.') : [undefined, name];
      if (qualifier !== undefined && qualifier !== query.alias && qualifier !== query.table)
        throw new SuiteQlError(`unknown table alias "${qualifier}"`);
      const c = table.columns[bare ?? ''];
      if (c === undefined)
        throw new SuiteQlError(`Field '${bare}' for record '${query.table}' was not found.`);
      return c;
    };
    const select =
      query.select === '*'
        ? Object.keys(table.columns).map((name) => ({
            expr: { kind: 'column', name } as Operand,
            alias: name,
          }))
        : query.select;
    const outputs = select.map((item, i) => this.#output(item.expr, item.alias, i, column));
    const params: unknown[] = [];
    let where = `r.type IN (${table.types.map((t) => `'${t}'`).join(', ')})`;
    if (query.where) {
      const c = this.#condition(query.where, column);
      where += ` AND (${c.sql})`;
      params.push(...c.params);
    }
    const order = query.orderBy.map((o) => {
      const expr = o.expr;
      let target = expr.kind === 'column' ? (select.find((s) => s.alias === expr.name)?.expr ?? expr) : expr;
      // Ordering by a TO_CHAR alias orders by its column (the same order for sortable formats).
      if (target.kind === 'call' && target.fn === 'TO_CHAR' && target.args[0]) target = target.args[0];
      const c = this.#operand(target, column);
      if (c.params.length > 0) throw new SuiteQlError('ORDER BY takes columns only in the sandbox');
      return `${c.sql}${o.desc ? ' DESC' : ''}`;
    });
    // Insertion order breaks ties, so offset pages of an unordered query are stable.
    const orderSql = [...order, 'r.seq'].join(', ');
    const selectSql = outputs.map((o, i) => `${o.sql} AS c${i}`).join(', ');
    const rowsSql = `SELECT ${selectSql} FROM records r WHERE ${where} ORDER BY ${orderSql} LIMIT ? OFFSET ?`;
    const countSql = `SELECT count(*) AS n FROM records r WHERE ${where}`;
    const raw = this.#prepare(rowsSql).all(...params, page.limit, page.offset) as Record<string, unknown>[];
    const { n } = this.#prepare(countSql).get(...params) as { n: number };
    const rows = raw.map((r) => {
      const row: Record<string, string> = {};
      outputs.forEach((o, i) => {
        const v = r[`c${i}`];
        if (v !== null && v !== undefined) row[o.name] = o.render(v);
      });
      return row;
    });
    return { rows, total: n };
  }

  #prepare(sql: string): Database.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      if (this.#statements.size > 500) this.#statements.clear();
      stmt = this.db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #output(
    expr: Operand,
    alias: string | undefined,
    index: number,
    column: (name: string) => Column,
  ): { name: string; sql: string; render: (v: unknown) => string } {
    const name =
      alias ?? (expr.kind === 'column' ? (expr.name.split('.').pop() ?? expr.name) : `expr${index + 1}`);
    if (expr.kind === 'call' && expr.fn === 'TO_CHAR') {
      const [target, format] = expr.args;
      if (target?.kind !== 'column' || format?.kind !== 'string')
        throw new SuiteQlError(
          "TO_CHAR takes a column and a format string, e.g. TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS')",
        );
      const c = column(target.name);
      if (c.kind === 'datetime')
        return { name, sql: c.sql, render: (v) => formatTime(Number(v), format.value) };
      if (c.kind === 'date')
        return {
          name,
          sql: c.sql,
          render: (v) => formatTime(Date.parse(`${String(v)}T00:00:00Z`), format.value),
        };
      return { name, sql: c.sql, render: (v) => String(v) };
    }
    const c = this.#operand(expr, column);
    if (c.params.length > 0)
      throw new SuiteQlError('the sandbox selects columns, TO_CHAR, UPPER and LOWER only');
    const render =
      c.kind === 'datetime'
        ? (v: unknown) => defaultDate(Number(v))
        : c.kind === 'date'
          ? (v: unknown) => defaultDate(Date.parse(`${String(v)}T00:00:00Z`))
          : (v: unknown) => String(v);
    return { name, sql: c.sql, render };
  }

  #operand(o: Operand, column: (name: string) => Column): Compiled {
    switch (o.kind) {
      case 'column': {
        const c = column(o.name);
        return { sql: c.sql, params: [], kind: c.kind };
      }
      case 'string':
        return { sql: '?', params: [o.value], kind: 'literal' };
      case 'number':
        return { sql: '?', params: [o.value], kind: 'literal' };
      case 'null':
        return { sql: 'NULL', params: [], kind: 'literal' };
      case 'call': {
        if (o.fn === 'TO_TIMESTAMP' || o.fn === 'TO_DATE') {
          const [value, format] = o.args;
          if (value?.kind !== 'string')
            throw new SuiteQlError(
              `${o.fn} takes a string literal, e.g. ${o.fn}('2025-01-31', 'YYYY-MM-DD')`,
            );
          const fmt = format?.kind === 'string' ? format.value : 'YYYY-MM-DD HH24:MI:SS';
          return { sql: '?', params: [parseTime(value.value, fmt)], kind: 'moment' };
        }
        if (o.fn === 'UPPER' || o.fn === 'LOWER') {
          const [arg] = o.args;
          if (arg === undefined) throw new SuiteQlError(`${o.fn} takes one argument`);
          const inner = this.#operand(arg, column);
          return { sql: `${o.fn}(${inner.sql})`, params: inner.params, kind: 'text' };
        }
        throw new SuiteQlError('TO_CHAR is supported in the select list only');
      }
    }
  }

  /** Compiles both sides, coercing literals to the column's type (dates need TO_TIMESTAMP / TO_DATE). */
  #pair(a: Operand, b: Operand, column: (name: string) => Column): [Compiled, Compiled] {
    const left = this.#operand(a, column);
    const right = this.#operand(b, column);
    return [coerce(left, right.kind), coerce(right, left.kind)];
  }

  #condition(c: Condition, column: (name: string) => Column): { sql: string; params: unknown[] } {
    switch (c.kind) {
      case 'and':
      case 'or': {
        const l = this.#condition(c.left, column);
        const r = this.#condition(c.right, column);
        return { sql: `(${l.sql}) ${c.kind.toUpperCase()} (${r.sql})`, params: [...l.params, ...r.params] };
      }
      case 'not': {
        const inner = this.#condition(c.inner, column);
        return { sql: `NOT (${inner.sql})`, params: inner.params };
      }
      case 'compare': {
        const [l, r] = this.#pair(c.left, c.right, column);
        return { sql: `${l.sql} ${c.op} ${r.sql}`, params: [...l.params, ...r.params] };
      }
      case 'isNull': {
        const o = this.#operand(c.operand, column);
        return { sql: `${o.sql} IS ${c.negated ? 'NOT ' : ''}NULL`, params: o.params };
      }
      case 'in': {
        const o = this.#operand(c.operand, column);
        const values = c.values.map((v) => coerce(this.#operand(v, column), o.kind));
        return {
          sql: `${o.sql} ${c.negated ? 'NOT ' : ''}IN (${values.map((v) => v.sql).join(', ')})`,
          params: [...o.params, ...values.flatMap((v) => v.params)],
        };
      }
      case 'like': {
        const [o, p] = this.#pair(c.operand, c.pattern, column);
        return {
          sql: `${o.sql} ${c.negated ? 'NOT ' : ''}LIKE ${p.sql}`,
          params: [...o.params, ...p.params],
        };
      }
      case 'between': {
        const o = this.#operand(c.operand, column);
        const low = coerce(this.#operand(c.low, column), o.kind);
        const high = coerce(this.#operand(c.high, column), o.kind);
        const target = coerce(o, low.kind);
        return {
          sql: `${target.sql} BETWEEN ${low.sql} AND ${high.sql}`,
          params: [...target.params, ...low.params, ...high.params],
        };
      }
    }
  }
}

/**
 * Makes `value` comparable with an operand of kind `other`: literals take the column's type,
 * date columns compared with a moment become epoch ms, and a date column compared with a bare
 * string is refused (NetSuite would read it in the user's date format; say TO_DATE instead).
 */
function coerce(value: Compiled, other: Compiled['kind']): Compiled {
  if (value.kind === 'date' && other === 'moment') {
    return {
      sql: `CAST(ROUND((julianday(${value.sql}) - 2440587.5) * 86400000) AS INTEGER)`,
      params: value.params,
      kind: 'datetime',
    };
  }
  if (value.kind !== 'literal' || value.params.length === 0) return value;
  const literal = value.params[0];
  if (other === 'datetime' || other === 'date')
    throw new SuiteQlError('compare date columns with TO_TIMESTAMP(...) or TO_DATE(...)');
  if (other === 'number') {
    const n = Number(literal);
    if (Number.isNaN(n)) throw new SuiteQlError(`"${String(literal)}" is not a number`);
    return { ...value, params: [n] };
  }
  if (other === 'text' || other === 'ref' || other === 'bool') return { ...value, params: [String(literal)] };
  return value;
}

export { SuiteQlError };
