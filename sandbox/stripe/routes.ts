import type { Params } from './form.js';
import { listPage, searchPage } from './listing.js';
import { applyUpdate, buildCustomer, buildInvoice, finalizeInvoice, int, str, updatable } from './objects.js';
import { buildCharge, buildSubscription, isDeclined, subscriptionLine } from './objects-payments.js';
import { missingParam, noSuch, ok, type RouteResult, stripeError, unknownParam } from './responses.js';
import type { StripeObject, StripeStore } from './store.js';
import { webhookEndpointRoutes } from './webhook-endpoints.js';

/** What a route may use: the store, the clock (seconds) and the event emitter. */
export interface RouteContext {
  store: StripeStore;
  now: number;
  emit(type: string, object: StripeObject, previous?: Record<string, unknown>): void;
}

export interface RouteRequest {
  method: string;
  path: string;
  params: Params;
  query: Params;
}

/** Create parameters each resource accepts; anything else is Stripe's `parameter_unknown`. */
const creatable: Record<string, readonly string[]> = {
  customer: [
    'email',
    'name',
    'phone',
    'description',
    'address',
    'preferred_locales',
    'metadata',
    'balance',
    'expand',
  ],
  invoice: [
    'customer',
    'subscription',
    'description',
    'collection_method',
    'days_until_due',
    'due_date',
    'auto_advance',
    'currency',
    'metadata',
    'expand',
  ],
  charge: [
    'amount',
    'currency',
    'customer',
    'source',
    'capture',
    'description',
    'receipt_email',
    'statement_descriptor_suffix',
    'metadata',
    'expand',
  ],
  subscription: [
    'customer',
    'items',
    'description',
    'cancel_at_period_end',
    'collection_method',
    'days_until_due',
    'default_payment_method',
    'metadata',
    'expand',
  ],
};

const resources: Record<
  string,
  { type: string; noun: string; filters: Record<string, (o: StripeObject, v: string) => boolean> }
> = {
  customers: { type: 'customer', noun: 'customer', filters: { email: (o, v) => o.email === v } },
  invoices: {
    type: 'invoice',
    noun: 'invoice',
    filters: {
      customer: (o, v) => o.customer === v,
      status: (o, v) => o.status === v,
      collection_method: (o, v) => o.collection_method === v,
      subscription: (o, v) =>
        (o.parent as { subscription_details?: { subscription?: string } } | null)?.subscription_details
          ?.subscription === v,
    },
  },
  charges: {
    type: 'charge',
    noun: 'charge',
    filters: { customer: (o, v) => o.customer === v, payment_intent: (o, v) => o.payment_intent === v },
  },
  subscriptions: {
    type: 'subscription',
    noun: 'subscription',
    filters: {
      customer: (o, v) => o.customer === v,
      // Stripe lists non-canceled subscriptions unless asked for `all` or a status.
      status: (o, v) =>
        v === 'all' ||
        o.status === v ||
        (v === 'ended' && ['canceled', 'incomplete_expired'].includes(o.status as string)),
      price: (o, v) =>
        ((o.items as { data: { price: { id: string } }[] }).data ?? []).some((i) => i.price.id === v),
    },
  },
  events: { type: 'event', noun: 'event', filters: { type: (o, v) => o.type === v } },
};

