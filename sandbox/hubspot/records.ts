import type { RecordStore, StoredRecord } from '../common/record-store.js';
import { hubspotError, refuse, unknownProperties, validation } from './errors.js';
import { models, type ObjectModel, type ObjectType } from './model.js';

/** What the sandbox keeps per CRM record; every property value is a string, as HubSpot's API shows them. */
export interface CrmData {
  properties: Record<string, string>;
  archived: boolean;
  archivedAt?: string;
}
export type CrmRecord = StoredRecord<CrmData>;

/** Values a client may send for a property; HubSpot stores them as strings. */
export type PropertyInput = Record<string, unknown>;

/** The record envelope of every v3 object endpoint. */
export interface PublicObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export interface WriteResult {
  record: CrmRecord;
  created: boolean;
  /** Properties whose value this write changed (drives propertyChange webhooks). */
  changed: string[];
}

const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * CRM records on the kit's store: validation as HubSpot does it (unknown and read-only properties,
 * required ones, email format, unique values), ids from one portal-wide sequence, and the created /
 * last-modified properties kept in step with the store's timestamps that delta queries read.
 */
export class CrmRecords {
  constructor(
    private readonly store: RecordStore,
    private readonly now: () => number,
  ) {}

  nextId(): string {
    // HubSpot ids are numeric strings; start high enough to look like one.
    return String(10_000 + this.store.nextNumber('hubspot:object-id'));
  }

  get(type: ObjectType, id: string, opts: { archived?: boolean } = {}): CrmRecord | undefined {
    const rec = this.store.get<CrmData>(type, id);
    if (rec === undefined || rec.data.archived !== (opts.archived ?? false)) return undefined;
    return rec;
  }

  /** The live record whose unique property `idProperty` has `value` (email compares case-insensitively). */
  findByUnique(type: ObjectType, idProperty: string, value: string): CrmRecord | undefined {
    if (idProperty === 'hs_object_id') return this.get(type, value);
    const wanted = idProperty === 'email' ? value.trim().toLowerCase() : value;
    return this.store
      .findBy<CrmData>(type, `$.properties.${idProperty}`, wanted)
      .find((r) => !r.data.archived);
  }

  /** Checks that `idProperty` may key a lookup or upsert on this object. */
  assertUnique(type: ObjectType, idProperty: string): void {
    const m = models[type];
    if (!m.properties.has(idProperty)) refuse(unknownProperties(type, [idProperty]));
    if (!m.uniqueProperties.includes(idProperty)) {
      refuse(
        validation(`Property "${idProperty}" is not a unique identifier for ${type}`, [
          { message: `${idProperty} does not have unique values`, code: 'INVALID_ID_PROPERTY' },
        ]),
      );
    }
  }

  create(
    type: ObjectType,
    input: PropertyInput,
    at?: { createdMs: number; updatedMs?: number; id?: string },
  ): WriteResult {
    const m = models[type];
    const props = this.#clean(m, input, true);
    for (const name of m.required) {
      if (props[name] === undefined) {
        refuse(
          validation(`Property values were not valid: ${name} is required`, [
            { message: `${name} is required`, code: 'REQUIRED_PROPERTY', context: { propertyName: [name] } },
          ]),
        );
      }
    }
    this.#assertFreeUniques(m, props, undefined);
    const createdMs = at?.createdMs ?? this.now();
    const updatedMs = at?.updatedMs ?? createdMs;
    const id = at?.id ?? this.nextId();
    const properties: Record<string, string> = {
      ...props,
      hs_object_id: id,
      [m.createdProperty]: new Date(createdMs).toISOString(),
      [m.modifiedProperty]: new Date(updatedMs).toISOString(),
    };
    const record = this.store.insert<CrmData>(
      type,
      id,
      { properties, archived: false },
      { createdMs, updatedMs },
    );
    return { record, created: true, changed: Object.keys(props) };
  }

  /**
   * Inserts seed data as given, without the per-write checks (the seed is built consistent, and
   * checking uniqueness per row would make seeding thousands of records slow).
   */
  load(
    type: ObjectType,
    properties: Record<string, string>,
    at: { createdMs: number; updatedMs: number },
  ): CrmRecord {
    const m = models[type];
    const id = this.nextId();
    return this.store.insert<CrmData>(
      type,
      id,
      {
        properties: {
          ...properties,
          hs_object_id: id,
          [m.createdProperty]: new Date(at.createdMs).toISOString(),
          [m.modifiedProperty]: new Date(at.updatedMs).toISOString(),
        },
        archived: false,
      },
      at,
    );
  }

