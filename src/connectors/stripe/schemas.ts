import { z } from 'zod';
import { confidential, financial, pii } from '../../connector/classification.js';

/**
 * Stripe objects as Weft reads them (API version in version.ts). Loose objects: Stripe adds fields
 * in minor releases and we must not reject them; only what flows rely on is typed. Classified
 * fields drive redaction and model-access policies.
 */

const Metadata = confidential(z.record(z.string(), z.string()));
const Address = z.looseObject({
  city: z.string().nullable(),
  country: z.string().nullable(),
  line1: z.string().nullable(),
  line2: z.string().nullable(),
  postal_code: z.string().nullable(),
  state: z.string().nullable(),
});
/** A reference that is an id, or the object when expanded (`expand[]=customer`). */
const Ref = z.union([z.string(), z.looseObject({ id: z.string() })]);
const Amount = financial(z.number().int());

export const StripeCustomer = z.looseObject({
  id: z.string(),
  object: z.literal('customer'),
  email: pii(z.string()).nullable(),
  name: pii(z.string()).nullable(),
  phone: pii(z.string()).nullable().optional(),
  address: pii(Address).nullable().optional(),
  description: z.string().nullable(),
  balance: financial(z.number().int()),
  currency: z.string().nullable().optional(),
  delinquent: z.boolean().nullable().optional(),
  metadata: Metadata,
  created: z.number().int(),
  livemode: z.boolean(),
});
export type StripeCustomer = z.infer<typeof StripeCustomer>;

export const StripeInvoice = z.looseObject({
  id: z.string(),
  object: z.literal('invoice'),
  customer: Ref.nullable(),
  customer_email: pii(z.string()).nullable(),
  customer_name: pii(z.string()).nullable(),
  status: z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']).nullable(),
  amount_due: Amount,
  amount_paid: Amount,
  amount_remaining: Amount,
  subtotal: Amount,
  total: Amount,
  currency: z.string(),
  collection_method: z.enum(['charge_automatically', 'send_invoice']),
  due_date: z.number().int().nullable(),
  number: z.string().nullable(),
  lines: z.looseObject({ data: z.array(z.looseObject({ id: z.string(), amount: Amount })) }),
  parent: z.looseObject({ type: z.string() }).nullable().optional(),
  metadata: Metadata.nullable(),
  created: z.number().int(),
  livemode: z.boolean(),
});
export type StripeInvoice = z.infer<typeof StripeInvoice>;

export const StripeCharge = z.looseObject({
  id: z.string(),
  object: z.literal('charge'),
  amount: Amount,
  amount_captured: Amount,
  amount_refunded: Amount,
  currency: z.string(),
  customer: Ref.nullable(),
  description: z.string().nullable(),
  status: z.enum(['succeeded', 'pending', 'failed']),
  paid: z.boolean(),
  captured: z.boolean(),
  refunded: z.boolean(),
  disputed: z.boolean(),
  billing_details: pii(z.looseObject({ email: z.string().nullable(), name: z.string().nullable() })),
  receipt_email: pii(z.string()).nullable(),
  payment_method_details: financial(z.looseObject({ type: z.string() })).nullable(),
  failure_code: z.string().nullable(),
  failure_message: z.string().nullable(),
  metadata: Metadata,
  created: z.number().int(),
  livemode: z.boolean(),
});
export type StripeCharge = z.infer<typeof StripeCharge>;

export const StripeSubscription = z.looseObject({
  id: z.string(),
  object: z.literal('subscription'),
  customer: Ref,
  status: z.enum([
    'incomplete',
    'incomplete_expired',
    'trialing',
    'active',
    'past_due',
    'canceled',
    'unpaid',
    'paused',
  ]),
  items: z.looseObject({
    data: z.array(
      z.looseObject({
        id: z.string(),
        quantity: z.number().int().optional(),
        price: z.looseObject({ id: z.string(), unit_amount: financial(z.number().int()).nullable() }),
        current_period_start: z.number().int(),
        current_period_end: z.number().int(),
      }),
    ),
  }),
  latest_invoice: Ref.nullable(),
  collection_method: z.enum(['charge_automatically', 'send_invoice']),
  cancel_at_period_end: z.boolean(),
  canceled_at: z.number().int().nullable(),
  currency: z.string(),
  metadata: Metadata,
  created: z.number().int(),
  livemode: z.boolean(),
});
export type StripeSubscription = z.infer<typeof StripeSubscription>;

export const StripeEvent = z.looseObject({
  id: z.string(),
  object: z.literal('event'),
  type: z.string(),
  api_version: z.string().nullable(),
  created: z.number().int(),
  data: z.looseObject({ object: z.looseObject({ id: z.string().optional(), object: z.string() }) }),
  livemode: z.boolean(),
  pending_webhooks: z.number().int(),
  request: z.looseObject({ id: z.string().nullable(), idempotency_key: z.string().nullable() }).nullable(),
});
export type StripeEvent = z.infer<typeof StripeEvent>;

/** `{object: 'list', data, has_more, url}`: one page of a list endpoint. */
export function stripeList<T extends z.ZodType>(item: T) {
  return z.looseObject({
    object: z.literal('list'),
    data: z.array(item),
    has_more: z.boolean(),
    url: z.string(),
  });
}

/** `{object: 'search_result', data, has_more, next_page}`: one page of a search endpoint. */
export function stripeSearchResult<T extends z.ZodType>(item: T) {
  return z.looseObject({
    object: z.literal('search_result'),
    data: z.array(item),
    has_more: z.boolean(),
    next_page: z.string().nullable(),
    url: z.string(),
  });
}
