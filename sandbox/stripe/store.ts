import type { RecordStore } from '../common/record-store.js';

/** Any Stripe object as stored: JSON with an id, a type and a creation second. */
export type StripeObject = Record<string, unknown> & { id: string; object: string; created: number };

/**
 * Stripe's view of the kit's record store: objects keyed by (type, id) with `created` as their
 * creation time, listed newest first (insertion order breaks ties, as Stripe's does), and every
 * change moving the record's updated time.
 */
export class StripeStore {
  constructor(
    readonly records: RecordStore,
    private readonly nowMs: () => number,
  ) {}

  insert(obj: StripeObject): void {
    this.records.insert(obj.object, obj.id, obj, { createdMs: obj.created * 1000, updatedMs: this.nowMs() });
  }

  update(obj: StripeObject): void {
    this.records.update(obj.object, obj.id, obj, this.nowMs());
  }

  delete(type: string, id: string): void {
    this.records.delete(type, id);
  }

  get(type: string, id: string): StripeObject | undefined {
    return this.records.get<StripeObject>(type, id)?.data;
  }

  /** All objects of a type, newest first: Stripe's list order. */
  all(type: string): StripeObject[] {
    const rows = this.records.db
      .prepare('SELECT data FROM records WHERE type = ? ORDER BY created_ms DESC, seq DESC')
      .all(type) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as StripeObject);
  }

  count(type: string): number {
    return this.records.count(type);
  }
}
