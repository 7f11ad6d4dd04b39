import type { RecordStore, StoredRecord } from '../common/record-store.js';
import { NsFailure, userError } from './errors.js';
import {
  type CustomerInput,
  type InvoiceInput,
  type LineInput,
  type RecordType,
  type RefInput,
  readOnlyFields,
  type SalesOrderInput,
} from './record-input.js';
import {
  currencies,
  findRef,
  invoiceStatuses,
  items,
  type RefEntry,
  referenceLists,
  salesOrderStatuses,
  terms as termsList,
} from './reference.js';

export interface Ref {
  id: string;
  refName?: string;
}

export interface Line {
  line: number;
  item: Ref;
  quantity: number;
  rate: number;
  amount: number;
  description: string;
  isClosed?: boolean;
  price?: Ref;
  taxCode?: Ref;
}

/** A stored record body: the REST shape without links (added per response). */
export type NsData = Record<string, unknown> & {
  id: string;
  externalId?: string;
  lastModifiedDate: string;
  item?: { items: Line[] };
};

export type ChangeKind = 'create' | 'edit' | 'delete';
export interface RecordChange {
  type: RecordType;
  id: string;
  kind: ChangeKind;
  data: NsData;
}

type AnyInput = CustomerInput | SalesOrderInput | InvoiceInput;

/** How a write treats sublists it is given: merge by `line` (PATCH) or replace (PUT, `?replace=item`). */
export type SublistMode = 'merge' | 'replace';

const day = 86_400_000;
const termDays: Record<string, number> = { '1': 15, '2': 30, '3': 60, '4': 0 };
const subsidiaryCurrency: Record<string, string> = { '1': '1', '2': '2', '3': '4' };

/** NetSuite datetimes are ISO 8601 in UTC to the second. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The sandbox's records of customer, salesOrder and invoice on the kit's SQLite store, with the
 * rules NetSuite applies when saving: required fields, resolved references, numbering, computed
 * totals, second-precision `lastModifiedDate`, unique external ids (indexed, so `eid:` upserts
 * stay fast at bulk volume) and dependent-record checks on delete.
 */
export class NetSuiteRecords {
  readonly #store: RecordStore;
  readonly #now: () => number;
  readonly #onChange: (change: RecordChange) => void;
  readonly #byEid;
  readonly #page;
  readonly #dependents;

