import { z } from 'zod';
import { confidential, financial, pii } from '../../connector/classification.js';

/**
 * NetSuite records as the REST record service returns them (camelCase names of the REST API
 * Browser). Loose objects: accounts add custom fields (`custentity_*`, `custbody_*`) and NetSuite
 * adds fields by release; only what flows rely on is typed. Classified fields drive redaction and
 * model-access policies.
 */

export const NetSuiteLink = z.looseObject({ rel: z.string(), href: z.string() });

/** A reference to another record: `{id, refName}` (plus `links`), e.g. `entity`, `subsidiary`. */
export const RecordRef = z.looseObject({
  id: z.string(),
  refName: z.string().optional(),
  externalId: z.string().optional(),
  links: z.array(NetSuiteLink).optional(),
});

/** `status` is `{id, refName}` like a reference, but its id is a code (`A`, `B`, …). */
const Status = z.looseObject({ id: z.string().optional(), refName: z.string().optional() });

/** A sublist (`item`, `addressBook`): lines only with `expandSubResources=true`, else just links. */
function sublist<T extends z.ZodType>(line: T) {
  return z.looseObject({
    items: z.array(line).optional(),
    totalResults: z.number().int().optional(),
    links: z.array(NetSuiteLink).optional(),
  });
}

const Money = financial(z.number());

export const NetSuiteAddressLine = z.looseObject({
  defaultBilling: z.boolean().optional(),
  defaultShipping: z.boolean().optional(),
  label: z.string().optional(),
  addressBookAddress: z
    .looseObject({
      addr1: z.string().optional(),
      addr2: z.string().optional(),
      city: z.string().optional(),
      state: z.string().optional(),
      zip: z.string().optional(),
      country: z.string().optional(),
    })
    .optional(),
});

export const NetSuiteCustomer = z.looseObject({
  id: z.string(),
  externalId: z.string().optional(),
  /** The name shown in the UI; for a person it is their name. */
  entityId: pii(z.string()).optional(),
  isPerson: z.boolean().optional(),
  companyName: z.string().optional(),
  firstName: pii(z.string()).optional(),
  lastName: pii(z.string()).optional(),
  email: pii(z.string()).optional(),
  phone: pii(z.string()).optional(),
  altPhone: pii(z.string()).optional(),
  url: z.string().optional(),
  subsidiary: RecordRef.optional(),
  currency: RecordRef.optional(),
  terms: RecordRef.optional(),
  salesRep: RecordRef.optional(),
  entityStatus: RecordRef.optional(),
  parent: RecordRef.optional(),
  creditLimit: Money.optional(),
  balance: Money.optional(),
  overdueBalance: Money.optional(),
  unbilledOrders: Money.optional(),
  isInactive: z.boolean().optional(),
  comments: confidential(z.string()).optional(),
  dateCreated: z.string().optional(),
  lastModifiedDate: z.string().optional(),
  addressBook: pii(sublist(NetSuiteAddressLine)).optional(),
  links: z.array(NetSuiteLink).optional(),
});
export type NetSuiteCustomer = z.infer<typeof NetSuiteCustomer>;

export const NetSuiteLine = z.looseObject({
  line: z.number().int().optional(),
  item: RecordRef,
  quantity: z.number().optional(),
  rate: Money.optional(),
  amount: Money.optional(),
  description: z.string().optional(),
  isClosed: z.boolean().optional(),
});
export type NetSuiteLine = z.infer<typeof NetSuiteLine>;

const transactionShape = {
  id: z.string(),
  externalId: z.string().optional(),
  tranId: z.string().optional(),
  tranDate: z.string().optional(),
  entity: RecordRef.optional(),
  status: Status.optional(),
  otherRefNum: z.string().optional(),
  memo: confidential(z.string()).optional(),
  currency: RecordRef.optional(),
  exchangeRate: z.number().optional(),
  subsidiary: RecordRef.optional(),
  terms: RecordRef.optional(),
  subtotal: Money.optional(),
  discountTotal: Money.optional(),
  taxTotal: Money.optional(),
  total: Money.optional(),
  createdDate: z.string().optional(),
  lastModifiedDate: z.string().optional(),
  item: sublist(NetSuiteLine).optional(),
  links: z.array(NetSuiteLink).optional(),
};

export const NetSuiteSalesOrder = z.looseObject({
  ...transactionShape,
  shipDate: z.string().optional(),
});
export type NetSuiteSalesOrder = z.infer<typeof NetSuiteSalesOrder>;

export const NetSuiteInvoice = z.looseObject({
  ...transactionShape,
  dueDate: z.string().optional(),
  createdFrom: RecordRef.optional(),
  email: pii(z.string()).optional(),
  amountPaid: Money.optional(),
  amountRemaining: Money.optional(),
});
export type NetSuiteInvoice = z.infer<typeof NetSuiteInvoice>;

