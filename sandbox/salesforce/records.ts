import type { Statement } from 'better-sqlite3';
import type { RecordStore } from '../common/record-store.js';
import { SalesforceFault } from './errors.js';
import { formatDateTime, makeId, normaliseId, parseDateTime } from './ids.js';
import {
  type FieldDef,
  integrationUserId,
  type ObjectDef,
  objectOfId,
  opportunityStages,
} from './objects.js';

export type SfValue = string | number | boolean | null;
/** A stored record: every field of its object under its canonical name. */
export type SfRecord = Record<string, SfValue>;

/** One committed change, the raw material of a change event. */
export interface RecordChange {
  object: string;
  id: string;
  changeType: 'CREATE' | 'UPDATE' | 'DELETE';
  changedFields: string[];
  record: SfRecord;
  atMs: number;
}

/**
 * The sObject records of the sandbox on the kit's record store: validation as Salesforce answers
 * it (unknown, read-only and required fields, types, lengths, references, unique external ids),
 * the fields Salesforce derives (names, closed flags, case numbers, audit fields), soft deletes
 * (the recycle bin that `queryAll` still sees), and the changes each write made.
 */
export class SObjectRepository {
  /** Changes not yet announced; the router flushes them once the request (or composite) commits. */
  pending: RecordChange[] = [];
  readonly #findStmts = new Map<string, Statement>();
  #modifiedSince: Statement | undefined;

  constructor(
    private readonly store: RecordStore,
    private readonly now: () => number,
  ) {}

  get(def: ObjectDef, id: string): SfRecord | undefined {
    return this.store.get<SfRecord>(def.name, id)?.data;
  }

  /** A live record by id, or the 404 Salesforce answers (NOT_FOUND, or ENTITY_IS_DELETED). */
  live(def: ObjectDef, rawId: string): SfRecord {
    const id = normaliseId(rawId);
    const record = id === undefined ? undefined : this.get(def, id);
    if (record === undefined) {
      throw new SalesforceFault(404, 'NOT_FOUND', 'The requested resource does not exist');
    }
    if (record.IsDeleted === true) throw new SalesforceFault(404, 'ENTITY_IS_DELETED', 'entity is deleted');
    return record;
  }

  /** Every record of the object in creation order; deleted ones only when asked (queryAll). */
  all(def: ObjectDef, includeDeleted = false): SfRecord[] {
    const rows = this.store.all<SfRecord>(def.name).map((r) => r.data);
    return includeDeleted ? rows : rows.filter((r) => r.IsDeleted !== true);
  }

