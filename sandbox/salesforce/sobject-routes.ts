import type { SandboxResponse } from '../common/server.js';
import { notFound, SalesforceFault } from './errors.js';
import { normaliseId } from './ids.js';
import { type ObjectDef, objectNamed, sobjects } from './objects.js';
import { type SfRecord, type SObjectRepository, withAttributes } from './records.js';

/** What an sObject route needs: the records and the API version the caller addressed. */
export interface RouteContext {
  repo: SObjectRepository;
  apiVersion: string;
}

/**
 * `/sobjects…`: global and object describe, create (POST), retrieve / update / delete by id,
 * retrieve and upsert by external id (`PATCH /sobjects/{Obj}/{ExtIdField}/{value}`: 201 created,
 * 200 `{created:false}` from API v46 on and 204 before it, 300 when the value matches several).
 */
export function sobjectRoute(
  ctx: RouteContext,
  method: string,
  segments: string[],
  query: URLSearchParams,
  body: unknown,
): SandboxResponse {
  if (segments.length === 0) {
    if (method !== 'GET') throw methodNotAllowed(method, 'GET');
    return { status: 200, body: globalDescribe(ctx.apiVersion) };
  }
  const def = objectNamed(segments[0] as string);
  if (def === undefined) throw notFound();
  const [, second, third] = segments;
  if (segments.length === 1) {
    if (method === 'POST') {
      const record = ctx.repo.create(def, body);
      return { status: 201, body: { id: record.Id, success: true, errors: [] } };
    }
    if (method === 'GET')
      return { status: 200, body: { objectDescribe: objectSummary(def, ctx.apiVersion) } };
    throw methodNotAllowed(method, 'GET, POST');
  }
  if (segments.length === 2 && second === 'describe') {
    if (method !== 'GET') throw methodNotAllowed(method, 'GET');
    return { status: 200, body: describe(def, ctx.apiVersion) };
  }
  if (segments.length === 2) {
    const id = normaliseId(second as string);
    if (id === undefined || !id.startsWith(def.keyPrefix)) {
      throw new SalesforceFault(
        404,
        'NOT_FOUND',
        `Provided external ID field does not exist or is not accessible: ${second}`,
      );
    }
    if (method === 'GET') return { status: 200, body: project(ctx, def, ctx.repo.live(def, id), query) };
    if (method === 'PATCH') {
      ctx.repo.update(def, id, body);
      return { status: 204 };
    }
    if (method === 'DELETE') {
      ctx.repo.delete(def, id);
      return { status: 204 };
    }
    throw methodNotAllowed(method, 'GET, PATCH, DELETE');
  }
  if (segments.length === 3) {
    const field = def.byLower.get((second as string).toLowerCase());
    if (field === undefined || !field.externalId) {
      throw new SalesforceFault(
        404,
        'NOT_FOUND',
        `Provided external ID field does not exist or is not accessible: ${second}`,
      );
    }
    const value = decodeURIComponent(third as string);
    const found = ctx.repo.findBy(def, field.name, value);
    if (found.length > 1) {
      return {
        status: 300,
        body: found.map((r) => `/services/data/v${ctx.apiVersion}/sobjects/${def.name}/${String(r.Id)}`),
      };
    }
    if (method === 'GET') {
      const record = found[0];
      if (record === undefined) throw notFound();
      return { status: 200, body: project(ctx, def, record, query) };
    }
    if (method === 'PATCH') return upsert(ctx, def, field.name, value, found[0], body, query);
    if (method === 'DELETE') {
      if (found[0] === undefined) throw notFound();
      ctx.repo.delete(def, found[0].Id as string);
      return { status: 204 };
    }
    throw methodNotAllowed(method, 'GET, PATCH, DELETE');
  }
  throw notFound();
}

function upsert(
  ctx: RouteContext,
  def: ObjectDef,
  field: string,
  value: string,
  existing: SfRecord | undefined,
  body: unknown,
  query: URLSearchParams,
): SandboxResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SalesforceFault(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
  }
  const fields = { ...(body as Record<string, unknown>) };
  for (const key of Object.keys(fields)) {
    if (key.toLowerCase() !== field.toLowerCase()) continue;
    // The URL names the key; a body that disagrees with it is refused rather than silently ignored.
    if (String(fields[key]).toLowerCase() !== value.toLowerCase()) {
      throw new SalesforceFault(
        400,
        'INVALID_FIELD',
        `The value of ${field} in the request body does not match the external ID in the URL`,
        [field],
      );
    }
    delete fields[key];
  }
  const modern = Number(ctx.apiVersion) >= 46;
  if (existing === undefined) {
    if (query.get('updateOnly') === 'true') throw notFound();
    const record = ctx.repo.create(def, { ...fields, [field]: value });
    const result = { id: record.Id, success: true, errors: [], created: true };
    return { status: 201, body: result };
  }
  ctx.repo.update(def, existing.Id as string, fields);
  if (!modern) return { status: 204 };
  return { status: 200, body: { id: existing.Id, success: true, errors: [], created: false } };
}

/** `?fields=A,B` limits the answer to those fields (unknown ones are INVALID_FIELD). */
function project(ctx: RouteContext, def: ObjectDef, record: SfRecord, query: URLSearchParams) {
  const wanted = query.get('fields');
  if (wanted === null || wanted.trim() === '') return withAttributes(def, record, ctx.apiVersion);
  const out: SfRecord = {};
  for (const raw of wanted.split(',')) {
    const f = def.byLower.get(raw.trim().toLowerCase());
    if (f === undefined) {
      throw new SalesforceFault(
        400,
        'INVALID_FIELD',
        `No such column '${raw.trim()}' on entity '${def.name}'`,
      );
    }
    out[f.name] = record[f.name] ?? null;
  }
  out.Id = record.Id ?? null;
  return withAttributes(def, out, ctx.apiVersion);
}

function methodNotAllowed(method: string, allowed: string): SalesforceFault {
  return new SalesforceFault(
    405,
    'METHOD_NOT_ALLOWED',
    `HTTP Method '${method}' not allowed. Allowed are ${allowed}`,
  );
}

function objectSummary(def: ObjectDef, v: string) {
  return {
    name: def.name,
    label: def.name,
    keyPrefix: def.keyPrefix,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    urls: {
      sobject: `/services/data/v${v}/sobjects/${def.name}`,
      describe: `/services/data/v${v}/sobjects/${def.name}/describe`,
      rowTemplate: `/services/data/v${v}/sobjects/${def.name}/{ID}`,
    },
  };
}

function globalDescribe(v: string) {
  return {
    encoding: 'UTF-8',
    maxBatchSize: 200,
    sobjects: [...sobjects.values()].map((d) => objectSummary(d, v)),
  };
}

/** A describe with the facts clients use: names, types, lengths, and the create/update/external-id flags. */
function describe(def: ObjectDef, v: string) {
  return {
    ...objectSummary(def, v),
    fields: def.fields.map((f) => ({
      name: f.name,
      label: f.name,
      type: f.type,
      length: f.length ?? 0,
      nillable: !f.required && f.type !== 'boolean',
      createable: !f.readOnly,
      updateable: !f.readOnly && !f.createOnly,
      externalId: f.externalId === true,
      unique: f.unique === true,
      custom: f.name.endsWith('__c'),
      referenceTo: (f.referenceTo ?? []).map(
        (p) => [...sobjects.values()].find((d) => d.keyPrefix === p)?.name ?? 'User',
      ),
    })),
  };
}
