import { z } from 'zod';
import type { RecordStore } from '../common/record-store.js';
import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import { notFound, refuse, validation } from './errors.js';
import {
  type AssociationType,
  associationTypes,
  defaultAssociationType,
  models,
  type ObjectType,
  objectTypeOf,
} from './model.js';
import type { CrmRecords } from './records.js';

interface AssociationData {
  /** `<type>:<id>` of the source: the indexed look-up key. */
  from: string;
  toType: ObjectType;
  toId: string;
  typeIds: number[];
}

const kind = 'association';

/**
 * Associations between CRM records, stored once per direction (HubSpot shows both sides: a contact
 * associated to a company is listed under the company too, with the inverse type id).
 */
export class Associations {
  constructor(
    private readonly store: RecordStore,
    private readonly records: CrmRecords,
    private readonly now: () => number,
  ) {
    // Listing one record's associations is the hot path; index the source key.
    store.db.exec(
      "CREATE INDEX IF NOT EXISTS hubspot_association_from ON records (type, json_extract(data, '$.from'))",
    );
  }

  /** Adds `typeIds` (from → to) and their inverses (to → from). */
  associate(from: ObjectType, fromId: string, to: ObjectType, toId: string, typeIds: number[]): void {
    const inverse = typeIds.map((t) => associationTypes.get(t)?.inverse ?? t);
    this.#merge(from, fromId, to, toId, typeIds);
    this.#merge(to, toId, from, fromId, inverse);
  }

  remove(from: ObjectType, fromId: string, to: ObjectType, toId: string): void {
    this.store.delete(kind, key(from, fromId, to, toId));
    this.store.delete(kind, key(to, toId, from, fromId));
  }

  /** One record's associations to `to`, by numeric target id. */
  list(from: ObjectType, fromId: string, to: ObjectType): { toId: string; typeIds: number[] }[] {
    return this.store
      .findBy<AssociationData>(kind, '$.from', `${from}:${fromId}`)
      .filter((r) => r.data.toType === to)
      .map((r) => ({ toId: r.data.toId, typeIds: r.data.typeIds }))
      .sort((a, b) => Number(a.toId) - Number(b.toId));
  }

  count(): number {
    return this.store.count(kind);
  }

  /** v3 `associations` block of an object read: `{companies: {results: [{id, type}]}}`. */
  embed(from: ObjectType, fromId: string, toTypes: readonly string[]): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    for (const segment of toTypes) {
      const to = objectTypeOf(segment);
      if (to === undefined) continue;
      const results = this.list(from, fromId, to).flatMap(({ toId, typeIds }) =>
        typeIds.map((t) => ({ id: toId, type: v3TypeName(associationTypes.get(t), from, to) })),
      );
      if (results.length > 0) out[to] = { results };
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }

