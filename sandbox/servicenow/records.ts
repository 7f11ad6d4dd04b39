import { randomBytes } from 'node:crypto';
import { parseGlideDateTime, toGlideDateTime } from '../../src/connectors/servicenow/glide-time.js';
import type { RecordStore, StoredRecord } from '../common/record-store.js';
import { compareValues, type EncodedQuery, matchesQuery } from './encoded-query.js';
import { SnRequestError } from './errors.js';
import { type FieldDef, fieldAt, type TableDef, tables } from './tables.js';

/** A stored row: every field of its table as a string ('' when empty), as ServiceNow stores them. */
export type SnRecord = Record<string, string>;

/** One journal entry (work note or comment): a separate row, as `sys_journal_field` holds them. */
interface JournalEntry {
  element_id: string;
  element: string;
  name: string;
  value: string;
  sys_created_on: string;
  sys_created_by: string;
}
const journalType = 'sys_journal_field';

export type DisplayMode = 'false' | 'true' | 'all';
export interface RenderOptions {
  fields: string[] | undefined;
  display: DisplayMode;
  excludeReferenceLink: boolean;
  /** The instance origin links point at. */
  baseUrl: string;
}

export type ChangeKind = 'created' | 'updated' | 'deleted';

/**
 * The instance's tables on top of the shared record store: inserts and updates with the fields the
 * platform fills in (sys_*, number, incident priority and state side effects), journal fields,
 * encoded-query listing and the three renderings of `sysparm_display_value`.
 */
export class SnTables {
  constructor(
    private readonly store: RecordStore,
    private readonly now: () => number,
    private readonly onChange: (table: string, kind: ChangeKind, record: SnRecord) => void = () => {},
  ) {}

  table(name: string): TableDef | undefined {
    return Object.hasOwn(tables, name) ? tables[name] : undefined;
  }

  get(table: string, sysId: string): SnRecord | undefined {
    return this.store.get<SnRecord>(table, sysId)?.data;
  }

  count(table: string): number {
    return this.store.count(table);
  }

  /** Rows matching `query`, in its ORDERBY order, then insertion order. */
  query(def: TableDef, query: EncodedQuery): SnRecord[] {
    const rows = this.store
      .all<SnRecord>(def.name)
      .filter((r) => matchesQuery(query, (f) => this.valueAt(def, r.data, f)));
    if (query.orderBy.length === 0) return rows.map((r) => r.data);
    const sorted = [...rows].sort((a, b) => {
      for (const o of query.orderBy) {
        const c = compareValues(
          o.def,
          this.valueAt(def, a.data, o.field),
          this.valueAt(def, b.data, o.field),
        );
        if (c !== 0) return o.desc ? -c : c;
      }
      return a.seq - b.seq;
    });
    return sorted.map((r: StoredRecord<SnRecord>) => r.data);
  }

  /**
   * Inserts a row as the platform would for `user`. `at` and `sysId` let the seed place records
   * in the past with stable ids; the API never passes them.
   */
  insert(
    def: TableDef,
    body: Record<string, unknown>,
    user: string,
    at?: { createdMs: number; updatedMs?: number },
  ): SnRecord {
    const nowMs = at?.createdMs ?? this.now();
    const stamp = toGlideDateTime(nowMs);
    const { fields, journal } = writableFields(def, body);
    const requestedId =
      typeof body.sys_id === 'string' && /^[0-9a-f]{32}$/.test(body.sys_id) ? body.sys_id : undefined;
    const sysId = requestedId ?? randomBytes(16).toString('hex');
    if (this.store.get(def.name, sysId)) {
      throw new SnRequestError(403, 'Operation Failed', `A record with sys_id ${sysId} already exists`);
    }
    const record: SnRecord = {};
    for (const name of Object.keys(def.fields)) record[name] = '';
    Object.assign(record, fields, {
      sys_id: sysId,
      sys_created_on: stamp,
      sys_created_by: user,
      sys_updated_on: at?.updatedMs === undefined ? stamp : toGlideDateTime(at.updatedMs),
      sys_updated_by: user,
      sys_mod_count: '0',
    });
    if (def.name === 'incident') this.#incidentDefaults(record, stamp);
    if (def.name === 'sys_user' && record.name === '') {
      record.name = `${record.first_name ?? ''} ${record.last_name ?? ''}`.trim();
    }
    const updatedMs = parseGlideDateTime(record.sys_updated_on ?? '') ?? nowMs;
    this.store.insert(def.name, sysId, record, { createdMs: nowMs, updatedMs });
    this.#journal(def, sysId, journal, user, stamp);
    if (at === undefined) this.onChange(def.name, 'created', record);
    return record;
  }

