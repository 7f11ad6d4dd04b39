import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import { parseEncodedQuery } from './encoded-query.js';
import { noRecord, SnRequestError, snError } from './errors.js';
import type { DisplayMode, RenderOptions, SnTables } from './records.js';
import type { TableDef } from './tables.js';

/** `/api/now/table/{table}[/{sys_id}]`, with the optional version segment (`/api/now/v2/table/…`). */
const tablePath = /^\/api\/now\/(?:v\d+\/)?table\/([^/]+)(?:\/([^/]+))?\/?$/;
const defaultLimit = 10_000;

/**
 * The Table API: list with `sysparm_*` and Link/X-Total-Count paging, get, create, update
 * (PATCH and PUT alike) and delete, every answer wrapped in `{"result": …}`.
 */
export function handleTable(
  req: SandboxRequest,
  tables: SnTables,
  user: { name: string; canWrite: boolean },
): SandboxResponse {
  const canWrite = user.canWrite;
  const m = tablePath.exec(req.path);
  if (!m) return snError(400, 'Requested URI does not represent any resource', req.path);
  const def = tables.table(decodeURIComponent(m[1] ?? ''));
  if (def === undefined) return snError(404, `Invalid table ${m[1]}`, null);
  const sysId = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  const accept = req.headers.accept;
  if (accept !== undefined && !/json|\*\/\*|application\/\*/i.test(accept)) {
    return snError(406, 'Not Acceptable', `The sandbox answers application/json, not ${accept}`);
  }
  try {
    const render = renderOptions(req);
    if (sysId === undefined) {
      if (req.method === 'GET') return list(req, tables, def, render);
      if (req.method !== 'POST') return snError(405, 'Method not Supported', `${req.method} on a table`);
      if (!canWrite) return aclDenied('Insert');
      const record = tables.insert(def, readBody(req), user.name);
      return {
        status: 201,
        headers: { location: `${render.baseUrl}/api/now/table/${def.name}/${record.sys_id}` },
        body: { result: tables.render(def, record, render) },
      };
    }
    if (req.method === 'GET') {
      const record = tables.get(def.name, sysId);
      return record ? { status: 200, body: { result: tables.render(def, record, render) } } : noRecord();
    }
    if (req.method === 'PATCH' || req.method === 'PUT') {
      if (!canWrite) return aclDenied('Update');
      const body = readBody(req);
      const record = tables.update(def, sysId, body, user.name);
      return record ? { status: 200, body: { result: tables.render(def, record, render) } } : noRecord();
    }
    if (req.method === 'DELETE') {
      if (!canWrite) return aclDenied('Delete');
      return tables.delete(def, sysId) ? { status: 204 } : noRecord();
    }
    return snError(405, 'Method not Supported', `${req.method} on a record`);
  } catch (err) {
    if (err instanceof SnRequestError) return err.toResponse();
    throw err;
  }
}

function list(req: SandboxRequest, tables: SnTables, def: TableDef, render: RenderOptions): SandboxResponse {
  const q = req.query;
  const limit = intParam(q.get('sysparm_limit'), 'sysparm_limit', 1) ?? defaultLimit;
  const offset = intParam(q.get('sysparm_offset'), 'sysparm_offset', 0) ?? 0;
  const rows = tables.query(def, parseEncodedQuery(q.get('sysparm_query') ?? '', def));
  const page = rows.slice(offset, offset + limit);
  const headers: Record<string, string> = {};
  const noCount = flag(q.get('sysparm_no_count'));
  if (!noCount) headers['x-total-count'] = String(rows.length);
  if (!flag(q.get('sysparm_suppress_pagination_header'))) {
    headers.link = linkHeader(req, render.baseUrl, offset, limit, rows.length);
  }
  return { status: 200, headers, body: { result: page.map((r) => tables.render(def, r, render)) } };
}

/**
 * `Link` as the instance writes it: first, prev (when not on the first page), next (when rows
 * remain), last; each URL is the request's own with `sysparm_offset`/`sysparm_limit` replaced.
 */
function linkHeader(
  req: SandboxRequest,
  baseUrl: string,
  offset: number,
  limit: number,
  total: number,
): string {
  const at = (o: number, rel: string) => {
    const params = new URLSearchParams(req.query);
    params.set('sysparm_limit', String(limit));
    params.set('sysparm_offset', String(o));
    return `<${baseUrl}${req.path}?${params.toString()}>;rel="${rel}"`;
  };
  const links = [at(0, 'first')];
  if (offset > 0) links.push(at(Math.max(0, offset - limit), 'prev'));
  if (offset + limit < total) links.push(at(offset + limit, 'next'));
  links.push(at(total === 0 ? 0 : Math.floor((total - 1) / limit) * limit, 'last'));
  return links.join(',');
}

function renderOptions(req: SandboxRequest): RenderOptions {
  const q = req.query;
  const display = (q.get('sysparm_display_value') ?? 'false').toLowerCase();
  if (display !== 'false' && display !== 'true' && display !== 'all') {
    throw new SnRequestError(400, 'Invalid sysparm_display_value', `'${display}': use true, false or all`);
  }
  const fields = q.get('sysparm_fields');
  return {
    display: display as DisplayMode,
    excludeReferenceLink: flag(q.get('sysparm_exclude_reference_link')),
    fields:
      fields === null || fields.trim() === ''
        ? undefined
        : fields
            .split(',')
            .map((f) => f.trim())
            .filter((f) => f !== ''),
    baseUrl: `${req.url.protocol}//${req.url.host}`,
  };
}

function readBody(req: SandboxRequest): Record<string, unknown> {
  if (req.body.trim() === '') return {};
  const type = req.headers['content-type'] ?? '';
  if (!/json/i.test(type)) {
    throw new SnRequestError(
      415,
      'Unsupported Media Type',
      `Content-Type ${type || '(none)'}: send application/json`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body);
  } catch {
    throw new SnRequestError(400, 'Exception while reading request', 'The payload is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SnRequestError(400, 'Exception while reading request', 'The payload must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

function intParam(raw: string | null, name: string, min: number): number | undefined {
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw new SnRequestError(400, `Invalid ${name}`, `'${raw}' is not an integer >= ${min}`);
  }
  return Number(raw);
}

function flag(raw: string | null): boolean {
  return raw !== null && raw.toLowerCase() === 'true';
}

const aclDenied = (op: string) =>
  snError(403, 'Operation Failed', `ACL Exception ${op} Failed due to security constraints`);