/** `GET /record/v1/{type}`: ids and self links only; fetch each record (or use SuiteQL) for fields. */
export const CollectionPage = z.looseObject({
  links: z.array(NetSuiteLink),
  count: z.number().int(),
  hasMore: z.boolean(),
  items: z.array(z.looseObject({ id: z.string(), links: z.array(NetSuiteLink).optional() })),
  offset: z.number().int(),
  totalResults: z.number().int(),
});
export type CollectionPage = z.infer<typeof CollectionPage>;

/** One SuiteQL row: lower-case column names, values as strings, NULL columns left out. */
export const SuiteQlRow = z.record(z.string(), z.unknown());

export const SuiteQlPage = z.looseObject({
  links: z.array(NetSuiteLink),
  count: z.number().int(),
  hasMore: z.boolean(),
  items: z.array(SuiteQlRow),
  offset: z.number().int(),
  totalResults: z.number().int(),
});
export type SuiteQlPage = z.infer<typeof SuiteQlPage>;

/** What a write answers: NetSuite sends 204 and the new record's URL in `Location`. */
export const WriteResult = z.object({
  id: z.string(),
  externalId: z.string().optional(),
  location: z.string(),
});
export type WriteResult = z.infer<typeof WriteResult>;

export const DeleteResult = z.object({ id: z.string(), deleted: z.literal(true) });

// ---- inputs ----

/** Points at another record by internal id or external id (`{externalId}` saves a lookup in a sync). */
export const RefInput = z.union([
  z.strictObject({ id: z.string().regex(/^\d+$/, 'internal ids are digits') }),
  z.strictObject({ externalId: z.string().min(1) }),
]);

/** Account-specific custom fields, sent as they are: `custentity_*`, `custbody_*`. */
const CustomFields = z.record(z.string().regex(/^cust(entity|body|col|record)_\w+$/), z.unknown());

export const CustomerFields = z.object({
  entityId: pii(z.string().max(83)).optional(),
  isPerson: z.boolean().optional(),
  companyName: z.string().max(83).optional(),
  firstName: pii(z.string().max(32)).optional(),
  lastName: pii(z.string().max(32)).optional(),
  email: pii(z.string().max(254)).optional(),
  phone: pii(z.string().max(32)).optional(),
  altPhone: pii(z.string().max(32)).optional(),
  url: z.string().optional(),
  subsidiary: RefInput.optional(),
  currency: RefInput.optional(),
  terms: RefInput.optional(),
  salesRep: RefInput.optional(),
  entityStatus: RefInput.optional(),
  category: RefInput.optional(),
  parent: RefInput.optional(),
  creditLimit: financial(z.number().min(0)).optional(),
  isInactive: z.boolean().optional(),
  comments: confidential(z.string().max(999)).optional(),
  addressBook: pii(z.object({ items: z.array(NetSuiteAddressLine) })).optional(),
  customFields: CustomFields.optional(),
});

export const LineInput = z.object({
  /** Set to change an existing line; absent appends (PATCH) or numbers the line (create, upsert). */
  line: z.number().int().positive().optional(),
  item: RefInput,
  quantity: z.number(),
  rate: financial(z.number()).optional(),
  description: z.string().max(4000).optional(),
  isClosed: z.boolean().optional(),
});

const transactionFields = {
  tranId: z.string().max(45).optional(),
  tranDate: z.iso.date().optional(),
  entity: RefInput.optional(),
  otherRefNum: z.string().max(45).optional(),
  memo: confidential(z.string().max(999)).optional(),
  currency: RefInput.optional(),
  exchangeRate: z.number().positive().optional(),
  subsidiary: RefInput.optional(),
  location: RefInput.optional(),
  department: RefInput.optional(),
  class: RefInput.optional(),
  salesRep: RefInput.optional(),
  terms: RefInput.optional(),
  discountTotal: financial(z.number()).optional(),
  item: z.object({ items: z.array(LineInput) }).optional(),
  customFields: CustomFields.optional(),
};

export const SalesOrderFields = z.object({
  ...transactionFields,
  orderStatus: z.object({ id: z.enum(['A', 'B']) }).optional(),
  shipDate: z.iso.date().optional(),
});

export const InvoiceFields = z.object({
  ...transactionFields,
  dueDate: z.iso.date().optional(),
  createdFrom: RefInput.optional(),
  email: pii(z.string().max(254)).optional(),
});

/** External ids addressable in a URL (`eid:`): letters, digits, `_` and `-`. */
export const ExternalId = z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'use letters, digits, "_" and "-"');

/** One record by internal id or by external id. */
export const RecordKey = z
  .object({ id: z.string().regex(/^\d+$/).optional(), externalId: ExternalId.optional() })
  .refine(
    (k) => (k.id === undefined) !== (k.externalId === undefined),
    'give exactly one of id or externalId',
  );
