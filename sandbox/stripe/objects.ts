import type { Params, ParamValue } from './form.js';
import { newId } from './ids.js';
import type { StripeObject } from './store.js';

/**
 * Builders of Stripe objects in the shapes of the pinned API version (see the official fixtures
 * `stripe.fixtures.latest.json`): every field present, nulls where Stripe puts nulls.
 */

const nullAddress = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };

export function str(v: ParamValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}
export function int(v: ParamValue | undefined): number | null {
  return typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : null;
}
function bool(v: ParamValue | undefined, fallback: boolean): boolean {
  return v === undefined ? fallback : v === 'true';
}

/** `metadata[k]=v` sets, `metadata[k]=` unsets, `metadata=` clears (Stripe's documented rules). */
export function mergeMetadata(current: unknown, update: ParamValue | undefined): Record<string, string> {
  const base = { ...((current as Record<string, string> | null) ?? {}) };
  if (update === undefined) return base;
  if (update === '') return {};
  if (typeof update !== 'object' || Array.isArray(update)) return base;
  for (const [k, v] of Object.entries(update)) {
    if (v === '') delete base[k];
    else if (typeof v === 'string') base[k] = v;
  }
  return base;
}

function address(v: ParamValue | undefined): Record<string, string | null> | null {
  if (typeof v !== 'object' || Array.isArray(v)) return null;
  const out: Record<string, string | null> = { ...nullAddress };
  for (const k of Object.keys(nullAddress)) if (typeof v[k] === 'string') out[k] = v[k] as string;
  return out;
}

export function buildCustomer(p: Params, now: number): StripeObject {
  return {
    id: newId('cus', 14),
    object: 'customer',
    address: address(p.address),
    balance: int(p.balance) ?? 0,
    created: now,
    currency: null,
    default_source: null,
    delinquent: false,
    description: str(p.description),
    discount: null,
    email: str(p.email),
    invoice_prefix: newId('X', 7).slice(2).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: mergeMetadata({}, p.metadata),
    name: str(p.name),
    next_invoice_sequence: 1,
    phone: str(p.phone),
    preferred_locales: Array.isArray(p.preferred_locales)
      ? p.preferred_locales.filter((x) => typeof x === 'string')
      : [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

/** Fields a POST to an existing object may change, per resource. */
export const updatable: Record<string, readonly string[]> = {
  customer: ['email', 'name', 'phone', 'description', 'address', 'preferred_locales', 'metadata', 'balance'],
  invoice: ['description', 'collection_method', 'days_until_due', 'due_date', 'auto_advance', 'metadata'],
  charge: ['description', 'receipt_email', 'metadata'],
  subscription: [
    'description',
    'cancel_at_period_end',
    'collection_method',
    'days_until_due',
    'default_payment_method',
    'metadata',
  ],
};

export function applyUpdate(
  obj: StripeObject,
  p: Params,
): { next: StripeObject; previous: Record<string, unknown> } {
  const next: StripeObject = { ...obj };
  const previous: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (k === 'expand') continue;
    const value =
      k === 'metadata'
        ? mergeMetadata(obj.metadata, v)
        : k === 'address'
          ? address(v)
          : ['balance', 'days_until_due', 'due_date'].includes(k)
            ? int(v)
            : ['auto_advance', 'cancel_at_period_end'].includes(k)
              ? bool(v, false)
              : v === ''
                ? null
                : v;
    if (JSON.stringify(obj[k]) !== JSON.stringify(value)) previous[k] = obj[k] ?? null;
    next[k] = value;
  }
  return { next, previous };
}

export function buildInvoice(
  p: Params,
  customer: StripeObject,
  now: number,
  lines: StripeObject[] = [],
): StripeObject {
  const id = newId('in');
  const total = lines.reduce((sum, l) => sum + (l.amount as number), 0);
  const collection = str(p.collection_method) ?? 'charge_automatically';
  const daysUntilDue = int(p.days_until_due);
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Weft Sandbox',
    account_tax_ids: null,
    amount_due: total,
    amount_paid: 0,
    amount_overpaid: 0,
    amount_remaining: total,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: bool(p.auto_advance, false),
    automatic_tax: { enabled: false, liability: null, status: null, disabled_reason: null, provider: null },
    automatically_finalizes_at: null,
    billing_reason: str(p.billing_reason) ?? 'manual',
    collection_method: collection,
    created: now,
    currency: str(p.currency) ?? 'usd',
    custom_fields: null,
    customer: customer.id,
    customer_address: customer.address ?? null,
    customer_email: customer.email ?? null,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: str(p.description),
    discounts: [],
    due_date: collection === 'send_invoice' ? (int(p.due_date) ?? now + (daysUntilDue ?? 30) * 86_400) : null,
    effective_at: null,
    ending_balance: null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: lines, has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: mergeMetadata({}, p.metadata),
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent:
      typeof p.subscription === 'string'
        ? {
            type: 'subscription_details',
            quote_details: null,
            subscription_details: { metadata: {}, subscription: p.subscription },
          }
        : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: now,
    period_start: now,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  };
}

/** draft → open (→ paid when nothing is due), numbering it the way Stripe does: prefix-sequence. */
export function finalizeInvoice(
  inv: StripeObject,
  customer: StripeObject | undefined,
  now: number,
): StripeObject {
  const seq = (customer?.next_invoice_sequence as number | undefined) ?? 1;
  const paid = inv.amount_due === 0;
  return {
    ...inv,
    status: paid ? 'paid' : 'open',
    number: `${(customer?.invoice_prefix as string | undefined) ?? 'SANDBOX'}-${String(seq).padStart(4, '0')}`,
    hosted_invoice_url: `https://invoice.stripe.com/i/sandbox/${inv.id}`,
    invoice_pdf: `https://pay.stripe.com/invoice/sandbox/${inv.id}/pdf`,
    effective_at: now,
    status_transitions: {
      ...(inv.status_transitions as Record<string, unknown>),
      finalized_at: now,
      ...(paid ? { paid_at: now } : {}),
    },
  };
}
