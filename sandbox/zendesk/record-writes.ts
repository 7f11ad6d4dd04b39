import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import { type FieldError, json, readRoot, recordInvalid, recordNotFound } from './responses.js';
import { apiUrl, type Route, save, type ZendeskRecord, type ZendeskState } from './state.js';

type Numbered = ZendeskRecord & { id: number };

/**
 * One kind of record that users and organizations alike are: written through
 * `POST /<collection>`, `POST /<collection>/create_or_update` and `PUT /<collection>/{id}`, searched,
 * and announced as `zen:event-type:<type>.*` events. Only these parts differ between them.
 */
export interface WritableKind<T extends Numbered> {
  type: 'user' | 'organization';
  /** The collection in paths and list bodies, e.g. `users`. */
  collection: string;
  render(req: SandboxRequest, record: T): Record<string, unknown>;
  /** Field problems of a create (`self` undefined) or of a change to `self`. */
  validate(state: ZendeskState, fields: Record<string, unknown>, self: T | undefined): FieldError[];
  /** The record a PUT may change; undefined answers 404. */
  writable(state: ZendeskState, id: string | undefined): T | undefined;
  /** The existing record a create_or_update body names, if any. */
  match(state: ZendeskState, fields: Record<string, unknown>): T | undefined;
  create(state: ZendeskState, fields: Record<string, unknown>): T;
  update(state: ZendeskState, record: T, fields: Record<string, unknown>): T;
}

/** The create, create-or-update and update routes, each validating the body before any change. */
export function writeRoutes<T extends Numbered>(
  kind: WritableKind<T>,
): { create: Route; createOrUpdate: Route; update: Route } {
  const one = (req: SandboxRequest, record: T) => ({ [kind.type]: kind.render(req, record) });
  const created = (req: SandboxRequest, record: T): SandboxResponse =>
    json(201, one(req, record), { location: apiUrl(req, `${kind.collection}/${record.id}`) });
  return {
    create: (state, req) => {
      const read = readRoot(req.body, kind.type);
      if ('refusal' in read) return read.refusal;
      const errors = kind.validate(state, read.body, undefined);
      if (errors.length > 0) return recordInvalid(errors);
      return created(req, kind.create(state, read.body));
    },
    createOrUpdate: (state, req) => {
      const read = readRoot(req.body, kind.type);
      if ('refusal' in read) return read.refusal;
      const match = kind.match(state, read.body);
      const errors = kind.validate(state, read.body, match);
      if (errors.length > 0) return recordInvalid(errors);
      if (match) return json(200, one(req, kind.update(state, match, read.body)));
      return created(req, kind.create(state, read.body));
    },
    update: (state, req, [id]) => {
      const record = kind.writable(state, id);
      if (!record) return recordNotFound();
      const read = readRoot(req.body, kind.type);
      if ('refusal' in read) return read.refusal;
      const errors = kind.validate(state, read.body, record);
      if (errors.length > 0) return recordInvalid(errors);
      return json(200, one(req, kind.update(state, record, read.body)));
    },
  };
}

/** A search answer: every match on one page, as Zendesk answers these exact-match searches. */
export function searchAnswer<T extends Numbered>(
  req: SandboxRequest,
  kind: Pick<WritableKind<T>, 'collection' | 'render'>,
  found: T[],
): SandboxResponse {
  return json(200, {
    [kind.collection]: found.map((r) => kind.render(req, r)),
    next_page: null,
    previous_page: null,
    count: found.length,
  });
}

/** Sends `zen:event-type:<type>.<name>` about one record to the subscribed webhooks. */
export function emitRecordEvent(
  state: ZendeskState,
  type: 'user' | 'organization',
  id: number,
  name: string,
  detail: Record<string, unknown>,
  event: Record<string, unknown> = {},
): void {
  state.emit({ type: `zen:event-type:${type}.${name}`, subject: `zen:${type}:${id}`, detail, event });
}

/** Saves `next` and emits `<field>_changed` for each watched field it changes, as Zendesk does. */
export function saveWithChangeEvents<T extends Numbered>(
  state: ZendeskState,
  type: 'user' | 'organization',
  change: { before: T; next: T; watched: readonly (keyof T & string)[] },
  detail: (record: T) => Record<string, unknown>,
): T {
  const { before, next } = change;
  save(state, type, next);
  for (const field of change.watched) {
    if (before[field] !== next[field]) {
      emitRecordEvent(state, type, before.id, `${field}_changed`, detail(next), {
        current: next[field],
        previous: before[field],
      });
    }
  }
  return next;
}
