import type { z } from 'zod';
import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import { NsFailure, nsError } from './errors.js';
import { compileRecordFilter } from './list-filter.js';
import { InvoiceInput, inputSchemas, isRecordType, type RecordType, recordTypes } from './record-input.js';
import type { NetSuiteRecords } from './records.js';
import { type SuiteQlEngine, SuiteQlError } from './suiteql.js';
import { collectionType, pageLinks, recordUrl, renderRecord, singularType } from './views.js';

export const recordPrefix = '/services/rest/record/v1/';
export const suiteQlPath = '/services/rest/query/v1/suiteql';

const customField = /^cust(entity|body|col|record)_\w+$/;

/** SuiteQL answers at most this many rows per query, however it is paged. */
const suiteQlMaxRows = 100_000;

/** Fields `?q=` may filter on, per record type. */
const filterFields: Record<RecordType, Set<string>> = {
  customer: new Set([
    'id',
    'externalId',
    'entityId',
    'companyName',
    'isPerson',
    'firstName',
    'lastName',
    'email',
    'phone',
    'subsidiary',
    'currency',
    'isInactive',
    'dateCreated',
    'lastModifiedDate',
    'balance',
  ]),
  salesOrder: new Set([
    'id',
    'externalId',
    'tranId',
    'tranDate',
    'entity',
    'status',
    'total',
    'otherRefNum',
    'createdDate',
    'lastModifiedDate',
    'subsidiary',
    'currency',
  ]),
  invoice: new Set([
    'id',
    'externalId',
    'tranId',
    'tranDate',
    'dueDate',
    'entity',
    'status',
    'total',
    'amountRemaining',
    'createdFrom',
    'createdDate',
    'lastModifiedDate',
    'subsidiary',
    'currency',
  ]),
};

export interface RouteDeps {
  records: NetSuiteRecords;
  suiteql: SuiteQlEngine;
}

/** Routes one authenticated API request; NetSuite-shaped errors for every failure. */
export function routeApi(req: SandboxRequest, deps: RouteDeps): SandboxResponse {
  try {
    if (req.path === suiteQlPath) return suiteQl(req, deps);
    if (req.path.startsWith(recordPrefix)) return recordRoute(req, deps);
    return nsError(404, 'INVALID_URL', `The requested URL ${req.path} was not found on this server.`);
  } catch (err) {
    if (err instanceof NsFailure) return err.toResponse();
    if (err instanceof SuiteQlError) {
      return nsError(
        400,
        'INVALID_PARAMETER',
        `Invalid search query. Detailed unprocessed description follows. Search error occurred: ${err.message}`,
      );
    }
    throw err;
  }
}

function origin(req: SandboxRequest): string {
  return req.url.origin;
}

function intParam(req: SandboxRequest, name: string, fallback: number, min: number, max: number): number {
  const raw = req.query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new NsFailure(
      400,
      'INVALID_PARAMETER',
      `Invalid value for query parameter '${name}': ${raw}. Use an integer from ${min} to ${max}.`,
      {
        errorQueryParam: name,
      },
    );
  }
  return n;
}

function parseBody<S extends z.ZodType>(req: SandboxRequest, schema: S, type: string): z.output<S> {
  let json: unknown = {};
  if (req.body.trim() !== '') {
    try {
      json = JSON.parse(req.body);
    } catch {
      throw new NsFailure(400, 'INVALID_CONTENT', 'The request body is not valid JSON.');
    }
  }
  // Account-specific custom fields (custentity_*, custbody_*) pass through as they are.
  const custom: Record<string, unknown> = {};
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(json)) (customField.test(k) ? custom : rest)[k] = v;
    json = rest;
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ...(parsed.data as object), ...custom } as z.output<S>;
  const issue = parsed.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  if (issue?.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    throw new NsFailure(400, 'USER_ERROR', `Invalid field(s) for record type ${type}: ${keys}.`, {
      errorPath: path === '' ? (issue.keys[0] ?? '') : `${path}.${issue.keys[0] ?? ''}`,
    });
  }
  throw new NsFailure(
    400,
    'USER_ERROR',
    `Invalid value for field ${path || '(body)'}: ${issue?.message ?? 'invalid'}.`,
    {
      errorPath: path,
    },
  );
}

