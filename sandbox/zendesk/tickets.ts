import { createHash } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import { liveOrganizations } from './organizations.js';
import { listPage } from './paging.js';
import {
  type FieldError,
  json,
  num,
  readRoot,
  recordInvalid,
  recordNotFound,
  str,
  strings,
} from './responses.js';
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
import { createUser, findUser, type User, userByEmail } from './users.js';

export const ticketStatuses = ['new', 'open', 'pending', 'hold', 'solved', 'closed'] as const;
const priorities = ['urgent', 'high', 'normal', 'low'] as const;
const types = ['problem', 'incident', 'question', 'task'] as const;

/** A stored ticket; status `deleted` is a soft delete only the incremental export shows. */
export type Ticket = ZendeskRecord & {
  id: number;
  status: (typeof ticketStatuses)[number] | 'deleted';
  priority: string | null;
  subject: string | null;
  external_id: string | null;
  requester_id: number;
  assignee_id: number | null;
  organization_id: number | null;
  tags: string[];
};

export type Comment = ZendeskRecord & { id: number; ticket_id: number; body: string; public: boolean };

export function renderTicket(req: SandboxRequest, t: Ticket): Record<string, unknown> {
  return { url: apiUrl(req, `tickets/${t.id}`), ...t };
}

export function liveTickets(state: ZendeskState): Ticket[] {
  return loadAll<Ticket>(state, 'ticket').filter((t) => t.status !== 'deleted');
}

function findLive(state: ZendeskState, id: string | undefined): Ticket | undefined {
  if (id === undefined) return undefined;
  const t = load<Ticket>(state, 'ticket', id)?.data;
  return t && t.status !== 'deleted' ? t : undefined;
}

const tagsOf = (v: unknown) => [
  ...new Set((strings(v) ?? []).flatMap((t) => t.toLowerCase().split(/\s+/)).filter(Boolean)),
];

function validate(state: ZendeskState, f: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  const oneOf = (field: string, allowed: readonly string[], label: string) => {
    const v = f[field];
    if (v !== undefined && v !== null && !allowed.includes(String(v))) {
      errors.push({ field, error: 'InvalidValue', description: `${label}: ${String(v)} is not valid` });
    }
  };
  oneOf('status', ticketStatuses, 'Status');
  oneOf('priority', priorities, 'Priority');
  oneOf('type', types, 'Type');
  for (const [field, label] of [
    ['requester_id', 'Requester'],
    ['assignee_id', 'Assignee'],
  ] as const) {
    const id = f[field];
    if (id !== undefined && id !== null && !findUser(state, num(id) ?? -1)?.active) {
      errors.push({
        field: field.replace('_id', ''),
        error: 'InvalidValue',
        description: `${label}: is invalid`,
      });
    }
  }
  const org = f.organization_id;
  if (org !== undefined && org !== null && !liveOrganizations(state).some((o) => o.id === num(org))) {
    errors.push({ field: 'organization_id', error: 'InvalidValue', description: 'Organization: is invalid' });
  }
  return errors;
}

function commentText(c: unknown): { body: string; public: boolean } | undefined {
  if (typeof c === 'string') return c.trim() === '' ? undefined : { body: c, public: true };
  if (typeof c !== 'object' || c === null) return undefined;
  const o = c as Record<string, unknown>;
  const body = str(o.body) ?? str(o.html_body)?.replace(/<[^>]*>/g, '') ?? '';
  return body.trim() === '' ? undefined : { body, public: o.public !== false };
}

