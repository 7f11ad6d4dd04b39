import { parseDateTime } from './ids.js';
import type { FieldDef } from './objects.js';
import type { SfRecord, SfValue } from './records.js';
import type { Condition, Literal, SoqlQuery } from './soql-parse.js';

/**
 * Evaluates a parsed SOQL query (./soql-parse.ts) over an object's records, and the ordered scan
 * that answers delta polls from the store's updated-time index.
 */

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