function created(req: SandboxRequest, type: string, id: string): SandboxResponse {
  return { status: 204, headers: { location: recordUrl(origin(req), type, id) } };
}

function recordRoute(req: SandboxRequest, deps: RouteDeps): SandboxResponse {
  const parts = req.path.slice(recordPrefix.length).split('/').map(decodeURIComponent);
  const [type, key, sub, target] = parts;
  if (type === undefined || type === '' || !isRecordType(type)) {
    throw new NsFailure(
      400,
      'INVALID_PARAMETER',
      `Record type '${type ?? ''}' is not available in the sandbox (it serves ${recordTypes.join(', ')}).`,
    );
  }
  const { records } = deps;
  if ((req.headers.prefer ?? '').includes('respond-async')) {
    throw new NsFailure(
      400,
      'INVALID_HEADER',
      'The sandbox does not model asynchronous requests (Prefer: respond-async).',
      {
        errorHeader: 'Prefer',
      },
    );
  }
  if (key === undefined || key === '') {
    if (req.method === 'GET') return list(req, deps, type);
    if (req.method === 'POST') {
      const input = parseBody(req, inputSchemas[type], type);
      return created(req, type, records.save({ type, input, sublists: 'replace' }).id);
    }
    return nsError(405, 'INVALID_METHOD', `Method ${req.method} is not allowed on ${type}.`);
  }
  if (req.method === 'PUT' && sub === undefined) {
    if (!key.startsWith('eid:') || key.length === 4) {
      throw new NsFailure(
        400,
        'INVALID_PARAMETER',
        'Upsert addresses the record by external ID: PUT /record/v1/{type}/eid:{externalId}.',
      );
    }
    const externalId = key.slice(4);
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(externalId)) {
      throw new NsFailure(
        400,
        'INVALID_PARAMETER',
        `Invalid external ID ${externalId}: use letters, digits, "_" and "-".`,
      );
    }
    const input = parseBody(req, inputSchemas[type], type);
    const existing = records.resolve(type, key);
    const { id } = records.save({
      type,
      input,
      sublists: 'replace',
      externalIdFromPath: externalId,
      ...(existing ? { existing } : {}),
    });
    return created(req, type, id);
  }
  const record = records.resolve(type, key);
  if (record === undefined) {
    return nsError(
      404,
      'NONEXISTENT_ID',
      'The record instance does not exist. Provide a valid record instance ID.',
    );
  }
  if (sub === '!transform') {
    if (type !== 'salesOrder' || target !== 'invoice' || req.method !== 'POST') {
      throw new NsFailure(400, 'INVALID_PARAMETER', 'The sandbox transforms salesOrder to invoice only.');
    }
    const overrides = parseBody(req, InvoiceInput, 'invoice');
    return created(req, 'invoice', records.transformToInvoice(record, overrides));
  }
  if (sub !== undefined) {
    const lines = (record.data[sub] as { items?: unknown[] } | undefined)?.items;
    if (req.method !== 'GET' || lines === undefined) {
      return nsError(404, 'INVALID_URL', `Sublist ${sub} does not exist on this ${type}.`);
    }
    return {
      status: 200,
      headers: { 'content-type': collectionType },
      body: {
        links: [{ rel: 'self', href: `${recordUrl(origin(req), type, record.id)}/${sub}` }],
        items: lines.map((l) => ({ links: [], ...(l as object) })),
        totalResults: lines.length,
        count: lines.length,
        hasMore: false,
        offset: 0,
      },
    };
  }
  switch (req.method) {
    case 'GET': {
      const fields = req.query.get('fields');
      return {
        status: 200,
        headers: { 'content-type': singularType },
        body: renderRecord(origin(req), type, record.data, {
          expand: req.query.get('expandSubResources') === 'true',
          ...(fields ? { fields: fields.split(',').map((f) => f.trim()) } : {}),
        }),
      };
    }
    case 'PATCH': {
      const input = parseBody(req, inputSchemas[type], type);
      const replace = (req.query.get('replace') ?? '').split(',').map((s) => s.trim());
      records.save({
        type,
        input,
        existing: record,
        sublists: replace.includes('item') ? 'replace' : 'merge',
      });
      return { status: 204 };
    }
    case 'DELETE':
      records.delete(type, record);
      return { status: 204 };
    default:
      return nsError(405, 'INVALID_METHOD', `Method ${req.method} is not allowed on a ${type} record.`);
  }
}

