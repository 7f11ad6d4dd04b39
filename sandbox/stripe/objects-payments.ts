import type { Params } from './form.js';
import { newId } from './ids.js';
import { int, mergeMetadata, str } from './objects.js';
import type { StripeObject } from './store.js';

/** Builders for charges, subscriptions, prices and events, in the pinned version's shapes. */

/** Test tokens and payment methods with Stripe's documented outcomes. */
const declinedSources = new Set([
  'tok_chargeDeclined',
  'tok_visa_chargeDeclined',
  'pm_card_chargeDeclined',
  'pm_card_visa_chargeDeclined',
]);

export function isDeclined(source: string | null): boolean {
  return source !== null && declinedSources.has(source);
}

export function buildCharge(p: Params, now: number): StripeObject {
  const id = newId('ch');
  const amount = int(p.amount) ?? 0;
  const capture = p.capture !== 'false';
  const declined = isDeclined(str(p.source));
  return {
    id,
    object: 'charge',
    amount,
    amount_captured: capture && !declined ? amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: declined ? null : newId('txn'),
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: '42424', state: null },
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: 'WEFT SANDBOX',
    captured: capture && !declined,
    created: now,
    currency: str(p.currency) ?? 'usd',
    customer: str(p.customer),
    description: str(p.description),
    disputed: false,
    failure_balance_transaction: null,
    failure_code: declined ? 'card_declined' : null,
    failure_message: declined ? 'Your card was declined.' : null,
    fraud_details: {},
    livemode: false,
    metadata: mergeMetadata({}, p.metadata),
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: declined ? 'declined_by_network' : 'approved_by_network',
      reason: declined ? 'generic_decline' : null,
      risk_level: 'normal',
      seller_message: declined
        ? 'The bank did not return any further details with this decline.'
        : 'Payment complete.',
      type: declined ? 'issuer_declined' : 'authorized',
    },
    paid: !declined,
    payment_intent: null,
    payment_method: newId('card'),
    payment_method_details: {
      card: {
        brand: 'visa',
        country: 'US',
        exp_month: 12,
        exp_year: 2034,
        funding: 'credit',
        last4: '4242',
        network: 'visa',
      },
      type: 'card',
    },
    receipt_email: str(p.receipt_email),
    receipt_number: null,
    receipt_url: `https://pay.stripe.com/receipts/sandbox/${id}`,
    refunded: false,
    refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${id}/refunds` },
    review: null,
    shipping: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: str(p.statement_descriptor_suffix),
    status: declined ? 'failed' : 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

/** Prices every fresh sandbox knows, so subscriptions can be created without a catalogue API. */
export function seedPrices(now: number): StripeObject[] {
  return [
    { id: 'price_basic_monthly', nickname: 'Basic', unit_amount: 2000 },
    { id: 'price_pro_monthly', nickname: 'Pro', unit_amount: 9900 },
  ].map((p) => ({
    id: p.id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: now,
    currency: 'usd',
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: p.nickname,
    product: `prod_${p.nickname.toLowerCase()}`,
    recurring: {
      interval: 'month',
      interval_count: 1,
      meter: null,
      usage_type: 'licensed',
      trial_period_days: null,
    },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: p.unit_amount,
    unit_amount_decimal: String(p.unit_amount),
  }));
}

const monthSeconds = 30 * 86_400;

export function buildSubscription(opts: {
  p: Params;
  customer: string;
  items: { price: StripeObject; quantity: number }[];
  now: number;
}): StripeObject {
  const { p, now } = opts;
  const id = newId('sub');
  return {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { enabled: false, liability: null, disabled_reason: null },
    billing_cycle_anchor: now,
    billing_cycle_anchor_config: null,
    billing_mode: { type: 'flexible' },
    cancel_at: null,
    cancel_at_period_end: p.cancel_at_period_end === 'true',
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    collection_method: str(p.collection_method) ?? 'charge_automatically',
    created: now,
    currency: (opts.items[0]?.price.currency as string | undefined) ?? 'usd',
    customer: opts.customer,
    days_until_due: int(p.days_until_due),
    default_payment_method: str(p.default_payment_method),
    default_source: null,
    default_tax_rates: [],
    description: str(p.description),
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, issuer: { type: 'self' } },
    items: {
      object: 'list',
      data: opts.items.map((item) => ({
        id: newId('si', 14),
        object: 'subscription_item',
        created: now,
        current_period_end: now + monthSeconds,
        current_period_start: now,
        discounts: [],
        metadata: {},
        price: item.price,
        quantity: item.quantity,
        subscription: id,
        tax_rates: [],
      })),
      has_more: false,
      url: `/v1/subscription_items?subscription=${id}`,
    },
    latest_invoice: null,
    livemode: false,
    metadata: mergeMetadata({}, p.metadata),
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: null,
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: 'active',
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { missing_payment_method: 'create_invoice' } },
    trial_start: null,
  };
}

/** An invoice line for one subscription item, in the basil `parent`/`pricing` shape. */
export function subscriptionLine(
  item: Record<string, unknown>,
  subscription: string,
  invoice: string,
): StripeObject {
  const price = item.price as StripeObject;
  const amount = (price.unit_amount as number) * (item.quantity as number);
  return {
    id: newId('il'),
    object: 'line_item',
    amount,
    created: item.created as number,
    currency: price.currency as string,
    description: `${item.quantity} × ${price.nickname as string}`,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice,
    livemode: false,
    metadata: {},
    parent: {
      type: 'subscription_item_details',
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: null,
        subscription,
        subscription_item: item.id,
      },
    },
    period: { start: item.current_period_start, end: item.current_period_end },
    pretax_credit_amounts: [],
    pricing: {
      type: 'price_details',
      price_details: { price: price.id, product: price.product },
      unit_amount_decimal: String(price.unit_amount),
    },
    quantity: item.quantity,
    subtotal: amount,
    taxes: [],
  };
}

export function buildEvent(opts: {
  type: string;
  object: StripeObject;
  previous?: Record<string, unknown>;
  apiVersion: string;
  requestId: string | null;
  idempotencyKey: string | null;
  pendingWebhooks: number;
  now: number;
}): StripeObject {
  return {
    id: newId('evt'),
    object: 'event',
    api_version: opts.apiVersion,
    created: opts.now,
    data: { object: opts.object, ...(opts.previous ? { previous_attributes: opts.previous } : {}) },
    livemode: false,
    pending_webhooks: opts.pendingWebhooks,
    request: { id: opts.requestId, idempotency_key: opts.idempotencyKey },
    type: opts.type,
  };
}