function addComment(
  state: ZendeskState,
  ticket: Ticket,
  text: { body: string; public: boolean },
  authorId: number,
  at: string,
): Comment {
  const comment: Comment = {
    id: nextId(state, 'comment'),
    ticket_id: ticket.id,
    type: 'Comment',
    author_id: authorId,
    body: text.body,
    html_body: `<div class="zd-comment"><p>${escapeHtml(text.body)}</p></div>`,
    plain_body: text.body,
    public: text.public,
    attachments: [],
    via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
    metadata: { system: {}, custom: {} },
    created_at: at,
    updated_at: at,
  };
  return insert(state, 'comment', comment);
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Ticket snapshot of an event: string ids and upper-case enums, as Zendesk's event payloads carry them. */
function eventDetail(t: Ticket, actorId: number): Record<string, unknown> {
  const id = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    actor_id: String(actorId),
    assignee_id: id(t.assignee_id),
    brand_id: id(t.brand_id),
    created_at: t.created_at,
    custom_status: id(t.custom_status_id),
    description: t.description,
    external_id: t.external_id,
    form_id: id(t.ticket_form_id),
    group_id: id(t.group_id),
    id: String(t.id),
    is_public: t.is_public,
    organization_id: id(t.organization_id),
    priority: t.priority === null ? null : t.priority.toUpperCase(),
    requester_id: String(t.requester_id),
    status: t.status.toUpperCase(),
    subject: t.subject,
    submitter_id: id(t.submitter_id),
    tags: t.tags,
    type: typeof t.type === 'string' ? t.type.toUpperCase() : null,
    updated_at: t.updated_at,
    via: { channel: (t.via as { channel?: string } | undefined)?.channel ?? 'api' },
  };
}

function agentId(state: ZendeskState, account: string): number {
  return userByEmail(state, account)?.id ?? 0;
}

/** Creates a ticket from a validated body; shared by the API and the seed's shape. */
function createTicket(
  state: ZendeskState,
  f: Record<string, unknown>,
  account: string,
): Ticket | SandboxResponse {
  const text = commentText(f.comment);
  if (!text)
    return recordInvalid([
      { field: 'base', error: 'BlankValue', description: 'Description: cannot be blank' },
    ]);
  const errors = validate(state, f);
  if (errors.length > 0) return recordInvalid(errors);
  const submitter = agentId(state, account);
  let requester: User | undefined = findUser(state, num(f.requester_id) ?? -1);
  if (!requester && typeof f.requester === 'object' && f.requester !== null) {
    const r = f.requester as Record<string, unknown>;
    const email = str(r.email);
    if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      return recordInvalid([
        { field: 'requester', error: 'InvalidValue', description: 'Requester: email is invalid' },
      ]);
    }
    requester =
      userByEmail(state, email) ?? createUser(state, { name: str(r.name) ?? email.split('@')[0], email });
  }
  const at = isoSeconds(nowSeconds(state));
  const assignee = num(f.assignee_id) ?? null;
  const ticket: Ticket = {
    id: nextId(state, 'ticket'),
    external_id: f.external_id === undefined || f.external_id === null ? null : String(f.external_id),
    via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
    created_at: at,
    updated_at: at,
    type: str(f.type) ?? null,
    subject: str(f.subject) ?? text.body.slice(0, 80),
    raw_subject: str(f.subject) ?? text.body.slice(0, 80),
    description: text.body,
    priority: str(f.priority) ?? null,
    status: (str(f.status) as Ticket['status'] | undefined) ?? (assignee === null ? 'new' : 'open'),
    recipient: null,
    requester_id: requester?.id ?? submitter,
    submitter_id: submitter,
    assignee_id: assignee,
    organization_id: num(f.organization_id) ?? requester?.organization_id ?? null,
    group_id: num(f.group_id) ?? null,
    collaborator_ids: [],
    follower_ids: [],
    email_cc_ids: [],
    forum_topic_id: null,
    problem_id: null,
    has_incidents: false,
    is_public: text.public,
    due_at: str(f.due_at) ?? null,
    tags: tagsOf(f.tags),
    custom_fields: Array.isArray(f.custom_fields) ? f.custom_fields : [],
    satisfaction_rating: null,
    sharing_agreement_ids: [],
    custom_status_id: 1,
    fields: Array.isArray(f.custom_fields) ? f.custom_fields : [],
    followup_ids: [],
    ticket_form_id: null,
    brand_id: 1,
    allow_channelback: false,
    allow_attachments: true,
    from_messaging_channel: false,
  };
  insert(state, 'ticket', ticket);
  addComment(state, ticket, text, submitter, at);
  state.emit({
    type: 'zen:event-type:ticket.created',
    subject: `zen:ticket:${ticket.id}`,
    detail: eventDetail(ticket, submitter),
    event: {},
  });
  return ticket;
}

