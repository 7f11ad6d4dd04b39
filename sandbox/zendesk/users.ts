import type { SandboxRequest } from '../common/server.js';
import { liveOrganizations } from './organizations.js';
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

export type User = ZendeskRecord & {
  id: number;
  name: string;
  email: string | null;
  role: 'end-user' | 'agent' | 'admin';
  organization_id: number | null;
  external_id: string | null;
  active: boolean;
  tags: string[];
};

const roles = ['end-user', 'agent', 'admin'] as const;
const editable = [
  'name',
  'email',
  'role',
  'organization_id',
  'external_id',
  'phone',
  'alias',
  'time_zone',
  'locale',
  'verified',
  'suspended',
  'tags',
  'user_fields',
  'details',
  'notes',
] as const;

export function renderUser(req: SandboxRequest, user: User): Record<string, unknown> {
  return { url: apiUrl(req, `users/${user.id}`), ...user };
}

/** Deleted users stay readable by id (inactive) but leave lists, searches and matching. */
export function liveUsers(state: ZendeskState): User[] {
  return loadAll<User>(state, 'user').filter((u) => u.active);
}

export function findUser(state: ZendeskState, id: string | number | undefined): User | undefined {
  return id === undefined ? undefined : load<User>(state, 'user', id)?.data;
}

/** Zendesk matches email identities regardless of case. */
export function userByEmail(state: ZendeskState, email: string): User | undefined {
  const wanted = email.trim().toLowerCase();
  return liveUsers(state).find((u) => u.email?.toLowerCase() === wanted);
}

function validate(
  state: ZendeskState,
  fields: Record<string, unknown>,
  self: User | undefined,
): FieldError[] {
  const errors: FieldError[] = [];
  if (fields.name !== undefined || self === undefined) {
    if (typeof fields.name !== 'string' || fields.name.trim() === '') {
      errors.push({
        field: 'name',
        error: 'BlankValue',
        description: 'Name: is too short (minimum one character)',
      });
    }
  }
  const email = fields.email;
  if (email !== undefined && email !== null) {
    if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) {
      errors.push({
        field: 'email',
        error: 'InvalidFormat',
        description: `Email: ${String(email)} is not properly formatted`,
      });
    } else {
      const other = userByEmail(state, email);
      if (other && other.id !== self?.id) {
        errors.push({
          field: 'email',
          error: 'DuplicateValue',
          description: `Email: ${email} is already being used by another user`,
        });
      }
    }
  }
  if (fields.role !== undefined && !roles.includes(fields.role as User['role'])) {
    errors.push({ field: 'role', error: 'InvalidValue', description: 'Role: is not included in the list' });
  }
  const org = fields.organization_id;
  if (org !== undefined && org !== null && !liveOrganizations(state).some((o) => o.id === num(org))) {
    errors.push({ field: 'organization_id', error: 'InvalidValue', description: 'Organization: is invalid' });
  }
  return errors;
}

function apply(base: User, fields: Record<string, unknown>): User {
  const next: User = { ...base };
  for (const key of editable) {
    const v = fields[key];
    if (v === undefined) continue;
    if (key === 'external_id') next.external_id = v === null ? null : String(v);
    else if (key === 'organization_id') next.organization_id = v === null ? null : (num(v) ?? null);
    else if (key === 'email') next.email = v === null ? null : String(v).trim();
    else if (key === 'tags') next.tags = (strings(v) ?? []).map((t) => t.toLowerCase());
    else (next as Record<string, unknown>)[key] = v;
  }
  return next;
}

/**
 * A user with Zendesk's defaults for every field not given, seeded or created alike. Unverified,
 * as a user the API creates is until they confirm their address.
 */
export function newUser(
  id: number,
  fields: Partial<User> & Pick<User, 'name' | 'email' | 'created_at' | 'updated_at'>,
): User {
  const { name, email, created_at, updated_at, ...rest } = fields;
  return {
    id,
    name,
    email,
    created_at,
    updated_at,
    time_zone: 'UTC',
    iana_time_zone: 'Etc/UTC',
    phone: null,
    shared_phone_number: null,
    locale_id: 1,
    locale: 'en-US',
    organization_id: null,
    role: 'end-user',
    verified: false,
    external_id: null,
    tags: [],
    alias: null,
    active: true,
    shared: false,
    shared_agent: false,
    last_login_at: null,
    two_factor_auth_enabled: false,
    signature: null,
    details: null,
    notes: null,
    role_type: null,
    custom_role_id: null,
    moderator: false,
    ticket_restriction: 'requested',
    only_private_comments: false,
    restricted_agent: true,
    suspended: false,
    default_group_id: null,
    report_csv: false,
    user_fields: {},
    ...rest,
  };
}