function list(req: SandboxRequest, deps: RouteDeps, type: RecordType): SandboxResponse {
  const limit = intParam(req, 'limit', 1000, 1, 1000);
  const offset = intParam(req, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  if (offset % limit !== 0) {
    throw new NsFailure(
      400,
      'INVALID_PARAMETER',
      'Invalid value for query parameter offset. The offset value must be a multiple of the limit value.',
      {
        errorQueryParam: 'offset',
      },
    );
  }
  const q = req.query.get('q');
  let ids: string[];
  let total: number;
  if (q !== null && q.trim() !== '') {
    const filter = compileRecordFilter(q, filterFields[type]);
    const matching = deps.records.all(type).filter((r) => filter(r.data));
    total = matching.length;
    ids = matching.slice(offset, offset + limit).map((r) => r.id);
  } else {
    ({ ids, total } = deps.records.page(type, limit, offset));
  }
  const base = `${origin(req)}${recordPrefix}${type}`;
  const keep = new URLSearchParams();
  if (q !== null) keep.set('q', q);
  return {
    status: 200,
    headers: { 'content-type': collectionType },
    body: {
      links: pageLinks(base, keep, { limit, offset, total }),
      count: ids.length,
      hasMore: offset + ids.length < total,
      items: ids.map((id) => ({ links: [{ rel: 'self', href: `${base}/${id}` }], id })),
      offset,
      totalResults: total,
    },
  };
}

function suiteQl(req: SandboxRequest, deps: RouteDeps): SandboxResponse {
  if (req.method !== 'POST') return nsError(405, 'INVALID_METHOD', 'SuiteQL queries are sent with POST.');
  if (!/\btransient\b/i.test(req.headers.prefer ?? '')) {
    throw new NsFailure(400, 'INVALID_HEADER', "SuiteQL requests need the header 'Prefer: transient'.", {
      errorHeader: 'Prefer',
    });
  }
  const limit = intParam(req, 'limit', 1000, 1, 1000);
  const offset = intParam(req, 'offset', 0, 0, suiteQlMaxRows - 1);
  let body: unknown;
  try {
    body = JSON.parse(req.body);
  } catch {
    throw new NsFailure(400, 'INVALID_CONTENT', 'The request body is not valid JSON.');
  }
  const q = (body as { q?: unknown }).q;
  if (typeof q !== 'string' || q.trim() === '') {
    throw new NsFailure(400, 'INVALID_CONTENT', 'The request body needs a SuiteQL statement in "q".', {
      errorPath: 'q',
    });
  }
  const { rows, total } = deps.suiteql.run(q, { limit: Math.min(limit, suiteQlMaxRows - offset), offset });
  const reachable = Math.min(total, suiteQlMaxRows);
  return {
    status: 200,
    headers: { 'content-type': collectionType },
    body: {
      links: pageLinks(`${origin(req)}${suiteQlPath}`, new URLSearchParams(), {
        limit,
        offset,
        total: reachable,
      }),
      count: rows.length,
      hasMore: offset + rows.length < reachable,
      items: rows.map((r) => ({ links: [], ...r })),
      offset,
      totalResults: total,
    },
  };
}