  constructor(store: RecordStore, now: () => number, onChange: (change: RecordChange) => void) {
    this.#store = store;
    this.#now = now;
    this.#onChange = onChange;
    // SQLite allows many NULLs in a unique index, so records without an external id are not constrained.
    store.db.exec(
      "CREATE UNIQUE INDEX IF NOT EXISTS netsuite_external_id ON records (type, json_extract(data, '$.externalId'))",
    );
    this.#byEid = store.db.prepare(
      "SELECT id FROM records WHERE type = ? AND json_extract(data, '$.externalId') = ?",
    );
    this.#page = store.db.prepare('SELECT id FROM records WHERE type = ? ORDER BY seq LIMIT ? OFFSET ?');
    this.#dependents = store.db.prepare(
      "SELECT 1 FROM records WHERE type IN ('salesOrder', 'invoice') AND (json_extract(data, '$.entity.id') = ? OR json_extract(data, '$.createdFrom.id') = ?) LIMIT 1",
    );
  }

  get(type: RecordType, id: string): StoredRecord<NsData> | undefined {
    return this.#store.get<NsData>(type, id);
  }

  idForExternalId(type: RecordType, externalId: string): string | undefined {
    return (this.#byEid.get(type, externalId) as { id: string } | undefined)?.id;
  }

  /** `123` or `eid:ABC` → the stored record. */
  resolve(type: RecordType, key: string): StoredRecord<NsData> | undefined {
    if (key.startsWith('eid:')) {
      const id = this.idForExternalId(type, key.slice(4));
      return id === undefined ? undefined : this.get(type, id);
    }
    return /^\d+$/.test(key) ? this.get(type, key) : undefined;
  }

  /** Ids in internal-id order for one offset page, plus the total. */
  page(type: RecordType, limit: number, offset: number): { ids: string[]; total: number } {
    const ids = (this.#page.all(type, limit, offset) as { id: string }[]).map((r) => r.id);
    return { ids, total: this.#store.count(type) };
  }

  all(type: RecordType): StoredRecord<NsData>[] {
    return this.#store.all<NsData>(type);
  }

  /**
   * Creates (no `existing`) or updates a record from a parsed body. `externalIdFromPath` is the
   * `eid:` of an upsert: it becomes the record's external id.
   */
  save(opts: {
    type: RecordType;
    input: AnyInput;
    existing?: StoredRecord<NsData>;
    sublists: SublistMode;
    externalIdFromPath?: string;
    /** Seed only: the timestamps the business says, instead of now. */
    at?: { createdMs: number; updatedMs: number };
    /** Seed only: read-only values the business history implies (amount paid, balance, status). */
    systemFields?: Record<string, unknown>;
  }): { id: string; created: boolean } {
    const { type, existing } = opts;
    const input = opts.input as Record<string, unknown>;
    if (
      opts.externalIdFromPath !== undefined &&
      input.externalId !== undefined &&
      input.externalId !== opts.externalIdFromPath
    ) {
      throw userError('The external ID in the request body does not match the one in the URL.', 'externalId');
    }
    const nowMs = opts.at?.updatedMs ?? Math.floor(this.#now() / 1000) * 1000;
    const data: Record<string, unknown> = existing ? { ...existing.data } : {};
    for (const [key, value] of Object.entries(input)) {
      if (readOnlyFields.has(key) || value === undefined || key === 'item' || key === 'addressBook') continue;
      data[key] = isRef(value) ? this.#resolveRef(key, value) : value;
    }
    if (opts.externalIdFromPath !== undefined) data.externalId = opts.externalIdFromPath;
    Object.assign(data, opts.systemFields ?? {});
    if (input.addressBook !== undefined)
      data.addressBook = { items: (input.addressBook as { items: unknown[] }).items };
    const lineInput = (input.item as { items: LineInput[] } | undefined)?.items;
    if (lineInput !== undefined) {
      const current = (existing?.data.item?.items ?? []) as Line[];
      data.item = { items: this.#lines(lineInput, opts.sublists === 'replace' ? [] : current) };
    }
    const created = existing === undefined;
    const id =
      existing?.id ?? String(this.#store.nextNumber(type === 'customer' ? 'ns:entity' : 'ns:transaction'));
    data.id = id;
    const eid = data.externalId as string | undefined;
    if (eid !== undefined) {
      const holder = this.idForExternalId(type, eid);
      if (holder !== undefined && holder !== id)
        throw userError(`A ${type} record with external ID ${eid} already exists.`, 'externalId');
    }
    const createdMs = opts.at?.createdMs ?? nowMs;
    if (type === 'customer') this.#finishCustomer(data, created, createdMs);
    else this.#finishTransaction(type, data, created, createdMs);
    data.lastModifiedDate = isoSeconds(nowMs);
    const body = data as NsData;
    if (created) this.#store.insert(type, id, body, { createdMs, updatedMs: nowMs });
    else this.#store.update(type, id, body, nowMs);
    if (opts.at === undefined) this.#onChange({ type, id, kind: created ? 'create' : 'edit', data: body });
    return { id, created };
  }

  delete(type: RecordType, record: StoredRecord<NsData>): void {
    if (type !== 'invoice' && this.#dependents.get(record.id, record.id) !== undefined) {
      throw userError('This record cannot be deleted because it has dependent records.');
    }
    this.#store.delete(type, record.id);
    this.#onChange({ type, id: record.id, kind: 'delete', data: record.data });
  }

  /** `POST salesOrder/{id}/!transform/invoice`: bills the order's open lines into a new invoice. */
  transformToInvoice(order: StoredRecord<NsData>, overrides: InvoiceInput): string {
    const status = (order.data.status as Ref | undefined)?.id;
    if (status === 'G' || status === 'C' || status === 'H') {
      throw userError(`Sales order ${String(order.data.tranId)} has nothing left to bill.`);
    }
    const lines = (order.data.item?.items ?? [])
      .filter((l) => !l.isClosed)
      .map((l) => ({
        item: { id: l.item.id },
        quantity: l.quantity,
        rate: l.rate,
        description: l.description,
      }));
    const input: InvoiceInput = {
      entity: { id: (order.data.entity as Ref).id },
      currency: { id: (order.data.currency as Ref).id },
      subsidiary: { id: (order.data.subsidiary as Ref).id },
      createdFrom: { id: order.id },
      item: { items: lines },
      ...overrides,
    };
    const { id } = this.save({ type: 'invoice', input, sublists: 'replace' });
    const billed = { ...order.data, status: ref(salesOrderStatuses, 'G') };
    this.save({ type: 'salesOrder', input: {}, existing: { ...order, data: billed }, sublists: 'merge' });
    return id;
  }

  #resolveRef(field: string, value: RefInput): Ref {
    const id = value.id === undefined ? undefined : String(value.id);
    if (field === 'entity' || field === 'parent')
      return this.#recordRef('customer', field, id, value.externalId);
    if (field === 'createdFrom') return this.#recordRef('salesOrder', field, id, value.externalId);
    const list = referenceLists[field];
    if (list !== undefined) {
      const entry = id === undefined ? undefined : findRef(list, id);
      if (entry === undefined)
        throw userError(`Invalid ${field} reference key ${id ?? value.externalId}.`, field);
      return { id: entry.id, refName: entry.refName };
    }
    if (id === undefined) throw userError(`${field} can only be referenced by internal id here.`, field);
    return { id };
  }

  #recordRef(type: RecordType, field: string, id: string | undefined, externalId: string | undefined): Ref {
    const found = id !== undefined ? this.get(type, id) : this.resolve(type, `eid:${externalId}`);
    if (found === undefined)
      throw userError(`Invalid ${field} reference key ${id ?? `eid:${externalId}`}.`, field);
    const name = type === 'customer' ? found.data.entityId : found.data.tranId;
    return { id: found.id, refName: String(name) };
  }

  #lines(input: LineInput[], current: Line[]): Line[] {
    const out = current.map((l) => ({ ...l }));
    let next = out.reduce((m, l) => Math.max(m, l.line), 0) + 1;
    for (const [i, l] of input.entries()) {
      const itemId = l.item.id === undefined ? undefined : String(l.item.id);
      const catalog = itemId === undefined ? undefined : items.find((e) => e.id === itemId);
      if (catalog === undefined)
        throw userError(
          `Invalid item reference key ${itemId ?? l.item.externalId}.`,
          `item.items[${i}].item`,
        );
      const rate = l.rate ?? (l.amount !== undefined ? l.amount / l.quantity : catalog.rate);
      const line: Line = {
        line: l.line ?? next,
        item: { id: catalog.id, refName: catalog.refName },
        quantity: l.quantity,
        rate,
        amount: round2(l.quantity * rate),
        description: l.description ?? catalog.refName,
        ...(l.isClosed !== undefined ? { isClosed: l.isClosed } : {}),
      };
      const at = out.findIndex((o) => o.line === line.line);
      if (at >= 0) out[at] = line;
      else {
        out.push(line);
        next = Math.max(next, line.line) + 1;
      }
    }
    return out;
  }

  #finishCustomer(data: Record<string, unknown>, created: boolean, createdMs: number): void {
    data.isPerson ??= false;
    const missing: string[] = [];
    if (data.isPerson === true) {
      if (!data.firstName) missing.push('First Name');
      if (!data.lastName) missing.push('Last Name');
    } else if (!data.companyName) missing.push('Company Name');
    if (missing.length > 0) throw userError(`Please enter value(s) for: ${missing.join(', ')}`);
    if (typeof data.email === 'string' && data.email !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(data.email))
      throw userError('Please enter a valid email address.', 'email');
    if (created) {
      // Without auto-numbering NetSuite's entity id is the name as entered.
      data.entityId ??= data.isPerson === true ? `${data.firstName} ${data.lastName}` : data.companyName;
      data.subsidiary ??= ref(referenceLists.subsidiary ?? [], '1');
      const sub = (data.subsidiary as Ref).id;
      data.currency ??= ref(currencies, subsidiaryCurrency[sub] ?? '1');
      data.entityStatus ??= ref(referenceLists.entityStatus ?? [], '13');
      data.isInactive ??= false;
      data.balance ??= 0;
      data.overdueBalance ??= 0;
      data.unbilledOrders ??= 0;
      data.dateCreated = isoSeconds(createdMs);
    }
  }

  #finishTransaction(
    type: 'salesOrder' | 'invoice',
    data: Record<string, unknown>,
    created: boolean,
    createdMs: number,
  ): void {
    if (data.entity === undefined) throw userError('Please enter value(s) for: Customer', 'entity');
    const lines = (data.item as { items: Line[] } | undefined)?.items ?? [];
    if (lines.length === 0)
      throw userError('You must enter at least one line item for this transaction.', 'item');
    const customer = this.get('customer', (data.entity as Ref).id);
    if (created) {
      data.subsidiary ??= customer?.data.subsidiary ?? ref(referenceLists.subsidiary ?? [], '1');
      data.currency ??= customer?.data.currency ?? ref(currencies, '1');
      data.exchangeRate ??= 1;
      data.tranDate ??= new Date(createdMs).toISOString().slice(0, 10);
      const prefix = type === 'salesOrder' ? 'SO' : 'INV';
      data.tranId ??= `${prefix}${this.#store.nextNumber(`ns:${prefix}`) + 1000}`;
      data.createdDate = isoSeconds(createdMs);
    }
    const subtotal = round2(lines.reduce((s, l) => s + l.amount, 0));
    const discount = typeof data.discountTotal === 'number' ? data.discountTotal : 0;
    data.subtotal = subtotal;
    data.discountTotal = discount;
    data.taxTotal = 0;
    data.total = round2(subtotal + discount);
    if (type === 'salesOrder') {
      if (created) {
        const wanted = (data.orderStatus as { id?: string } | undefined)?.id ?? 'B';
        data.status ??= ref(salesOrderStatuses, wanted);
      }
      delete data.orderStatus;
      return;
    }
    data.terms ??= ref(termsList, '2');
    data.dueDate ??= new Date(
      Date.parse(`${String(data.tranDate)}T00:00:00Z`) + (termDays[(data.terms as Ref).id] ?? 30) * day,
    )
      .toISOString()
      .slice(0, 10);
    if (created && customer?.data.email !== undefined) data.email ??= customer.data.email;
    const paid = typeof data.amountPaid === 'number' ? data.amountPaid : 0;
    data.amountPaid = paid;
    data.amountRemaining = round2((data.total as number) - paid);
    data.status = ref(invoiceStatuses, (data.amountRemaining as number) <= 0 && paid > 0 ? 'B' : 'A');
  }
}

function isRef(value: unknown): value is RefInput {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    ('id' in value || 'externalId' in value) &&
    Object.keys(value).every((k) => ['id', 'externalId', 'refName', 'links'].includes(k))
  );
}

function ref(list: readonly RefEntry[], id: string): Ref {
  const entry = findRef(list, id);
  if (entry === undefined) throw new NsFailure(500, 'UNEXPECTED_ERROR', `reference data lacks ${id}`);
  return { id: entry.id, refName: entry.refName };
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
