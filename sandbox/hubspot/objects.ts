import { z } from 'zod';
import type { RecordStore } from '../common/record-store.js';
import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import type { Associations } from './associations.js';
import { notFound, refuse, validation } from './errors.js';
import { models, type ObjectType, objectTypeOf } from './model.js';
import type { CrmRecord, CrmRecords, PublicObject, WriteResult } from './records.js';
import { search } from './search.js';
import type { Change, HubSpotWebhooks } from './webhooks.js';

const Properties = z.record(z.string(), z.unknown());
const CreateBody = z.object({ properties: Properties, associations: z.array(z.unknown()).optional() });
const UpdateBody = z.object({ properties: Properties });
const batch = <T extends z.ZodType>(item: T) => z.object({ inputs: z.array(item) });
const IdInput = z.object({ id: z.coerce.string().min(1) });
const UpsertInput = z.object({
  id: z.coerce.string().min(1),
  idProperty: z.string().min(1).optional(),
  properties: Properties,
  objectWriteTraceId: z.string().optional(),
});
const UpdateInput = UpsertInput;
const ReadBody = z.object({
  inputs: z.array(IdInput),
  idProperty: z.string().optional(),
  properties: z.array(z.string()).optional(),
});

/** Batch endpoints take at most this many inputs. */
export const batchLimit = 100;

/**
 * The v3 object endpoints of contacts, companies, deals and tasks: list, read, create, update,
 * archive, the five batch operations, and search. Batch writes run in one transaction, so a
 * refused input leaves nothing half-written.
 */
export class ObjectRoutes {
  constructor(
    private readonly store: RecordStore,
    private readonly records: CrmRecords,
    private readonly associations: Associations,
    private readonly webhooks: HubSpotWebhooks,
  ) {}

  route(req: SandboxRequest): SandboxResponse | undefined {
    const parts = req.path.split('/').filter((p) => p !== '');
    if (parts[0] !== 'crm' || parts[1] !== 'v3' || parts[2] !== 'objects') return undefined;
    const type = objectTypeOf(parts[3] ?? '');
    if (type === undefined) return notFound(`Unable to infer object type from: ${parts[3] ?? ''}`);
    const rest = parts.slice(4);
    const body = (): unknown => parseJson(req.body);
    if (rest.length === 0 && req.method === 'GET') return this.#list(req, type);
    if (rest.length === 0 && req.method === 'POST') return this.#create(type, body());
    if (rest.length === 1 && rest[0] === 'search' && req.method === 'POST') {
      return search(this.store, this.records, type, body());
    }
    if (rest.length === 2 && rest[0] === 'batch' && req.method === 'POST') {
      return this.#batch(type, rest[1] ?? '', body());
    }
    if (rest.length === 1) {
      const id = decodeURIComponent(rest[0] ?? '');
      if (req.method === 'GET') return this.#read(req, type, id);
      if (req.method === 'PATCH') return this.#update(req, type, id, body());
      if (req.method === 'DELETE') return this.#archive(type, id);
    }
    return undefined;
  }