  #merge(from: ObjectType, fromId: string, to: ObjectType, toId: string, typeIds: number[]): void {
    const id = key(from, fromId, to, toId);
    const existing = this.store.get<AssociationData>(kind, id);
    const now = this.now();
    if (existing === undefined) {
      const data: AssociationData = { from: `${from}:${fromId}`, toType: to, toId, typeIds: unique(typeIds) };
      this.store.insert(kind, id, data, { createdMs: now });
      return;
    }
    const merged = unique([...existing.data.typeIds, ...typeIds]);
    if (merged.length !== existing.data.typeIds.length) {
      this.store.update(kind, id, { ...existing.data, typeIds: merged }, now);
    }
  }

  /** Checks a create body's `associations: [{to: {id}, types: [...]}]` and applies it. */
  applyCreateInput(from: ObjectType, fromId: string, input: unknown): void {
    const parsed = CreateAssociations.safeParse(input);
    if (!parsed.success) refuse(validation('Invalid input JSON: associations'));
    for (const a of parsed.data) {
      const types = a.types.map((t) => this.#typeFor(from, undefined, t.associationTypeId));
      const to = types[0]?.to;
      if (to === undefined) refuse(validation('associations need at least one type'));
      if (types.some((t) => t.to !== to)) refuse(validation('association types name different objects'));
      if (this.records.get(to, a.to.id) === undefined) {
        refuse(notFound(`${models[to].singular} ${a.to.id} does not exist`));
      }
      this.associate(
        from,
        fromId,
        to,
        a.to.id,
        types.map((t) => t.typeId),
      );
    }
  }

  /** The HUBSPOT_DEFINED type `typeId`, checked against the pair it is used for. */
  #typeFor(from: ObjectType, to: ObjectType | undefined, typeId: number): AssociationType {
    const t = associationTypes.get(typeId);
    if (t === undefined || t.from !== from || (to !== undefined && t.to !== to)) {
      refuse(
        validation(`associationTypeId ${typeId} is not valid from ${from}${to ? ` to ${to}` : ''}`, [
          { message: `invalid association type ${typeId}`, code: 'INVALID_ASSOCIATION_TYPE' },
        ]),
      );
    }
    return t;
  }

  /** The v4 routes; undefined when the path is not an associations path. */
  route(req: SandboxRequest): SandboxResponse | undefined {
    const parts = req.path.split('/').filter((p) => p !== '');
    if (parts[0] !== 'crm' || parts[1] !== 'v4') return undefined;
    if (parts[2] === 'objects') return this.#objectRoute(req, parts.slice(3));
    if (parts[2] === 'associations') return this.#pairRoute(req, parts.slice(3));
    return undefined;
  }

  // /crm/v4/objects/{from}/{id}/associations/{default/}?{to}/{toId}?
  #objectRoute(req: SandboxRequest, p: string[]): SandboxResponse | undefined {
    const from = objectTypeOf(p[0] ?? '');
    const fromId = p[1] ?? '';
    if (from === undefined || p[2] !== 'associations') return undefined;
    const isDefault = p[3] === 'default';
    const rest = isDefault ? p.slice(4) : p.slice(3);
    const to = objectTypeOf(rest[0] ?? '');
    if (to === undefined) return notFound(`unknown object type ${rest[0] ?? ''}`);
    const toId = rest[1];
    if (this.records.get(from, fromId) === undefined)
      return notFound(`${models[from].singular} ${fromId} does not exist`);

    if (req.method === 'GET' && toId === undefined) {
      const limit = Math.min(500, Math.max(1, Number(req.query.get('limit') ?? 500) || 500));
      const offset = Number(req.query.get('after') ?? 0) || 0;
      const all = this.list(from, fromId, to);
      const page = all.slice(offset, offset + limit);
      return {
        status: 200,
        body: {
          results: page.map((a) => ({
            toObjectId: Number(a.toId),
            associationTypes: a.typeIds.map((t) => typeView(t)),
          })),
          ...(offset + limit < all.length ? { paging: { next: { after: String(offset + limit) } } } : {}),
        },
      };
    }
    if (toId === undefined) return undefined;
    if (this.records.get(to, toId) === undefined)
      return notFound(`${models[to].singular} ${toId} does not exist`);
    if (req.method === 'PUT' && isDefault) {
      const t = defaultAssociationType(from, to);
      if (t === undefined) return validation(`no default association from ${from} to ${to}`);
      this.associate(from, fromId, to, toId, [t.typeId]);
      return {
        status: 200,
        body: {
          status: 'COMPLETE',
          results: [
            { from: { id: fromId }, to: { id: toId }, associationSpec: specOf(t.typeId) },
            { from: { id: toId }, to: { id: fromId }, associationSpec: specOf(t.inverse) },
          ],
          startedAt: new Date().toISOString(),
          completedAt: new Date().toISOString(),
        },
      };
    }
    if (req.method === 'PUT') {
      const specs = z.array(Spec).safeParse(parseJson(req.body));
      if (!specs.success || specs.data.length === 0)
        return validation('body must be an array of association specs');
      const types = specs.data.map((s) => this.#typeFor(from, to, s.associationTypeId).typeId);
      this.associate(from, fromId, to, toId, types);
      return {
        status: 200,
        body: {
          fromObjectTypeId: models[from].typeId,
          fromObjectId: Number(fromId),
          toObjectTypeId: models[to].typeId,
          toObjectId: Number(toId),
          labels: types.map((t) => associationTypes.get(t)?.label).filter((l): l is string => !!l),
        },
      };
    }
    if (req.method === 'DELETE' && !isDefault) {
      this.remove(from, fromId, to, toId);
      return { status: 204 };
    }
    return undefined;
  }

  // /crm/v4/associations/{from}/{to}/batch/{op} and …/labels
  #pairRoute(req: SandboxRequest, p: string[]): SandboxResponse | undefined {
    const from = objectTypeOf(p[0] ?? '');
    const to = objectTypeOf(p[1] ?? '');
    if (from === undefined || to === undefined) return undefined;
    if (req.method === 'GET' && p[2] === 'labels') {
      const results = [...associationTypes.values()]
        .filter((t) => t.from === from && t.to === to)
        .map((t) => ({ category: 'HUBSPOT_DEFINED', typeId: t.typeId, label: t.label }));
      return { status: 200, body: { results } };
    }
    if (req.method !== 'POST' || p[2] !== 'batch') return undefined;
    const op = p.slice(3).join('/');
    const body = parseJson(req.body);
    const started = new Date().toISOString();
    const done = (results: unknown[]) => ({
      status: 200,
      body: { status: 'COMPLETE', results, startedAt: started, completedAt: new Date().toISOString() },
    });
    const exists = (type: ObjectType, id: string) => {
      if (this.records.get(type, id) === undefined)
        refuse(notFound(`${models[type].singular} ${id} does not exist`));
    };
    if (op === 'associate/default') {
      const input = z.object({ inputs: z.array(z.object({ from: Ref, to: Ref })).max(2000) }).safeParse(body);
      if (!input.success) return validation('Invalid input JSON');
      const t = defaultAssociationType(from, to);
      if (t === undefined) return validation(`no default association from ${from} to ${to}`);
      for (const i of input.data.inputs) {
        exists(from, i.from.id);
        exists(to, i.to.id);
      }
      const results = input.data.inputs.map((i) => {
        this.associate(from, i.from.id, to, i.to.id, [t.typeId]);
        return { from: { id: i.from.id }, to: { id: i.to.id }, associationSpec: specOf(t.typeId) };
      });
      return done(results);
    }
    if (op === 'create') {
      const input = z
        .object({ inputs: z.array(z.object({ from: Ref, to: Ref, types: z.array(Spec).min(1) })).max(2000) })
        .safeParse(body);
      if (!input.success) return validation('Invalid input JSON');
      for (const i of input.data.inputs) {
        exists(from, i.from.id);
        exists(to, i.to.id);
      }
      const results = input.data.inputs.map((i) => {
        const types = i.types.map((s) => this.#typeFor(from, to, s.associationTypeId).typeId);
        this.associate(from, i.from.id, to, i.to.id, types);
        return {
          fromObjectTypeId: models[from].typeId,
          fromObjectId: Number(i.from.id),
          toObjectTypeId: models[to].typeId,
          toObjectId: Number(i.to.id),
          labels: [],
        };
      });
      return { ...done(results), status: 201 };
    }
    if (op === 'read') {
      const input = z.object({ inputs: z.array(Ref).max(1000) }).safeParse(body);
      if (!input.success) return validation('Invalid input JSON');
      const results = input.data.inputs
        .filter((i) => this.records.get(from, i.id) !== undefined)
        .map((i) => ({
          from: { id: i.id },
          to: this.list(from, i.id, to).map((a) => ({
            toObjectId: Number(a.toId),
            associationTypes: a.typeIds.map((t) => typeView(t)),
          })),
        }));
      return done(results);
    }
    if (op === 'archive') {
      const input = z.object({ inputs: z.array(z.object({ from: Ref, to: z.array(Ref) })) }).safeParse(body);
      if (!input.success) return validation('Invalid input JSON');
      for (const i of input.data.inputs) for (const t of i.to) this.remove(from, i.from.id, to, t.id);
      return { status: 204 };
    }
    return undefined;
  }
}

const Ref = z.object({ id: z.coerce.string() });
const Spec = z.object({
  associationCategory: z.enum(['HUBSPOT_DEFINED', 'USER_DEFINED', 'INTEGRATOR_DEFINED', 'WORK']),
  associationTypeId: z.number().int(),
});
const CreateAssociations = z.array(z.object({ to: Ref, types: z.array(Spec).min(1) }));

function key(from: ObjectType, fromId: string, to: ObjectType, toId: string): string {
  return `${from}:${fromId}:${to}:${toId}`;
}

function unique(ids: number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

function specOf(typeId: number) {
  return { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId };
}

function typeView(typeId: number) {
  return { category: 'HUBSPOT_DEFINED', typeId, label: associationTypes.get(typeId)?.label ?? null };
}

function v3TypeName(t: AssociationType | undefined, from: ObjectType, to: ObjectType): string {
  const base = `${models[from].singular}_to_${models[to].singular}`;
  return t?.label === 'Primary' ? base : `${base}_unlabeled`;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}