/** Creates a user (also used for a ticket's new requester); validate first. */
export function createUser(state: ZendeskState, fields: Record<string, unknown>): User {
  const at = isoSeconds(nowSeconds(state));
  const user = apply(
    newUser(nextId(state, 'user'), { name: '', email: null, created_at: at, updated_at: at }),
    fields,
  );
  insert(state, 'user', user);
  emitRecordEvent(state, 'user', user.id, 'created', eventDetail(user));
  return user;
}

function update(state: ZendeskState, user: User, fields: Record<string, unknown>): User {
  const next = apply(user, fields);
  next.updated_at = isoSeconds(nowSeconds(state));
  return saveWithChangeEvents(
    state,
    'user',
    { before: user, next, watched: ['name', 'external_id', 'role'] },
    eventDetail,
  );
}

function eventDetail(user: User): Record<string, unknown> {
  return {
    created_at: user.created_at,
    email: user.email,
    external_id: user.external_id,
    id: String(user.id),
    organization_id: user.organization_id === null ? null : String(user.organization_id),
    role: user.role,
    updated_at: user.updated_at,
  };
}

const list: Route = (state, req) =>
  listPage(req, liveUsers(state).map((u) => renderUser(req, u)) as ZendeskRecord[], 'users');

const users: WritableKind<User> = {
  type: 'user',
  collection: 'users',
  render: renderUser,
  validate,
  // Deleted (inactive) users can be read by id but not changed.
  writable: (state, id) => {
    const user = findUser(state, id);
    return user?.active ? user : undefined;
  },
  /** Matched by `external_id`, then by email. */
  match: (state, fields) => {
    const ext = fields.external_id;
    return (
      (typeof ext === 'string' || typeof ext === 'number'
        ? liveUsers(state).find((u) => u.external_id === String(ext))
        : undefined) ?? (typeof fields.email === 'string' ? userByEmail(state, fields.email) : undefined)
    );
  },
  create: createUser,
  update,
};

const writes = writeRoutes(users);

const show: Route = (state, req, [id]) => {
  const user = findUser(state, id);
  return user ? json(200, { user: renderUser(req, user) }) : recordNotFound();
};

/** Zendesk deletes a user by deactivating it and answers 200 with the inactive user. */
const remove: Route = (state, req, [id]) => {
  const user = findUser(state, id);
  if (!user) return recordNotFound();
  if (!user.active) return json(200, { user: renderUser(req, user) });
  const at = isoSeconds(nowSeconds(state));
  const gone: User = { ...user, active: false, updated_at: at };
  save(state, 'user', gone);
  emitRecordEvent(state, 'user', user.id, 'deleted', eventDetail(gone));
  return json(200, { user: renderUser(req, gone) });
};

/** `?external_id=…`, or `?query=` with `email:<address>` (exact, any case) or free text on name and email. */
const search: Route = (state, req) => {
  const ext = req.query.get('external_id');
  const query = req.query.get('query')?.trim();
  if (ext === null && !query)
    return json(400, { error: 'InvalidValue', description: 'Provide query or external_id' });
  let found: User[];
  if (ext !== null) found = liveUsers(state).filter((u) => u.external_id === ext);
  else if (query?.toLowerCase().startsWith('email:')) {
    const one = userByEmail(state, query.slice(6));
    found = one ? [one] : [];
  } else {
    const needle = (query ?? '').toLowerCase();
    found = liveUsers(state).filter(
      (u) => u.name.toLowerCase().includes(needle) || (u.email ?? '').toLowerCase().includes(needle),
    );
  }
  return searchAnswer(req, users, found);
};

export const userRoutes: [string, RegExp, Route][] = [
  ['GET', /^\/api\/v2\/users$/, list],
  ['POST', /^\/api\/v2\/users$/, writes.create],
  ['POST', /^\/api\/v2\/users\/create_or_update$/, writes.createOrUpdate],
  ['GET', /^\/api\/v2\/users\/search$/, search],
  ['GET', /^\/api\/v2\/users\/(\d+)$/, show],
  ['PUT', /^\/api\/v2\/users\/(\d+)$/, writes.update],
  ['DELETE', /^\/api\/v2\/users\/(\d+)$/, remove],
];