  #list(req: SandboxRequest, type: ObjectType): SandboxResponse {
    const limit = Number(req.query.get('limit') ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return validation(`limit must be between 1 and 100, got ${req.query.get('limit')}`);
    }
    const after = req.query.get('after');
    const afterSeq = after === null ? 0 : Number(after);
    if (!Number.isInteger(afterSeq) || afterSeq < 0) return validation(`invalid after cursor: ${after}`);
    const archived = req.query.get('archived') === 'true';
    const rows = this.records.page(type, afterSeq, limit, archived);
    const page = rows.slice(0, limit);
    const wanted = listParam(req, 'properties');
    const assoc = listParam(req, 'associations');
    const last = page.at(-1);
    const next =
      rows.length > limit && last
        ? {
            paging: {
              next: {
                after: String(last.seq),
                link: `${req.url.origin}${req.path}?after=${last.seq}&limit=${limit}`,
              },
            },
          }
        : {};
    return { status: 200, body: { results: page.map((r) => this.#view(r, wanted, assoc)), ...next } };
  }

  #read(req: SandboxRequest, type: ObjectType, id: string): SandboxResponse {
    const rec = this.#find(type, id, req.query.get('idProperty'), req.query.get('archived') === 'true');
    if (rec === undefined) return notFound();
    return {
      status: 200,
      body: this.#view(rec, listParam(req, 'properties'), listParam(req, 'associations')),
    };
  }

  #create(type: ObjectType, raw: unknown): SandboxResponse {
    const input = CreateBody.safeParse(raw);
    if (!input.success) return validation('Invalid input JSON: expected {properties, associations?}');
    const result = this.store.transaction(() => {
      const r = this.records.create(type, input.data.properties);
      if (input.data.associations)
        this.associations.applyCreateInput(type, r.record.id, input.data.associations);
      return r;
    });
    this.webhooks.emit(changesOf(type, [result]));
    return { status: 201, body: this.#written(result) };
  }

  #update(req: SandboxRequest, type: ObjectType, id: string, raw: unknown): SandboxResponse {
    const input = UpdateBody.safeParse(raw);
    if (!input.success) return validation('Invalid input JSON: expected {properties}');
    const rec = this.#find(type, id, req.query.get('idProperty'), false);
    if (rec === undefined) return notFound();
    const result = this.store.transaction(() => this.records.update(type, rec, input.data.properties));
    this.webhooks.emit(changesOf(type, [result]));
    return { status: 200, body: this.#written(result) };
  }

  /** Archiving is idempotent: an id that is gone already answers 204 as well. */
  #archive(type: ObjectType, id: string): SandboxResponse {
    const rec = this.records.get(type, id);
    if (rec !== undefined) {
      this.records.archive(type, rec);
      this.webhooks.emit([{ type, id, kind: 'deletion' }]);
    }
    return { status: 204 };
  }