/** Keys are kept per account; the same key with another body is refused (HTTP 400). */
function fingerprint(raw: string): string {
  let canonical = raw;
  try {
    canonical = stable(JSON.parse(raw));
  } catch {
    // an unparsable body is fingerprinted as sent; the route refuses it anyway
  }
  return createHash('sha256').update(canonical).digest('hex');
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const createRoute: Route = (state, req, _params, account) => {
  const key = req.headers['idempotency-key'];
  const print = fingerprint(req.body);
  if (key !== undefined) {
    const saved = state.kit.store.getAnswer(
      account,
      `ticket:${key}`,
      state.kit.now() - state.idempotencyTtlMs,
    );
    if (saved) {
      if (saved.fingerprint !== print) {
        return json(400, {
          error: 'IdempotentRequestError',
          description: 'The idempotency key was already used with different request parameters',
        });
      }
      return {
        status: saved.status,
        body: saved.body,
        headers: { 'content-type': 'application/json; charset=utf-8', 'x-idempotency-lookup': 'hit' },
      };
    }
  }
  const read = readRoot(req.body, 'ticket');
  if ('refusal' in read) return read.refusal;
  const created = createTicket(state, read.body, account);
  if (!('id' in created)) return created;
  const body = JSON.stringify({
    ticket: renderTicket(req, created),
    audit: audit(created, read.body, state, account),
  });
  if (key !== undefined) {
    state.kit.store.putAnswer(account, `ticket:${key}`, {
      fingerprint: print,
      status: 201,
      body,
      createdMs: state.kit.now(),
    });
  }
  return {
    status: 201,
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      location: apiUrl(req, `tickets/${created.id}`),
      ...(key === undefined ? {} : { 'x-idempotency-lookup': 'miss' }),
    },
  };
};

function audit(t: Ticket, fields: Record<string, unknown>, state: ZendeskState, account: string) {
  return {
    id: nextId(state, 'comment'),
    ticket_id: t.id,
    created_at: t.updated_at,
    author_id: agentId(state, account),
    metadata: { system: {}, custom: (fields.metadata as { custom?: unknown } | undefined)?.custom ?? {} },
    via: { channel: 'api' },
    events: [],
  };
}