  update(def: TableDef, sysId: string, body: Record<string, unknown>, user: string): SnRecord | undefined {
    const current = this.get(def.name, sysId);
    if (current === undefined) return undefined;
    const nowMs = this.now();
    const stamp = toGlideDateTime(nowMs);
    const { fields, journal } = writableFields(def, body);
    const record: SnRecord = { ...current, ...fields };
    if (def.name === 'incident') this.#incidentRules(record, current, fields, stamp);
    record.sys_updated_on = stamp;
    record.sys_updated_by = user;
    record.sys_mod_count = String(Number(current.sys_mod_count ?? '0') + 1);
    this.store.update(def.name, sysId, record, nowMs);
    this.#journal(def, sysId, journal, user, stamp);
    this.onChange(def.name, 'updated', record);
    return record;
  }

  delete(def: TableDef, sysId: string): boolean {
    const current = this.get(def.name, sysId);
    if (current === undefined) return false;
    this.store.delete(def.name, sysId);
    this.onChange(def.name, 'deleted', current);
    return true;
  }

  /** The raw value at a field path, following references (`caller_id.email`). */
  valueAt(def: TableDef, record: SnRecord, path: string): string {
    const [head = '', ...rest] = path.split('.');
    const value = record[head] ?? '';
    if (rest.length === 0 || value === '') return value;
    const refTable = def.fields[head]?.ref;
    const target = refTable === undefined ? undefined : tables[refTable];
    const next = target === undefined ? undefined : this.get(target.name, value);
    return target === undefined || next === undefined ? '' : this.valueAt(target, next, rest.join('.'));
  }

