import { z } from 'zod';
import type { RecordStore } from '../common/record-store.js';
import type { SandboxResponse } from '../common/server.js';
import { refuse, unknownProperties, validation } from './errors.js';
import { models, type ObjectModel, type ObjectType } from './model.js';
import { type CrmData, type CrmRecord, type CrmRecords, toInstant } from './records.js';

const Filter = z.object({
  propertyName: z.string().min(1),
  operator: z.enum([
    'EQ',
    'NEQ',
    'LT',
    'LTE',
    'GT',
    'GTE',
    'BETWEEN',
    'IN',
    'NOT_IN',
    'HAS_PROPERTY',
    'NOT_HAS_PROPERTY',
    'CONTAINS_TOKEN',
    'NOT_CONTAINS_TOKEN',
  ]),
  value: z.union([z.string(), z.number(), z.boolean()]).optional(),
  highValue: z.union([z.string(), z.number()]).optional(),
  values: z.array(z.union([z.string(), z.number()])).optional(),
});
type Filter = z.infer<typeof Filter>;

const SearchRequest = z.object({
  filterGroups: z.array(z.object({ filters: z.array(Filter) })).default([]),
  sorts: z
    .array(
      z.union([
        z.string(),
        z.object({
          propertyName: z.string(),
          direction: z.enum(['ASCENDING', 'DESCENDING']).default('ASCENDING'),
        }),
      ]),
    )
    .default([]),
  query: z.string().max(3000).optional(),
  properties: z.array(z.string()).optional(),
  limit: z.number().int().min(0).default(10),
  after: z.union([z.string(), z.number()]).optional(),
});

/** HubSpot's search limits (since Aug 2024) and its hard result cap. */
export const searchLimits = {
  filterGroups: 5,
  filtersPerGroup: 10,
  filtersTotal: 25,
  pageSize: 200,
  maxResults: 10_000,
} as const;

/** Properties the free-text `query` looks in, per object. */
const queryProperties: Record<ObjectType, readonly string[]> = {
  contacts: ['firstname', 'lastname', 'email', 'phone', 'company'],
  companies: ['name', 'domain', 'website', 'phone'],
  deals: ['dealname'],
  tasks: ['hs_task_subject'],
};

/**
 * `POST /crm/v3/objects/{type}/search`: filter groups OR'ed, filters inside a group AND'ed, one sort,
 * numeric `after` offsets, and the documented limits answered with HubSpot's 400s.
 */
