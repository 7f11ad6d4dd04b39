import { z } from 'zod';

/**
 * What the sandbox accepts in a record body, per record type: strict objects, so a misspelt field
 * is refused the way NetSuite refuses it instead of being silently dropped. Read-only fields are
 * accepted and ignored, so a record fetched with GET can be sent back with PUT.
 */

export const recordTypes = ['customer', 'salesOrder', 'invoice'] as const;
export type RecordType = (typeof recordTypes)[number];

export function isRecordType(value: string): value is RecordType {
  return (recordTypes as readonly string[]).includes(value);
}

/** External ids addressable as `eid:…` in a URL: letters, digits, `_` and `-`. */
export const externalIdPattern = /^[A-Za-z0-9_-]{1,255}$/;
const ExternalId = z.string().regex(externalIdPattern, 'external ids use letters, digits, "_" and "-"');

/** A reference to another record: by internal id or by external id; `refName`/`links` are read-only. */
export const RefInput = z
  .object({
    id: z.union([z.string().regex(/^-?\d+$/), z.number().int()]).optional(),
    externalId: ExternalId.optional(),
    refName: z.unknown().optional(),
    links: z.unknown().optional(),
  })
  .refine((r) => r.id !== undefined || r.externalId !== undefined, 'a reference needs id or externalId');
export type RefInput = z.infer<typeof RefInput>;

const ReadOnly = z.unknown().optional();
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'dates are YYYY-MM-DD');

const Address = z.strictObject({
  addr1: z.string().optional(),
  addr2: z.string().optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  zip: z.string().optional(),
  country: z.string().optional(),
  addressee: z.string().optional(),
});

export const CustomerInput = z.strictObject({
  externalId: ExternalId.optional(),
  entityId: z.string().max(83).optional(),
  isPerson: z.boolean().optional(),
  companyName: z.string().max(83).optional(),
  firstName: z.string().max(32).optional(),
  lastName: z.string().max(32).optional(),
  email: z.string().max(254).optional(),
  phone: z.string().max(32).optional(),
  altPhone: z.string().max(32).optional(),
  url: z.string().optional(),
  subsidiary: RefInput.optional(),
  currency: RefInput.optional(),
  terms: RefInput.optional(),
  salesRep: RefInput.optional(),
  entityStatus: RefInput.optional(),
  category: RefInput.optional(),
  parent: RefInput.optional(),
  priceLevel: RefInput.optional(),
  creditLimit: z.number().min(0).optional(),
  isInactive: z.boolean().optional(),
  comments: z.string().max(999).optional(),
  addressBook: z
    .strictObject({
      items: z.array(
        z.strictObject({
          defaultBilling: z.boolean().optional(),
          defaultShipping: z.boolean().optional(),
          label: z.string().optional(),
          addressBookAddress: Address.optional(),
        }),
      ),
      links: ReadOnly,
      totalResults: ReadOnly,
    })
    .optional(),
  id: ReadOnly,
  links: ReadOnly,
  balance: ReadOnly,
  overdueBalance: ReadOnly,
  unbilledOrders: ReadOnly,
  dateCreated: ReadOnly,
  lastModifiedDate: ReadOnly,
});
export type CustomerInput = z.infer<typeof CustomerInput>;

export const LineInput = z.strictObject({
  line: z.number().int().positive().optional(),
  item: RefInput,
  quantity: z.number().refine((q) => q !== 0, 'quantity cannot be 0'),
  rate: z.number().optional(),
  amount: z.number().optional(),
  description: z.string().max(4000).optional(),
  price: RefInput.optional(),
  taxCode: RefInput.optional(),
  isClosed: z.boolean().optional(),
  quantityFulfilled: ReadOnly,
  quantityBilled: ReadOnly,
  links: ReadOnly,
});
export type LineInput = z.infer<typeof LineInput>;

const transactionFields = {
  externalId: ExternalId.optional(),
  tranId: z.string().max(45).optional(),
  tranDate: IsoDate.optional(),
  entity: RefInput.optional(),
  otherRefNum: z.string().max(45).optional(),
  memo: z.string().max(999).optional(),
  currency: RefInput.optional(),
  exchangeRate: z.number().positive().optional(),
  subsidiary: RefInput.optional(),
  location: RefInput.optional(),
  department: RefInput.optional(),
  class: RefInput.optional(),
  salesRep: RefInput.optional(),
  terms: RefInput.optional(),
  discountTotal: z.number().optional(),
  item: z.strictObject({ items: z.array(LineInput), links: ReadOnly, totalResults: ReadOnly }).optional(),
  id: ReadOnly,
  links: ReadOnly,
  status: ReadOnly,
  subtotal: ReadOnly,
  taxTotal: ReadOnly,
  total: ReadOnly,
  createdDate: ReadOnly,
  lastModifiedDate: ReadOnly,
  billAddress: ReadOnly,
  shipAddress: ReadOnly,
};

export const SalesOrderInput = z.strictObject({
  ...transactionFields,
  orderStatus: z.strictObject({ id: z.enum(['A', 'B']), refName: ReadOnly }).optional(),
  shipDate: IsoDate.optional(),
  shipMethod: RefInput.optional(),
});
export type SalesOrderInput = z.infer<typeof SalesOrderInput>;

export const InvoiceInput = z.strictObject({
  ...transactionFields,
  dueDate: IsoDate.optional(),
  createdFrom: RefInput.optional(),
  postingPeriod: RefInput.optional(),
  email: z.string().max(254).optional(),
  amountPaid: ReadOnly,
  amountRemaining: ReadOnly,
});
export type InvoiceInput = z.infer<typeof InvoiceInput>;

export const inputSchemas = {
  customer: CustomerInput,
  salesOrder: SalesOrderInput,
  invoice: InvoiceInput,
} as const satisfies Record<RecordType, z.ZodType>;

/** Read-only fields: accepted in a body, never stored from it. */
export const readOnlyFields = new Set([
  'id',
  'links',
  'balance',
  'overdueBalance',
  'unbilledOrders',
  'dateCreated',
  'lastModifiedDate',
  'status',
  'subtotal',
  'taxTotal',
  'total',
  'createdDate',
  'billAddress',
  'shipAddress',
  'amountPaid',
  'amountRemaining',
]);