  /** A row as the Table API returns it under the given sysparm options. */
  render(def: TableDef, record: SnRecord, opts: RenderOptions): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const names = opts.fields ?? Object.keys(def.fields);
    for (const name of names) {
      const fieldDef = fieldAt(def, name);
      if (fieldDef === undefined) continue;
      out[name] = this.#renderField(def, record, name, fieldDef, opts);
    }
    return out;
  }

  #renderField(def: TableDef, record: SnRecord, path: string, field: FieldDef, opts: RenderOptions): unknown {
    const value = field.type === 'journal' ? '' : this.valueAt(def, record, path);
    const display = () => this.#display(record, path, field, value);
    if (field.type === 'reference' && field.ref !== undefined && value !== '') {
      const link = `${opts.baseUrl}/api/now/table/${field.ref}/${value}`;
      if (opts.display === 'false') return opts.excludeReferenceLink ? value : { link, value };
      if (opts.display === 'true')
        return opts.excludeReferenceLink ? display() : { display_value: display(), link };
      return opts.excludeReferenceLink
        ? { display_value: display(), value }
        : { display_value: display(), link, value };
    }
    if (opts.display === 'false') return value;
    if (opts.display === 'true') return display();
    return { display_value: display(), value };
  }

  #display(record: SnRecord, path: string, field: FieldDef, value: string): string {
    if (field.type === 'journal') {
      const owner = path.includes('.') ? undefined : record.sys_id;
      if (owner === undefined) return '';
      return this.store
        .findBy<JournalEntry>(journalType, '$.element_id', owner)
        .filter((j) => j.data.element === path)
        .reverse()
        .map(
          (j) =>
            `${j.data.sys_created_on} - ${j.data.sys_created_by} (${path === 'work_notes' ? 'Work notes' : 'Additional comments'})\n${j.data.value}\n\n`,
        )
        .join('');
    }
    if (value === '') return '';
    if (field.type === 'reference' && field.ref !== undefined) {
      const target = tables[field.ref];
      const row = this.get(field.ref, value);
      return target && row ? (row[target.displayField] ?? '') : '';
    }
    return field.choices?.[value] ?? value;
  }

  #incidentDefaults(record: SnRecord, stamp: string): void {
    const n = this.store.nextNumber('incident') + 10_000;
    record.number = `INC${String(n).padStart(7, '0')}`;
    if (record.state === '') record.state = record.incident_state || '1';
    record.incident_state = record.state ?? '1';
    if (record.impact === '') record.impact = '3';
    if (record.urgency === '') record.urgency = '3';
    record.priority = priorityOf(record.impact ?? '3', record.urgency ?? '3');
    if (record.opened_at === '') record.opened_at = stamp;
    record.active = isClosedState(record.state ?? '') ? 'false' : 'true';
  }

  /** What the platform's business rules do on update: state mirrors, timestamps, priority. */
  #incidentRules(record: SnRecord, before: SnRecord, changed: SnRecord, stamp: string): void {
    if (changed.incident_state !== undefined && changed.state === undefined)
      record.state = changed.incident_state;
    record.incident_state = record.state ?? '';
    record.priority = priorityOf(record.impact ?? '3', record.urgency ?? '3');
    if (record.state !== before.state) {
      if (record.state === '6' && record.resolved_at === '') record.resolved_at = stamp;
      if (record.state === '7' && record.closed_at === '') record.closed_at = stamp;
      if (record.state !== '3') record.hold_reason = changed.hold_reason ?? '';
    }
    record.active = isClosedState(record.state ?? '') ? 'false' : 'true';
  }

  #journal(def: TableDef, sysId: string, entries: [string, string][], user: string, stamp: string): void {
    for (const [element, value] of entries) {
      const entry: JournalEntry = {
        element_id: sysId,
        element,
        name: def.name,
        value,
        sys_created_on: stamp,
        sys_created_by: user,
      };
      this.store.insert(journalType, randomBytes(16).toString('hex'), entry, {
        createdMs: parseGlideDateTime(stamp) ?? this.now(),
      });
    }
  }
}

/** ServiceNow's default priority lookup: impact × urgency → 1 Critical … 5 Planning. */
export function priorityOf(impact: string, urgency: string): string {
  const i = Number(impact) || 3;
  const u = Number(urgency) || 3;
  return String(Math.min(5, Math.max(1, i + u - 1)));
}

function isClosedState(state: string): boolean {
  return state === '7' || state === '8';
}

/**
 * The fields of a request body the platform writes: known, not read-only; values coerced to
 * strings as the instance does (numbers, booleans; `{value}` objects for references). Journal
 * fields are split out: they append an entry rather than set a value. Unknown fields are ignored,
 * as on a real instance.
 */
function writableFields(
  def: TableDef,
  body: Record<string, unknown>,
): { fields: SnRecord; journal: [string, string][] } {
  const fields: SnRecord = {};
  const journal: [string, string][] = [];
  for (const [name, raw] of Object.entries(body)) {
    const field = def.fields[name];
    if (field === undefined || field.readOnly || field.type === 'sys_id') continue;
    const value = coerce(raw);
    if (value === undefined) continue;
    if (field.type === 'journal') {
      if (value !== '') journal.push([name, value]);
      continue;
    }
    fields[name] = value;
  }
  return { fields, journal };
}

function coerce(raw: unknown): string | undefined {
  if (raw === null) return '';
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  if (typeof raw === 'object' && typeof (raw as { value?: unknown }).value === 'string') {
    return (raw as { value: string }).value;
  }
  return undefined;
}