/** Routes one authenticated, rate-limit-cleared request to its handler. */
export function route(req: RouteRequest, ctx: RouteContext): RouteResult {
  const parts = req.path.replace(/^\/v1\//, '').split('/');
  const [name, id, verb] = parts as [string, string | undefined, string | undefined];
  if (!req.path.startsWith('/v1/') || parts.length > 3) return unrecognised(req);
  if (name === 'webhook_endpoints') return webhookEndpointRoutes(req, id, ctx);
  const resource = resources[name];
  if (resource === undefined) return unrecognised(req);
  const url = `/v1/${name}`;
  if (id === undefined) {
    if (req.method === 'GET') {
      let all = ctx.store.all(resource.type);
      if (name === 'subscriptions' && req.query.status === undefined)
        all = all.filter((o) => o.status !== 'canceled');
      return listPage({ all, query: req.query, url, filters: resource.filters });
    }
    if (req.method === 'POST' && name !== 'events') return create(resource.type, req.params, ctx);
    return unrecognised(req);
  }
  if (id === 'search' && verb === undefined && req.method === 'GET' && name !== 'events') {
    return searchPage({ all: ctx.store.all(resource.type), query: req.query, url: `${url}/search` });
  }
  const obj = ctx.store.get(resource.type, id);
  if (obj === undefined) return noSuch(resource.noun, id);
  if (verb !== undefined) return invoiceVerb(obj, verb, req, ctx);
  if (req.method === 'GET') return ok(obj);
  if (req.method === 'POST' && name !== 'events') return update(obj, req.params, ctx);
  if (req.method === 'DELETE' && name === 'customers') {
    ctx.store.delete('customer', obj.id);
    ctx.emit('customer.deleted', obj);
    return ok({ id: obj.id, object: 'customer', deleted: true });
  }
  if (req.method === 'DELETE' && name === 'subscriptions') {
    const canceled = { ...obj, status: 'canceled', canceled_at: ctx.now, ended_at: ctx.now };
    ctx.store.update(canceled);
    ctx.emit('customer.subscription.deleted', canceled);
    return ok(canceled);
  }
  return unrecognised(req);
}

function unrecognised(req: RouteRequest): RouteResult {
  return stripeError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${req.method}: ${req.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
}

function create(type: string, p: Params, ctx: RouteContext): RouteResult {
  const unknown = Object.keys(p).find((k) => !(creatable[type] ?? []).includes(k));
  if (unknown !== undefined) return unknownParam(unknown);
  if (type === 'customer') return commit(buildCustomer(p, ctx.now), 'customer.created', ctx);
  if (type === 'invoice') {
    const customerId = str(p.customer);
    if (customerId === null) return missingParam('customer');
    const customer = ctx.store.get('customer', customerId);
    if (customer === undefined) return noSuch('customer', customerId, 'customer');
    return commit(buildInvoice(p, customer, ctx.now), 'invoice.created', ctx);
  }
  if (type === 'charge') return createCharge(p, ctx);
  return createSubscription(p, ctx);
}

function commit(obj: StripeObject, event: string, ctx: RouteContext): RouteResult {
  ctx.store.insert(obj);
  ctx.emit(event, obj);
  return ok(obj);
}

function createCharge(p: Params, ctx: RouteContext): RouteResult {
  if (p.amount === undefined) return missingParam('amount');
  if (p.currency === undefined) return missingParam('currency');
  const amount = int(p.amount);
  if (amount === null || amount < 50) {
    return stripeError(400, {
      type: 'invalid_request_error',
      code: 'amount_too_small',
      message: 'Amount must be at least $0.50 usd',
      param: 'amount',
    });
  }
  const customer = str(p.customer);
  if (customer === null && p.source === undefined) {
    return stripeError(400, {
      type: 'invalid_request_error',
      code: 'parameter_missing',
      message: 'Must provide source or customer.',
    });
  }
  if (customer !== null && ctx.store.get('customer', customer) === undefined)
    return noSuch('customer', customer, 'customer');
  const charge = buildCharge(p, ctx.now);
  ctx.store.insert(charge);
  if (isDeclined(str(p.source))) {
    ctx.emit('charge.failed', charge);
    // A decline happens during execution, so Stripe saves it for the idempotency key like a success.
    return stripeError(
      402,
      {
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'generic_decline',
        message: 'Your card was declined.',
      },
      true,
    );
  }
  ctx.emit('charge.succeeded', charge);
  return ok(charge);
}

function createSubscription(p: Params, ctx: RouteContext): RouteResult {
  const customerId = str(p.customer);
  if (customerId === null) return missingParam('customer');
  const customer = ctx.store.get('customer', customerId);
  if (customer === undefined) return noSuch('customer', customerId, 'customer');
  if (!Array.isArray(p.items) || p.items.length === 0) return missingParam('items');
  const items: { price: StripeObject; quantity: number }[] = [];
  for (const [i, raw] of p.items.entries()) {
    if (typeof raw !== 'object' || Array.isArray(raw) || typeof raw.price !== 'string')
      return missingParam(`items[${i}][price]`);
    const price = ctx.store.get('price', raw.price);
    if (price === undefined) return noSuch('price', raw.price, `items[${i}][price]`);
    items.push({ price, quantity: int(raw.quantity) ?? 1 });
  }
  const sub = buildSubscription({ p, customer: customerId, items, now: ctx.now });
  const draft = buildInvoice(
    { subscription: sub.id, billing_reason: 'subscription_create' },
    customer,
    ctx.now,
  );
  const lines = (sub.items as { data: Record<string, unknown>[] }).data.map((item) =>
    subscriptionLine(item, sub.id, draft.id),
  );
  const total = lines.reduce((s, l) => s + (l.amount as number), 0);
  // The sandbox has no card network: the first invoice is paid at once, as with a test card that succeeds.
  const finalized = finalizeInvoice(
    { ...draft, lines: { ...(draft.lines as object), data: lines } },
    customer,
    ctx.now,
  );
  const paid = {
    ...finalized,
    ...{
      amount_due: total,
      amount_paid: total,
      amount_remaining: 0,
      subtotal: total,
      subtotal_excluding_tax: total,
    },
    ...{ total, total_excluding_tax: total, attempted: true, attempt_count: 1 },
  };
  ctx.store.update({ ...customer, next_invoice_sequence: (customer.next_invoice_sequence as number) + 1 });
  ctx.store.insert(paid);
  const withInvoice = { ...sub, latest_invoice: paid.id };
  ctx.store.insert(withInvoice);
  ctx.emit('customer.subscription.created', withInvoice);
  ctx.emit('invoice.created', paid);
  ctx.emit('invoice.paid', paid);
  return ok(withInvoice);
}

function update(obj: StripeObject, p: Params, ctx: RouteContext): RouteResult {
  const allowed = [...(updatable[obj.object] ?? []), 'expand'];
  const unknown = Object.keys(p).find((k) => !allowed.includes(k));
  if (unknown !== undefined) return unknownParam(unknown);
  if (
    obj.object === 'invoice' &&
    obj.status !== 'draft' &&
    Object.keys(p).some((k) => k !== 'metadata' && k !== 'description')
  ) {
    return stripeError(400, {
      type: 'invalid_request_error',
      message: `Finalized invoices can't be updated in this way`,
    });
  }
  const { next, previous } = applyUpdate(obj, p);
  ctx.store.update(next);
  const type = obj.object === 'subscription' ? 'customer.subscription.updated' : `${obj.object}.updated`;
  if (Object.keys(previous).length > 0) ctx.emit(type, next, previous);
  return ok(next);
}

function invoiceVerb(inv: StripeObject, verb: string, req: RouteRequest, ctx: RouteContext): RouteResult {
  if (inv.object !== 'invoice' || req.method !== 'POST') return unrecognised(req);
  const state = (message: string) =>
    stripeError(400, { type: 'invalid_request_error', code: 'invoice_not_editable', message });
  if (verb === 'finalize') {
    if (inv.status !== 'draft')
      return state("This invoice is already finalized, you can't re-finalize a non-draft invoice.");
    const customer = ctx.store.get('customer', inv.customer as string);
    const next = finalizeInvoice(inv, customer, ctx.now);
    if (customer)
      ctx.store.update({
        ...customer,
        next_invoice_sequence: (customer.next_invoice_sequence as number) + 1,
      });
    ctx.store.update(next);
    ctx.emit('invoice.finalized', next);
    if (next.status === 'paid') ctx.emit('invoice.paid', next);
    return ok(next);
  }
  if (verb === 'void') {
    if (inv.status !== 'open') return state(`You can only void open invoices.`);
    const next = {
      ...inv,
      status: 'void',
      status_transitions: { ...(inv.status_transitions as object), voided_at: ctx.now },
    };
    ctx.store.update(next);
    ctx.emit('invoice.voided', next);
    return ok(next);
  }
  if (verb === 'pay') {
    if (inv.status !== 'open') return state('Invoice is already paid or cannot be paid.');
    const attempts = (Number(inv.attempt_count) || 0) + 1;
    if (isDeclined(str(req.params.payment_method)) || isDeclined(str(req.params.source))) {
      // The invoice stays open, the attempt is counted, and Stripe tells the webhooks.
      const failed = { ...inv, attempted: true, attempt_count: attempts };
      ctx.store.update(failed);
      ctx.emit('invoice.payment_failed', failed);
      return stripeError(
        402,
        {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'generic_decline',
          message: 'Your card was declined.',
        },
        true,
      );
    }
    const due = inv.amount_due as number;
    const next = {
      ...inv,
      status: 'paid',
      amount_paid: due,
      amount_remaining: 0,
      attempted: true,
      attempt_count: attempts,
      status_transitions: { ...(inv.status_transitions as object), paid_at: ctx.now },
    };
    ctx.store.update(next);
    ctx.emit('invoice.paid', next);
    return ok(next);
  }
  return unrecognised(req);
}