  #batch(type: ObjectType, op: string, raw: unknown): SandboxResponse {
    const count = z.object({ inputs: z.array(z.unknown()) }).safeParse(raw);
    if (!count.success) return validation('Invalid input JSON: expected {inputs: [...]}');
    if (count.data.inputs.length > batchLimit) {
      return validation(`Batch input has ${count.data.inputs.length} items; the limit is ${batchLimit}`);
    }
    const started = new Date().toISOString();
    const answer = (status: number, results: unknown[], errors: unknown[] = []) => ({
      status: errors.length > 0 ? 207 : status,
      body: {
        status: 'COMPLETE',
        results,
        ...(errors.length > 0 ? { numErrors: errors.length, errors } : {}),
        startedAt: started,
        completedAt: new Date().toISOString(),
      },
    });
    if (op === 'read') {
      const input = ReadBody.safeParse(raw);
      if (!input.success) return validation('Invalid input JSON: expected {inputs: [{id}]}');
      const found: CrmRecord[] = [];
      const missing: string[] = [];
      for (const { id } of input.data.inputs) {
        const rec = this.#find(type, id, input.data.idProperty ?? null, false);
        if (rec) found.push(rec);
        else missing.push(id);
      }
      const errors = missing.length > 0 ? [missingError(type, missing)] : [];
      return answer(
        200,
        found.map((r) => this.#view(r, input.data.properties ?? [], [])),
        errors,
      );
    }
    if (op === 'create') {
      const input = batch(CreateBody).safeParse(raw);
      if (!input.success) return validation('Invalid input JSON: expected {inputs: [{properties}]}');
      const results = this.store.transaction(() =>
        input.data.inputs.map((i) => {
          const r = this.records.create(type, i.properties);
          if (i.associations) this.associations.applyCreateInput(type, r.record.id, i.associations);
          return r;
        }),
      );
      this.webhooks.emit(changesOf(type, results));
      return answer(
        201,
        results.map((r) => this.#written(r)),
      );
    }
    if (op === 'update') {
      const input = batch(UpdateInput).safeParse(raw);
      if (!input.success) return validation('Invalid input JSON: expected {inputs: [{id, properties}]}');
      const missing: string[] = [];
      const results = this.store.transaction(() =>
        input.data.inputs.flatMap((i) => {
          const rec = this.#find(type, i.id, i.idProperty ?? null, false);
          if (rec === undefined) {
            missing.push(i.id);
            return [];
          }
          return [this.records.update(type, rec, i.properties)];
        }),
      );
      this.webhooks.emit(changesOf(type, results));
      const errors = missing.length > 0 ? [missingError(type, missing)] : [];
      return answer(
        200,
        results.map((r) => this.#written(r)),
        errors,
      );
    }
    if (op === 'upsert') return this.#upsert(type, raw, answer);
    if (op === 'archive') {
      const input = batch(IdInput).safeParse(raw);
      if (!input.success) return validation('Invalid input JSON: expected {inputs: [{id}]}');
      const gone: Change[] = [];
      this.store.transaction(() => {
        for (const { id } of input.data.inputs) {
          const rec = this.records.get(type, id);
          if (rec === undefined) continue;
          this.records.archive(type, rec);
          gone.push({ type, id, kind: 'deletion' });
        }
      });
      this.webhooks.emit(gone);
      return { status: 204 };
    }
    return notFound(`no batch operation ${op}`);
  }

  /**
   * Create-or-update by a unique property. The match is on `idProperty` (email for contacts, or a
   * custom unique property); a created record takes the id value in that property, so the next
   * upsert with the same value finds it. `new` says which happened.
   */
  #upsert(
    type: ObjectType,
    raw: unknown,
    answer: (status: number, results: unknown[]) => SandboxResponse,
  ): SandboxResponse {
    const input = batch(UpsertInput).safeParse(raw);
    if (!input.success)
      return validation('Invalid input JSON: expected {inputs: [{id, idProperty, properties}]}');
    const keys = new Set<string>();
    for (const i of input.data.inputs) {
      if (i.idProperty === undefined) return validation('idProperty is required for upsert');
      this.records.assertUnique(type, i.idProperty);
      const k = `${i.idProperty}:${i.idProperty === 'email' ? i.id.toLowerCase() : i.id}`;
      if (keys.has(k)) return validation(`Duplicate IDs found in batch input: ${i.id}`);
      keys.add(k);
    }
    const results = this.store.transaction(() =>
      input.data.inputs.map((i) => {
        const idProperty = i.idProperty as string;
        const existing = this.records.findByUnique(type, idProperty, i.id);
        if (existing) return this.records.update(type, existing, { ...i.properties });
        if (idProperty === 'hs_object_id')
          refuse(notFound(`${models[type].singular} ${i.id} does not exist`));
        return this.records.create(type, { ...i.properties, [idProperty]: i.id });
      }),
    );
    this.webhooks.emit(changesOf(type, results));
    return answer(
      200,
      results.map((r) => ({ ...this.#written(r), new: r.created })),
    );
  }

  #find(type: ObjectType, id: string, idProperty: string | null, archived: boolean): CrmRecord | undefined {
    if (idProperty === null || idProperty === 'hs_object_id') return this.records.get(type, id, { archived });
    this.records.assertUnique(type, idProperty);
    return archived ? undefined : this.records.findByUnique(type, idProperty, id);
  }

  #view(
    rec: CrmRecord,
    wanted: readonly string[],
    assoc: readonly string[],
  ): PublicObject & Record<string, unknown> {
    const view: PublicObject & Record<string, unknown> = { ...this.records.toPublic(rec, wanted) };
    const embedded =
      assoc.length > 0 ? this.associations.embed(rec.type as ObjectType, rec.id, assoc) : undefined;
    if (embedded) view.associations = embedded;
    return view;
  }

  /** A write's answer: the defaults plus every property the record has set. */
  #written(r: WriteResult): PublicObject {
    const m = models[r.record.type as ObjectType];
    const names = [...new Set([...m.defaultProperties, ...Object.keys(r.record.data.properties)])];
    return this.records.toPublic(r.record, names);
  }
}

function changesOf(type: ObjectType, results: WriteResult[]): Change[] {
  return results.flatMap((r): Change[] =>
    r.created
      ? [{ type, id: r.record.id, kind: 'creation' }]
      : r.changed.map((name) => ({
          type,
          id: r.record.id,
          kind: 'propertyChange',
          property: { name, value: r.record.data.properties[name] ?? '' },
        })),
  );
}

function missingError(type: ObjectType, ids: string[]) {
  return {
    status: 'error',
    category: 'OBJECT_NOT_FOUND',
    message: `Could not get some ${type} objects, they may be deleted or not exist.`,
    context: { ids },
    errors: [],
    links: {},
  };
}

/** `properties=a,b&properties=c` → ['a', 'b', 'c']. */
function listParam(req: SandboxRequest, name: string): string[] {
  return req.query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
