import type { SandboxRequest } from '../common/server.js';
import { listPage } from './paging.js';
import {
  emitRecordEvent,
  saveWithChangeEvents,
  searchAnswer,
  type WritableKind,
  writeRoutes,
} from './record-writes.js';
import { type FieldError, json, num, recordNotFound, strings } from './responses.js';
import {
  apiUrl,
  insert,
  isoSeconds,
  load,
  loadAll,
  nextId,
  nowSeconds,
  type Route,
  save,
  type ZendeskRecord,
  type ZendeskState,
} from './state.js';

/** A stored organization; `deleted_at` is sandbox bookkeeping that only the incremental export shows. */
export type Organization = ZendeskRecord & {
  id: number;
  name: string;
  external_id: string | null;
  tags: string[];
  deleted_at?: string | null;
};

const editable = [
  'name',
  'external_id',
  'domain_names',
  'details',
  'notes',
  'group_id',
  'shared_tickets',
  'shared_comments',
  'tags',
  'organization_fields',
] as const;

/** The organization as the API returns it. */
export function renderOrganization(req: SandboxRequest, org: Organization): Record<string, unknown> {
  const { deleted_at: _hidden, ...rest } = org;
  return { url: apiUrl(req, `organizations/${org.id}`), ...rest };
}

export function liveOrganizations(state: ZendeskState): Organization[] {
  return loadAll<Organization>(state, 'organization').filter((o) => !o.deleted_at);
}

function findLive(state: ZendeskState, id: string | number | undefined): Organization | undefined {
  if (id === undefined) return undefined;
  const org = load<Organization>(state, 'organization', id)?.data;
  return org && !org.deleted_at ? org : undefined;
}

/** Zendesk organization names are unique regardless of case and surrounding spaces. */
const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

function validate(
  state: ZendeskState,
  fields: Record<string, unknown>,
  self: Organization | undefined,
): FieldError[] {
  const errors: FieldError[] = [];
  const name = fields.name;
  if (name !== undefined || self === undefined) {
    if (typeof name !== 'string' || name.trim() === '') {
      errors.push({ field: 'name', error: 'BlankValue', description: 'Name: cannot be blank' });
    } else if (liveOrganizations(state).some((o) => o.id !== self?.id && sameName(o.name, name))) {
      errors.push({ field: 'name', error: 'DuplicateValue', description: 'Name: has already been taken' });
    }
  }
  const ext = fields.external_id;
  if (ext !== undefined && ext !== null && typeof ext !== 'string' && typeof ext !== 'number') {
    errors.push({ field: 'external_id', error: 'InvalidValue', description: 'External: is invalid' });
  }
  for (const key of ['domain_names', 'tags'] as const) {
    if (fields[key] !== undefined && strings(fields[key])?.length !== (fields[key] as unknown[]).length) {
      errors.push({ field: key, error: 'InvalidValue', description: `${key}: must be a list of strings` });
    }
  }
  return errors;
}

function apply(base: Organization, fields: Record<string, unknown>): Organization {
  const next: Organization = { ...base };
  for (const key of editable) {
    if (fields[key] === undefined) continue;
    if (key === 'external_id')
      next.external_id = fields.external_id === null ? null : String(fields.external_id);
    else if (key === 'tags') next.tags = (strings(fields.tags) ?? []).map((t) => t.toLowerCase());
    // Validated above; the stored record is loosely typed beyond the fields we read back.
    else (next as Record<string, unknown>)[key] = fields[key];
  }
  return next;
}

function create(state: ZendeskState, fields: Record<string, unknown>): Organization {
  const at = isoSeconds(nowSeconds(state));
  const org = apply(
    {
      id: nextId(state, 'organization'),
      name: '',
      shared_tickets: false,
      shared_comments: false,
      external_id: null,
      created_at: at,
      updated_at: at,
      domain_names: [],
      details: null,
      notes: null,
      group_id: null,
      tags: [],
      organization_fields: {},
    },
    fields,
  );
  insert(state, 'organization', org);
  emitRecordEvent(state, 'organization', org.id, 'created', eventDetail(org));
  return org;
}

function update(state: ZendeskState, org: Organization, fields: Record<string, unknown>): Organization {
  const next = apply(org, fields);
  next.updated_at = isoSeconds(nowSeconds(state));
  return saveWithChangeEvents(
    state,
    'organization',
    { before: org, next, watched: ['name', 'external_id'] },
    eventDetail,
  );
}

/** The organization snapshot of an event: string ids, as Zendesk's event payloads carry them. */
function eventDetail(org: Organization): Record<string, unknown> {
  return {
    created_at: org.created_at,
    external_id: org.external_id,
    group_id: org.group_id === null || org.group_id === undefined ? null : String(org.group_id),
    id: String(org.id),
    name: org.name,
    shared_comments: org.shared_comments,
    shared_tickets: org.shared_tickets,
    updated_at: org.updated_at,
  };
}

const list: Route = (state, req) =>
  listPage(
    req,
    liveOrganizations(state).map((o) => renderOrganization(req, o)) as ZendeskRecord[],
    'organizations',
  );

const organizations: WritableKind<Organization> = {
  type: 'organization',
  collection: 'organizations',
  render: renderOrganization,
  validate,
  writable: findLive,
  /** Matched by `id`, then `external_id`. */
  match: (state, fields) => {
    const ext = fields.external_id;
    return (
      findLive(state, num(fields.id)) ??
      (typeof ext === 'string' || typeof ext === 'number'
        ? liveOrganizations(state).find((o) => o.external_id === String(ext))
        : undefined)
    );
  },
  create,
  update,
};

const writes = writeRoutes(organizations);

const show: Route = (state, req, [id]) => {
  const org = findLive(state, id);
  return org ? json(200, { organization: renderOrganization(req, org) }) : recordNotFound();
};

const remove: Route = (state, _req, [id]) => {
  const org = findLive(state, id);
  if (!org) return recordNotFound();
  const at = isoSeconds(nowSeconds(state));
  save(state, 'organization', { ...org, deleted_at: at, updated_at: at });
  emitRecordEvent(state, 'organization', org.id, 'deleted', eventDetail({ ...org, updated_at: at }));
  return { status: 204 };
};

/** `GET /organizations/search?external_id=…` or `?name=…` (exact name, case-insensitive). */
const search: Route = (state, req) => {
  const ext = req.query.get('external_id');
  const name = req.query.get('name');
  if (ext === null && name === null) {
    return json(400, { error: 'InvalidValue', description: 'Provide external_id or name' });
  }
  const found = liveOrganizations(state).filter(
    (o) => (ext === null || o.external_id === ext) && (name === null || sameName(o.name, name)),
  );
  return searchAnswer(req, organizations, found);
};

export const organizationRoutes: [string, RegExp, Route][] = [
  ['GET', /^\/api\/v2\/organizations$/, list],
  ['POST', /^\/api\/v2\/organizations$/, writes.create],
  ['POST', /^\/api\/v2\/organizations\/create_or_update$/, writes.createOrUpdate],
  ['GET', /^\/api\/v2\/organizations\/search$/, search],
  ['GET', /^\/api\/v2\/organizations\/(\d+)$/, show],
  ['PUT', /^\/api\/v2\/organizations\/(\d+)$/, writes.update],
  ['DELETE', /^\/api\/v2\/organizations\/(\d+)$/, remove],
];