  /**
   * Records modified at or after `fromMs`, in `SystemModstamp` order (the store's `updated_ms`,
   * which every write sets to the same instant), read lazily: a delta query stops early.
   */
  *modifiedSince(def: ObjectDef, fromMs: number, includeDeleted = false): Generator<SfRecord> {
    this.#modifiedSince ??= this.store.db.prepare(
      'SELECT data FROM records WHERE type = ? AND updated_ms >= ? ORDER BY updated_ms, seq',
    );
    for (const row of this.#modifiedSince.iterate(def.name, fromMs) as IterableIterator<{ data: string }>) {
      const record = JSON.parse(row.data) as SfRecord;
      if (includeDeleted || record.IsDeleted !== true) yield record;
    }
  }

  /** Live records whose text field equals `value` case-insensitively, as external ids match. */
  findBy(def: ObjectDef, field: string, value: string): SfRecord[] {
    let stmt = this.#findStmts.get(field);
    if (stmt === undefined) {
      // Field names come from the object registry, never from a request, so the path is safe to inline.
      const path = `'$.${field}'`;
      this.store.db.exec(
        `CREATE INDEX IF NOT EXISTS sf_by_${field.toLowerCase()} ON records (type, lower(json_extract(data, ${path})))`,
      );
      stmt = this.store.db.prepare(
        `SELECT data FROM records WHERE type = ? AND lower(json_extract(data, ${path})) = lower(?) ORDER BY seq`,
      );
      this.#findStmts.set(field, stmt);
    }
    return (stmt.all(def.name, value) as { data: string }[])
      .map((row) => JSON.parse(row.data) as SfRecord)
      .filter((r) => r.IsDeleted !== true);
  }

  create(def: ObjectDef, body: unknown, opts: { atMs?: number; createdMs?: number } = {}): SfRecord {
    const input = this.#validate(def, body, 'create');
    const at = opts.atMs ?? this.now();
    const created = opts.createdMs ?? at;
    const id = makeId(def.keyPrefix, this.store.nextNumber(`id:${def.keyPrefix}`));
    const record: SfRecord = {};
    for (const f of def.fields) record[f.name] = f.defaultValue ?? null;
    Object.assign(record, input, {
      Id: id,
      OwnerId: input.OwnerId ?? integrationUserId,
      CreatedDate: formatDateTime(created),
      CreatedById: integrationUserId,
      LastModifiedDate: formatDateTime(at),
      LastModifiedById: integrationUserId,
      SystemModstamp: formatDateTime(at),
      IsDeleted: false,
    });
    this.#derive(def, record, undefined, at);
    this.#checkRequired(def, record);
    this.#checkUnique(def, record);
    this.store.insert(def.name, id, record, { createdMs: created, updatedMs: at });
    const changed = def.fields.filter((f) => record[f.name] !== null).map((f) => f.name);
    this.pending.push({
      object: def.name,
      id,
      changeType: 'CREATE',
      changedFields: changed,
      record,
      atMs: at,
    });
    return record;
  }

  update(def: ObjectDef, rawId: string, body: unknown): SfRecord {
    const before = this.live(def, rawId);
    const input = this.#validate(def, body, 'update');
    const at = this.now();
    const record: SfRecord = { ...before, ...input };
    record.LastModifiedDate = formatDateTime(at);
    record.LastModifiedById = integrationUserId;
    record.SystemModstamp = formatDateTime(at);
    this.#derive(def, record, before, at);
    this.#checkRequired(def, record);
    this.#checkUnique(def, record);
    this.store.update(def.name, before.Id as string, record, at);
    const changed = def.fields.filter((f) => record[f.name] !== before[f.name]).map((f) => f.name);
    this.pending.push({
      object: def.name,
      id: before.Id as string,
      changeType: 'UPDATE',
      changedFields: changed,
      record,
      atMs: at,
    });
    return record;
  }

  /** Moves the record to the recycle bin: gone for query and GET, still seen by queryAll. */
  delete(def: ObjectDef, rawId: string): void {
    const before = this.live(def, rawId);
    const at = this.now();
    const record: SfRecord = { ...before, IsDeleted: true, SystemModstamp: formatDateTime(at) };
    this.store.update(def.name, before.Id as string, record, at);
    this.pending.push({
      object: def.name,
      id: before.Id as string,
      changeType: 'DELETE',
      changedFields: [],
      record,
      atMs: at,
    });
  }

  count(def: ObjectDef): number {
    const row = this.store.db
      .prepare("SELECT count(*) AS n FROM records WHERE type = ? AND json_extract(data, '$.IsDeleted') = 0")
      .get(def.name) as { n: number };
    return row.n;
  }

  /** Checks a request body against the object's fields; returns canonical names → values. */
  #validate(def: ObjectDef, body: unknown, mode: 'create' | 'update'): SfRecord {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new SalesforceFault(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
    }
    const out: SfRecord = {};
    const notWritable: string[] = [];
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (key === 'attributes') continue;
      const field = def.byLower.get(key.toLowerCase());
      if (field === undefined) {
        throw new SalesforceFault(
          400,
          'INVALID_FIELD',
          `No such column '${key}' on sobject of type ${def.name}`,
          [key],
        );
      }
      if (field.name === 'Id' && mode === 'update') continue;
      if (field.readOnly || (field.createOnly && mode === 'update')) {
        notWritable.push(field.name);
        continue;
      }
      out[field.name] = this.#coerce(def, field, value);
    }
    if (notWritable.length > 0) {
      throw new SalesforceFault(
        400,
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        `Unable to create/update fields: ${notWritable.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        notWritable,
      );
    }
    return out;
  }

  #coerce(def: ObjectDef, field: FieldDef, value: unknown): SfValue {
    if (value === null) return field.type === 'boolean' ? false : null;
    const wrongType = () =>
      new SalesforceFault(
        400,
        'JSON_PARSER_ERROR',
        `Cannot deserialize instance of ${field.type} from ${typeof value} value for field ${field.name}`,
        [field.name],
      );
    switch (field.type) {
      case 'boolean':
        if (typeof value !== 'boolean') throw wrongType();
        return value;
      case 'int':
      case 'double':
      case 'currency':
      case 'percent': {
        const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isFinite(n)) throw wrongType();
        return field.type === 'int' ? Math.trunc(n) : n;
      }
      case 'date':
        if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) throw wrongType();
        return value;
      case 'datetime': {
        const ms = typeof value === 'string' ? parseDateTime(value) : undefined;
        if (ms === undefined) throw wrongType();
        return formatDateTime(ms);
      }
      case 'reference':
      case 'id':
        return this.#reference(def, field, value);
      default: {
        if (typeof value !== 'string') throw wrongType();
        if (field.length !== undefined && value.length > field.length) {
          throw new SalesforceFault(
            400,
            'STRING_TOO_LONG',
            `${field.name}: data value too large: ${value.slice(0, 40)} (max length=${field.length})`,
            [field.name],
          );
        }
        if (field.type === 'email' && value !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
          throw new SalesforceFault(
            400,
            'INVALID_EMAIL_ADDRESS',
            `${field.name}: invalid email address: ${value}`,
            [field.name],
          );
        }
        return value === '' ? null : value;
      }
    }
  }

  #reference(def: ObjectDef, field: FieldDef, value: unknown): string {
    const id = typeof value === 'string' ? normaliseId(value) : undefined;
    const targets = field.referenceTo ?? [];
    if (id === undefined || !targets.some((p) => id.startsWith(p))) {
      throw new SalesforceFault(
        400,
        'MALFORMED_ID',
        `${def.name} ${field.name}: id value of incorrect type: ${String(value)}`,
        [field.name],
      );
    }
    const target = objectOfId(id);
    if (target !== undefined) {
      const row = this.get(target, id);
      if (row === undefined || row.IsDeleted === true) {
        throw new SalesforceFault(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [
          field.name,
        ]);
      }
    }
    return id;
  }

  #checkRequired(def: ObjectDef, record: SfRecord): void {
    const missing = def.fields.filter(
      (f) => f.required && (record[f.name] === null || record[f.name] === ''),
    );
    if (missing.length > 0) {
      const names = missing.map((f) => f.name);
      throw new SalesforceFault(
        400,
        'REQUIRED_FIELD_MISSING',
        `Required fields are missing: [${names.join(', ')}]`,
        names,
      );
    }
  }

  #checkUnique(def: ObjectDef, record: SfRecord): void {
    for (const f of def.fields) {
      const value = record[f.name];
      if (!f.unique || typeof value !== 'string') continue;
      const other = this.findBy(def, f.name, value).find((r) => r.Id !== record.Id);
      if (other !== undefined) {
        throw new SalesforceFault(
          400,
          'DUPLICATE_VALUE',
          `duplicate value found: ${f.name} duplicates value on record with id: ${String(other.Id)}`,
          [],
        );
      }
    }
  }

  /** Fields Salesforce computes: compound names, stage and status flags, case numbers, task account. */
  #derive(def: ObjectDef, r: SfRecord, before: SfRecord | undefined, atMs: number): void {
    switch (def.name) {
      case 'Contact':
      case 'Lead':
        r.Name = [r.FirstName, r.LastName].filter((v) => typeof v === 'string' && v !== '').join(' ');
        if (def.name === 'Lead') r.IsConverted ??= false;
        break;
      case 'Opportunity': {
        const stage = typeof r.StageName === 'string' ? opportunityStages[r.StageName] : undefined;
        const stageChanged = before === undefined || before.StageName !== r.StageName;
        if (stage && stageChanged && (before === undefined ? r.Probability === null : true)) {
          r.Probability = stage.probability;
          r.ForecastCategoryName = stage.forecast;
        }
        r.IsClosed = typeof r.StageName === 'string' && r.StageName.startsWith('Closed');
        r.IsWon = r.StageName === 'Closed Won';
        r.ExpectedRevenue =
          typeof r.Amount === 'number' && typeof r.Probability === 'number'
            ? (r.Amount * r.Probability) / 100
            : null;
        break;
      }
      case 'Case':
        if (before === undefined)
          r.CaseNumber = String(this.store.nextNumber('CaseNumber') + 1000).padStart(8, '0');
        r.IsClosed = r.Status === 'Closed';
        if (r.IsClosed && !(before?.IsClosed === true)) r.ClosedDate = formatDateTime(atMs);
        if (!r.IsClosed) r.ClosedDate = null;
        break;
      case 'Task': {
        r.IsClosed = r.Status === 'Completed';
        r.IsHighPriority = r.Priority === 'High';
        if (r.IsClosed && !(before?.IsClosed === true)) r.CompletedDateTime = formatDateTime(atMs);
        r.AccountId = this.#taskAccount(r);
        break;
      }
      default:
        break;
    }
  }

  /** A task's AccountId follows its WhatId (account, or an opportunity's account) or its contact. */
  #taskAccount(r: SfRecord): string | null {
    for (const ref of [r.WhatId, r.WhoId]) {
      if (typeof ref !== 'string') continue;
      if (ref.startsWith('001')) return ref;
      const target = objectOfId(ref);
      const row = target ? this.get(target, ref) : undefined;
      if (typeof row?.AccountId === 'string') return row.AccountId;
    }
    return null;
  }
}

/** The record as the REST API returns it: `attributes` first, then the fields. */
export function withAttributes(
  def: ObjectDef,
  record: SfRecord,
  apiVersion: string,
): Record<string, unknown> {
  return {
    attributes: {
      type: def.name,
      url: `/services/data/v${apiVersion}/sobjects/${def.name}/${String(record.Id)}`,
    },
    ...record,
  };
}
