/**
 * Reference data every sandbox account has, seeded or not: the lists a NetSuite account is set up
 * with before any customer exists. Records point at these by internal id (`{ id: '1' }`); the
 * sandbox answers with the `refName` NetSuite shows.
 */

export interface RefEntry {
  id: string;
  refName: string;
}

/** OneWorld subsidiaries of Loomwise, the fictional business; the parent is id 1. */
export const subsidiaries: RefEntry[] = [
  { id: '1', refName: 'Loomwise Inc.' },
  { id: '2', refName: 'Loomwise Inc. : Loomwise Ltd' },
  { id: '3', refName: 'Loomwise Inc. : Loomwise GmbH' },
];

/** Internal ids as a US-based account numbers its currencies. */
export const currencies: RefEntry[] = [
  { id: '1', refName: 'USA' },
  { id: '2', refName: 'British pound' },
  { id: '3', refName: 'Canadian Dollar' },
  { id: '4', refName: 'Euro' },
];

export const terms: RefEntry[] = [
  { id: '1', refName: 'Net 15' },
  { id: '2', refName: 'Net 30' },
  { id: '3', refName: 'Net 60' },
  { id: '4', refName: 'Due on receipt' },
];

/** Loomwise's price list: the items a sales order or invoice line refers to (rates in major units). */
export const items: (RefEntry & { rate: number })[] = [
  { id: '10', refName: 'Loomwise Starter (per seat, monthly)', rate: 15 },
  { id: '11', refName: 'Loomwise Growth (per seat, monthly)', rate: 49 },
  { id: '12', refName: 'Loomwise Scale (per seat, monthly)', rate: 129 },
  { id: '20', refName: 'API overage (per 10k calls)', rate: 2.5 },
  { id: '30', refName: 'Onboarding services', rate: 1500 },
];

export const salesOrderStatuses: RefEntry[] = [
  { id: 'A', refName: 'Pending Approval' },
  { id: 'B', refName: 'Pending Fulfillment' },
  { id: 'C', refName: 'Cancelled' },
  { id: 'D', refName: 'Partially Fulfilled' },
  { id: 'E', refName: 'Pending Billing/Partially Fulfilled' },
  { id: 'F', refName: 'Pending Billing' },
  { id: 'G', refName: 'Billed' },
  { id: 'H', refName: 'Closed' },
];

export const invoiceStatuses: RefEntry[] = [
  { id: 'A', refName: 'Open' },
  { id: 'B', refName: 'Paid In Full' },
];

export const entityStatuses: RefEntry[] = [
  { id: '13', refName: 'CUSTOMER-Closed Won' },
  { id: '6', refName: 'LEAD-Unqualified' },
  { id: '10', refName: 'PROSPECT-In Discussion' },
];

/** The reference lists by the record field that points at them. */
export const referenceLists: Record<string, RefEntry[]> = {
  subsidiary: subsidiaries,
  currency: currencies,
  terms,
  entityStatus: entityStatuses,
};

export function findRef(list: readonly RefEntry[], id: string): RefEntry | undefined {
  return list.find((e) => e.id === id);
}
