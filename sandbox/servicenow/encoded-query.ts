import { SnRequestError } from './errors.js';
import { type FieldDef, fieldAt, type TableDef } from './tables.js';

/**
 * An honest subset of ServiceNow's encoded query language (`sysparm_query`):
 * `^` AND, `^OR` OR (binds to the condition before it), `^NQ` a new OR'ed query, `ORDERBY` /
 * `ORDERBYDESC`, `^EQ` (end marker), and the operators `= != > >= < <= LIKE NOTLIKE STARTSWITH
 * ENDSWITH IN NOT IN ISEMPTY ISNOTEMPTY`, on plain or dot-walked fields. The one `javascript:` value
 * understood is `gs.dateGenerate('YYYY-MM-DD','HH:mm:ss')`.
 *
 * A real instance ignores a condition it cannot read (and may return every row); the sandbox
 * answers 400 instead, so a query that would silently misbehave in production fails in tests.
 */
export interface Condition {
  field: string;
  def: FieldDef;
  op: Operator;
  value: string;
}
export interface OrderBy {
  field: string;
  def: FieldDef;
  desc: boolean;
}
export interface EncodedQuery {
  /** OR of groups (`^NQ`); each group is an AND of clauses; each clause an OR of conditions. */
  groups: Condition[][][];
  orderBy: OrderBy[];
}

const operators = [
  'ISNOTEMPTY',
  'ISEMPTY',
  'STARTSWITH',
  'ENDSWITH',
  'NOTLIKE',
  'NOT LIKE',
  'NOT IN',
  'LIKE',
  'IN',
  '!=',
  '>=',
  '<=',
  '=',
  '>',
  '<',
] as const;
type Operator = (typeof operators)[number];
/** Operators of the real language the sandbox does not evaluate: named in the 400 it answers. */
const unsupported = [
  'BETWEEN',
  'DATEPART',
  'RELATIVE',
  'SAMEAS',
  'NSAMEAS',
  'VALCHANGES',
  'CHANGES',
  'ANYTHING',
  'ON',
  'NOTON',
  'DYNAMIC',
  'EMPTYSTRING',
  'MORETHAN',
  'LESSTHAN',
  'GT_FIELD',
  'LT_FIELD',
];

const invalid = (detail: string) => new SnRequestError(400, 'Invalid query', detail);

/** Parses `sysparm_query` for `table`; throws a 400 SnRequestError for what it cannot honour. */
export function parseEncodedQuery(query: string, table: TableDef): EncodedQuery {
  const orderBy: OrderBy[] = [];
  const groups: Condition[][][] = [];
  for (const part of query.split('^NQ')) {
    const clauses: Condition[][] = [];
    for (const raw of part.split('^')) {
      const term = raw.trim();
      if (term === '' || term === 'EQ') continue;
      if (term.startsWith('ORDERBY')) {
        const desc = term.startsWith('ORDERBYDESC');
        const field = term.slice(desc ? 'ORDERBYDESC'.length : 'ORDERBY'.length);
        const def = fieldAt(table, field);
        if (def === undefined) throw invalid(`Unknown field '${field}' in ${term} on table ${table.name}`);
        orderBy.push({ field, def, desc });
        continue;
      }
      if (term.startsWith('GROUPBY')) throw invalid(`${term}: GROUPBY is not supported by the Table API`);
      if (term.startsWith('OR') && /^OR[a-z_]/.test(term)) {
        const previous = clauses.at(-1);
        if (previous === undefined) throw invalid(`'^${term}' has no condition before it to OR with`);
        previous.push(parseCondition(term.slice(2), table));
        continue;
      }
      clauses.push([parseCondition(term, table)]);
    }
    groups.push(clauses);
  }
  return { groups, orderBy };
}

function parseCondition(term: string, table: TableDef): Condition {
  const name = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*/.exec(term)?.[0];
  if (name === undefined) throw invalid(`Cannot read the condition '${term}'`);
  const def = fieldAt(table, name);
  if (def === undefined) throw invalid(`Unknown field '${name}' on table ${table.name}`);
  const rest = term.slice(name.length);
  const op = operators.find((o) => rest.startsWith(o));
  if (op === undefined) {
    const word = /^[A-Z_]+/.exec(rest)?.[0];
    const known = word !== undefined && unsupported.some((u) => word.startsWith(u));
    throw invalid(
      known
        ? `Operator ${word} in '${term}' is not supported by the sandbox`
        : `Unknown operator in '${term}'`,
    );
  }
  const value = rest.slice(op.length);
  if ((op === 'ISEMPTY' || op === 'ISNOTEMPTY') && value !== '') {
    throw invalid(`${op} takes no value in '${term}'`);
  }
  return { field: name, def, op, value: resolveValue(value, term) };
}

/** Literal values pass through; the only script value understood is gs.dateGenerate. */
function resolveValue(value: string, term: string): string {
  if (!value.startsWith('javascript:')) return value;
  const m = /^javascript:gs\.dateGenerate\('(\d{4}-\d{2}-\d{2})'\s*,\s*'(\d{2}:\d{2}:\d{2})'\)$/.exec(value);
  if (m) return `${m[1]} ${m[2]}`;
  throw invalid(`Script value in '${term}' is not supported by the sandbox (only gs.dateGenerate)`);
}

/** Whether the record (read through `get`, which follows dot-walks) matches the query. */
export function matchesQuery(q: EncodedQuery, get: (field: string) => string): boolean {
  if (q.groups.every((g) => g.length === 0)) return true;
  return q.groups.some((clauses) => clauses.every((any) => any.some((c) => holds(c, get(c.field)))));
}

function holds(c: Condition, actual: string): boolean {
  const a = actual.toLowerCase();
  const v = c.value.toLowerCase();
  switch (c.op) {
    case 'ISEMPTY':
      return actual === '';
    case 'ISNOTEMPTY':
      return actual !== '';
    case '=':
      return compareValues(c.def, actual, c.value) === 0;
    case '!=':
      return compareValues(c.def, actual, c.value) !== 0;
    case '>':
      return actual !== '' && compareValues(c.def, actual, c.value) > 0;
    case '>=':
      return actual !== '' && compareValues(c.def, actual, c.value) >= 0;
    case '<':
      return actual !== '' && compareValues(c.def, actual, c.value) < 0;
    case '<=':
      return actual !== '' && compareValues(c.def, actual, c.value) <= 0;
    case 'LIKE':
      return a.includes(v);
    case 'NOTLIKE':
    case 'NOT LIKE':
      return !a.includes(v);
    case 'STARTSWITH':
      return a.startsWith(v);
    case 'ENDSWITH':
      return a.endsWith(v);
    case 'IN':
      return c.value.split(',').some((x) => compareValues(c.def, actual, x) === 0);
    case 'NOT IN':
      return !c.value.split(',').some((x) => compareValues(c.def, actual, x) === 0);
  }
}

/**
 * Integers compare as numbers; everything else as case-insensitive text (as on the instance's
 * database), which orders glide date-times correctly since their format sorts as text.
 */
export function compareValues(def: FieldDef, a: string, b: string): number {
  if (def.type === 'integer' && a !== '' && b !== '') {
    const x = Number(a);
    const y = Number(b);
    if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  }
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}