export function search(
  store: RecordStore,
  records: CrmRecords,
  type: ObjectType,
  body: unknown,
): SandboxResponse {
  const parsed = SearchRequest.safeParse(body ?? {});
  if (!parsed.success)
    return validation(`Invalid input JSON: ${parsed.error.issues[0]?.message ?? 'bad body'}`);
  const req = parsed.data;
  const m = models[type];
  const groups = req.filterGroups;
  const total = groups.reduce((n, g) => n + g.filters.length, 0);
  if (groups.length > searchLimits.filterGroups) {
    return validation(
      `Too many filter groups (${groups.length}); the maximum is ${searchLimits.filterGroups}`,
    );
  }
  if (groups.some((g) => g.filters.length > searchLimits.filtersPerGroup)) {
    return validation(`Too many filters in a group; the maximum is ${searchLimits.filtersPerGroup}`);
  }
  if (total > searchLimits.filtersTotal) {
    return validation(`Too many filters (${total}); the maximum is ${searchLimits.filtersTotal}`);
  }
  if (req.limit > searchLimits.pageSize) {
    return validation(`limit ${req.limit} is over the maximum of ${searchLimits.pageSize}`);
  }
  const offset = Number(req.after ?? 0);
  if (!Number.isInteger(offset) || offset < 0)
    return validation('after must be a non-negative integer offset');
  if (offset + req.limit > searchLimits.maxResults) {
    return validation(`Search can return at most ${searchLimits.maxResults} results; narrow the filters`);
  }
  const named = [
    ...groups.flatMap((g) => g.filters.map((f) => f.propertyName)),
    ...req.sorts.map((s) => (typeof s === 'string' ? s : s.propertyName)),
  ];
  const unknown = [...new Set(named.filter((n) => !m.properties.has(n)))];
  if (unknown.length > 0) refuse(unknownProperties(type, unknown));

  const tokens = (req.query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const matches = candidates(store, m, groups).filter(
    (r) =>
      !r.data.archived &&
      (groups.length === 0 || groups.some((g) => g.filters.every((f) => test(m, r.data, f)))) &&
      tokens.every((t) =>
        queryProperties[type].some((p) => (r.data.properties[p] ?? '').toLowerCase().includes(t)),
      ),
  );
  const sort = req.sorts[0];
  const sortBy = typeof sort === 'string' ? sort : (sort?.propertyName ?? 'hs_object_id');
  const direction = typeof sort === 'object' && sort.direction === 'DESCENDING' ? -1 : 1;
  matches.sort(
    (a, b) =>
      direction * compare(m, sortBy, a.data.properties[sortBy], b.data.properties[sortBy]) ||
      Number(a.id) - Number(b.id),
  );
  const page = matches.slice(offset, offset + req.limit);
  const wanted = req.properties && req.properties.length > 0 ? req.properties : m.searchDefaultProperties;
  const next = offset + req.limit;
  return {
    status: 200,
    body: {
      total: matches.length,
      results: page.map((r) => records.toPublic(r, wanted)),
      ...(next < matches.length && next < searchLimits.maxResults
        ? { paging: { next: { after: String(next) } } }
        : {}),
    },
  };
}

/**
 * The records worth testing. A delta query ("modified since T") reads only records updated at or
 * after T through the store's (updated, id) index instead of the whole object table.
 */
function candidates(store: RecordStore, m: ObjectModel, groups: { filters: Filter[] }[]): CrmRecord[] {
  const bounds = groups.map((g) => {
    const lows = g.filters
      .filter(
        (f) => f.propertyName === m.modifiedProperty && ['GT', 'GTE', 'EQ', 'BETWEEN'].includes(f.operator),
      )
      .map((f) => toInstant(String(f.value ?? '')))
      .filter((t): t is number => t !== undefined);
    return lows.length > 0 ? Math.max(...lows) : undefined;
  });
  if (groups.length > 0 && bounds.every((b) => b !== undefined)) {
    const since = Math.min(...(bounds as number[]));
    return store.changedSince<CrmData>(m.type, since - 1, '', Number.MAX_SAFE_INTEGER);
  }
  return store.all<CrmData>(m.type);
}

function test(m: ObjectModel, data: CrmData, f: Filter): boolean {
  const actual = data.properties[f.propertyName];
  const has = actual !== undefined && actual !== '';
  const cmp = (v: unknown) => compare(m, f.propertyName, actual, v === undefined ? undefined : String(v));
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'EQ':
      return has && cmp(f.value) === 0;
    case 'NEQ':
      return !has || cmp(f.value) !== 0;
    case 'LT':
      return has && cmp(f.value) < 0;
    case 'LTE':
      return has && cmp(f.value) <= 0;
    case 'GT':
      return has && cmp(f.value) > 0;
    case 'GTE':
      return has && cmp(f.value) >= 0;
    case 'BETWEEN':
      return has && cmp(f.value) >= 0 && cmp(f.highValue) <= 0;
    case 'IN':
      return has && (f.values ?? []).some((v) => cmp(v) === 0);
    case 'NOT_IN':
      return !has || (f.values ?? []).every((v) => cmp(v) !== 0);
    case 'CONTAINS_TOKEN':
      return has && containsToken(actual, String(f.value ?? ''));
    case 'NOT_CONTAINS_TOKEN':
      return !has || !containsToken(actual, String(f.value ?? ''));
  }
}

/** Orders two values of one property: instants for datetimes, numbers for numbers, else case-insensitive text. */
function compare(m: ObjectModel, property: string, a: string | undefined, b: string | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  if (m.datetimes.has(property)) return (toInstant(a) ?? 0) - (toInstant(b) ?? 0);
  if (m.numbers.has(property)) return Number(a) - Number(b);
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A whole-word match; `*` in the token is a wildcard (`*@example.com`). */
function containsToken(value: string, token: string): boolean {
  const pattern = token
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const words = value.toLowerCase().split(/[\s,;]+/);
  const re = new RegExp(`^${pattern}$`);
  return words.some((w) => re.test(w)) || re.test(value.toLowerCase());
}