  update(type: ObjectType, record: CrmRecord, input: PropertyInput): WriteResult {
    const m = models[type];
    const props = this.#clean(m, input, false);
    this.#assertFreeUniques(m, props, record.id);
    const next = { ...record.data.properties };
    const changed: string[] = [];
    for (const [name, value] of Object.entries(props)) {
      if (value === '') {
        if (next[name] !== undefined) changed.push(name);
        delete next[name];
      } else if (next[name] !== value) {
        next[name] = value;
        changed.push(name);
      }
    }
    // An update that changes nothing leaves the record (and its last-modified time) alone.
    if (changed.length === 0) return { record, created: false, changed };
    // A change is always later than the one before it, even when the clock has not moved on.
    const t = Math.max(this.now(), record.updatedMs + 1);
    next[m.modifiedProperty] = new Date(t).toISOString();
    const updated = this.store.update<CrmData>(type, record.id, { ...record.data, properties: next }, t);
    return { record: updated ?? record, created: false, changed };
  }

  archive(type: ObjectType, record: CrmRecord): CrmRecord {
    const t = this.now();
    return (
      this.store.update<CrmData>(
        type,
        record.id,
        { ...record.data, archived: true, archivedAt: new Date(t).toISOString() },
        t,
      ) ?? record
    );
  }

  /** Live records in id order after `afterSeq` (insertion order is id order here). */
  page(type: ObjectType, afterSeq: number, limit: number, archived = false): CrmRecord[] {
    const out: CrmRecord[] = [];
    let cursor = afterSeq;
    for (;;) {
      const chunk = this.store.page<CrmData>(type, cursor, Math.max(limit, 100));
      for (const r of chunk) {
        cursor = r.seq;
        if (r.data.archived === archived) out.push(r);
        if (out.length > limit) return out;
      }
      if (chunk.length === 0) return out;
    }
  }

  /** The envelope with the requested properties (null where unset) or the object's defaults. */
  toPublic(rec: CrmRecord, wanted?: readonly string[]): PublicObject {
    const names = wanted && wanted.length > 0 ? wanted : models[rec.type as ObjectType].defaultProperties;
    const properties: Record<string, string | null> = {};
    for (const name of names) properties[name] = rec.data.properties[name] ?? null;
    return {
      id: rec.id,
      properties,
      createdAt: new Date(rec.createdMs).toISOString(),
      updatedAt: new Date(rec.updatedMs).toISOString(),
      archived: rec.data.archived,
      ...(rec.data.archivedAt ? { archivedAt: rec.data.archivedAt } : {}),
    };
  }

  /** Validates and stringifies written properties; '' (or null) clears a value. */
  #clean(m: ObjectModel, input: PropertyInput, creating: boolean): Record<string, string> {
    const unknown = Object.keys(input).filter((k) => !m.properties.has(k));
    if (unknown.length > 0) refuse(unknownProperties(m.type, unknown));
    const readOnly = Object.keys(input).filter((k) => m.readOnly.has(k));
    if (readOnly.length > 0) {
      refuse(
        validation(
          `Property values were not valid: ${readOnly.join(', ')} ${readOnly.length > 1 ? 'are' : 'is a'} read-only`,
          readOnly.map((name) => ({
            message: `${name} is a read only property`,
            code: 'READ_ONLY_VALUE',
            context: { propertyName: [name] },
          })),
        ),
      );
    }
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(input)) {
      if (raw === null || raw === undefined) {
        if (!creating) out[name] = '';
        continue;
      }
      if (typeof raw === 'object') {
        refuse(validation(`Property values were not valid: ${name} must be a string`));
      }
      let value = String(raw);
      if (name === 'email' && value !== '') {
        // HubSpot keeps contact emails lower-case and refuses malformed ones.
        value = value.trim().toLowerCase();
        if (!emailPattern.test(value)) {
          refuse(
            validation('Property values were not valid: invalid email address', [
              {
                message: 'Email address is invalid',
                code: 'INVALID_EMAIL',
                context: { propertyName: ['email'] },
              },
            ]),
          );
        }
      }
      if (m.numbers.has(name) && value !== '' && !Number.isFinite(Number(value))) {
        refuse(validation(`Property values were not valid: ${name} must be a number`));
      }
      if (m.datetimes.has(name) && value !== '') {
        const instant = toInstant(value);
        if (instant === undefined) {
          refuse(validation(`Property values were not valid: ${name} must be a date or epoch milliseconds`));
        }
        value = new Date(instant).toISOString();
      }
      if (creating && value === '') continue;
      out[name] = value;
    }
    return out;
  }

  #assertFreeUniques(m: ObjectModel, props: Record<string, string>, selfId: string | undefined): void {
    for (const name of m.uniqueProperties) {
      const value = props[name];
      if (name === 'hs_object_id' || value === undefined || value === '') continue;
      const other = this.findByUnique(m.type, name, value);
      if (other !== undefined && other.id !== selfId) {
        const message =
          m.type === 'contacts' && name === 'email'
            ? `Contact already exists. Existing ID: ${other.id}`
            : `A ${m.singular} with ${name} "${value}" already exists. Existing ID: ${other.id}`;
        refuse(hubspotError(409, 'CONFLICT', message));
      }
    }
  }
}

/** A datetime property value (ISO or epoch ms) as epoch ms. */
export function toInstant(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