const updateRoute: Route = (state, req, [id], account) => {
  const ticket = findLive(state, id);
  if (!ticket) return recordNotFound();
  const read = readRoot(req.body, 'ticket');
  if ('refusal' in read) return read.refusal;
  const f = read.body;
  if (f.safe_update === true && f.updated_stamp !== undefined && f.updated_stamp !== ticket.updated_at) {
    return json(409, {
      error: 'UpdateConflict',
      description:
        'Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again.',
    });
  }
  if (ticket.status === 'closed') {
    return recordInvalid([
      { field: 'status', error: 'InvalidValue', description: 'Status: closed prevents ticket update' },
    ]);
  }
  const errors = validate(state, f);
  if (errors.length > 0) return recordInvalid(errors);
  const actor = agentId(state, account);
  const at = isoSeconds(nowSeconds(state));
  const next: Ticket = { ...ticket, updated_at: at };
  for (const key of ['subject', 'status', 'priority', 'type', 'due_at', 'external_id'] as const) {
    if (f[key] !== undefined)
      (next as Record<string, unknown>)[key] = f[key] === null ? null : String(f[key]);
  }
  if (f.subject !== undefined) next.raw_subject = next.subject;
  for (const key of ['assignee_id', 'group_id', 'organization_id', 'requester_id'] as const) {
    if (f[key] !== undefined && !(key === 'requester_id' && f[key] === null)) {
      (next as Record<string, unknown>)[key] = f[key] === null ? null : (num(f[key]) ?? null);
    }
  }
  if (f.custom_fields !== undefined) next.custom_fields = f.custom_fields;
  if (f.tags !== undefined) next.tags = tagsOf(f.tags);
  if (f.additional_tags !== undefined) next.tags = [...new Set([...next.tags, ...tagsOf(f.additional_tags)])];
  if (f.remove_tags !== undefined) {
    const drop = new Set(tagsOf(f.remove_tags));
    next.tags = next.tags.filter((t) => !drop.has(t));
  }
  if (next.status === 'new' && next.assignee_id !== null && f.status === undefined) next.status = 'open';
  const text = commentText(f.comment);
  save(state, 'ticket', next);
  const emit = (type: string, event: Record<string, unknown>) =>
    state.emit({
      type: `zen:event-type:ticket.${type}`,
      subject: `zen:ticket:${ticket.id}`,
      detail: eventDetail(next, actor),
      event,
    });
  for (const [field, type] of [
    ['status', 'status_changed'],
    ['priority', 'priority_changed'],
    ['subject', 'subject_changed'],
    ['assignee_id', 'agent_assignment_changed'],
    ['external_id', 'external_id_changed'],
  ] as const) {
    if (ticket[field] !== next[field]) {
      const upper = (v: unknown) =>
        typeof v === 'string' && field !== 'subject' && field !== 'external_id' ? v.toUpperCase() : v;
      emit(type, { current: upper(next[field]), previous: upper(ticket[field]) });
    }
  }
  const added = next.tags.filter((t) => !ticket.tags.includes(t));
  const removed = ticket.tags.filter((t) => !next.tags.includes(t));
  if (added.length + removed.length > 0) emit('tags_changed', { tags_added: added, tags_removed: removed });
  if (text) {
    const c = addComment(state, next, text, actor, at);
    emit('comment_added', {
      comment: { id: String(c.id), body: c.body, is_public: c.public, author: { id: String(actor) } },
    });
  }
  return json(200, { ticket: renderTicket(req, next), audit: audit(next, f, state, account) });
};

const show: Route = (state, req, [id]) => {
  const t = findLive(state, id);
  return t ? json(200, { ticket: renderTicket(req, t) }) : recordNotFound();
};

/** `GET /tickets` (both paging modes); `?external_id=` lists the tickets carrying that external id. */
const list: Route = (state, req) => {
  const ext = req.query.get('external_id');
  const tickets = liveTickets(state).filter((t) => ext === null || t.external_id === ext);
  return listPage(req, tickets.map((t) => renderTicket(req, t)) as ZendeskRecord[], 'tickets');
};

const remove: Route = (state, _req, [id], account) => {
  const t = findLive(state, id);
  if (!t) return recordNotFound();
  const gone: Ticket = { ...t, status: 'deleted', updated_at: isoSeconds(nowSeconds(state)) };
  save(state, 'ticket', gone);
  state.emit({
    type: 'zen:event-type:ticket.soft_deleted',
    subject: `zen:ticket:${t.id}`,
    detail: eventDetail(gone, agentId(state, account)),
    event: {},
  });
  return { status: 204 };
};

const comments: Route = (state, req, [id]) => {
  if (!findLive(state, id)) return recordNotFound();
  const list = loadAll<Comment>(state, 'comment').filter((c) => String(c.ticket_id) === id);
  return listPage(req, list, 'comments');
};

export const ticketRoutes: [string, RegExp, Route][] = [
  ['GET', /^\/api\/v2\/tickets$/, list],
  ['POST', /^\/api\/v2\/tickets$/, createRoute],
  ['GET', /^\/api\/v2\/tickets\/(\d+)$/, show],
  ['PUT', /^\/api\/v2\/tickets\/(\d+)$/, updateRoute],
  ['DELETE', /^\/api\/v2\/tickets\/(\d+)$/, remove],
  ['GET', /^\/api\/v2\/tickets\/(\d+)\/comments$/, comments],
];
